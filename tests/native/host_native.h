/* host_native.h — the test side of tests/native/host_native.c, which
 * implements every import of wasm/src/host.h natively over in-memory sqlite3
 * databases.
 *
 * The host models a small Cloudflare world: several Durable Objects, each with
 * its own database, alarm, and captured WebSocket traffic; one controllable
 * clock; deterministic randomness. The engine always talks to the *current*
 * object (hn_use). Nothing here allocates through the engine's arena or
 * through cJSON: every host-side buffer is plain malloc memory, so ab_reset()
 * never pulls anything from under the host.
 *
 * Ownership: strings returned by hn_* stay valid until the next hn_reset().
 */
#ifndef HOST_NATIVE_H
#define HOST_NATIVE_H

#include <setjmp.h>
#include <sqlite3.h>

/* The clock starts here after every hn_reset (epoch ms). */
#define HN_EPOCH 1700000000000.0

/* --- the world ----------------------------------------------------------- */

/* Drops every object and every capture; the clock goes back to HN_EPOCH,
 * randomness to its seed, and the current object is a fresh one named
 * "default". */
void hn_reset(void);
/* Frees everything (at the end of the run, for the leak checker). */
void hn_shutdown(void);

/* Makes the object called name current, creating it (empty database) on
 * first use. Returns its index. */
int hn_use(const char *name);
/* Name of the current object. */
const char *hn_current(void);
/* The current object's database, for direct inspection by tests. */
sqlite3 *hn_db(void);
/* Runs a query on the current object's database that yields one integer
 * (e.g. "SELECT count(*) FROM ab_steps"); -1 if it fails (no such table...). */
long long hn_query_int(const char *sql);

/* --- clock ----------------------------------------------------------------- */

double hn_now(void);
void hn_set_now(double ms);
void hn_advance(double ms);

/* --- captures of the current object ---------------------------------------------- */

/* The object's alarm (epoch ms) or -1 when none is set. */
double hn_alarm(void);
/* Sets it as the platform would (e.g. -1 when the alarm fires). */
void hn_set_alarm(double at);
/* How many times the engine called host_set_alarm on this object. */
int hn_alarm_calls(void);

/* Text frames sent to the object's sockets (host_ws_send_all), in order. */
int hn_frame_count(void);
const char *hn_frame(int i);
/* host_ws_close_all calls and the code of the last one (0 if none). */
int hn_close_count(void);
int hn_last_close_code(void);

/* --- listing-index writes (queued by the engine, any object) --------------- */

typedef struct hn_index_put {
    char *from;  /* object that queued it */
    char *shard; /* index object to deliver to */
    char *entry; /* IndexEntry JSON */
} hn_index_put;

/* Every put ever queued since hn_reset, in order. */
int hn_index_put_count(void);
const hn_index_put *hn_index_put_at(int i);

/* --- I/O jobs of the current object ------------------------------------------------
 * Like the shim, the host counts a job as being performed from the moment it
 * is offered (host_io_start) until its outcome is delivered (dr_io forgets
 * it); a trapped call's jobs are dropped (hn_pending_discard). */

int hn_io_job_count(void);
const char *hn_io_job(int i); /* the job's JSON text */
int hn_io_out_count(void);    /* attempts being performed */
int hn_io_cancel_count(void);
/* The performer of token (or of every attempt: the isolate died) is gone. */
void hn_io_forget(const char *token);
void hn_io_forget_all(void);

/* The body the engine last reported running (host_body): its length, or -1
 * when none runs; *step (not NUL-terminated) and *attempt. */
int hn_body(const char **step, int *attempt);

/* --- log --------------------------------------------------------------------- */

int hn_log_count(void);
const char *hn_log_last(void);

/* --- trap injection ---------------------------------------------------------- */

/* Simulates a wasm trap: the k-th host_sql_exec from now (0 = the next one)
 * does not run; the host longjmps to the driver's jmp_buf instead, as if the
 * module had trapped right after its previous statement (whose writes stay
 * committed, exactly as in a Durable Object where JS catches the trap).
 * k < 0 disarms. Only calls made through drive.c can trap. */
void hn_trap_at_sql(int k);
/* The k-th host_sql_query answer from now (0 = the next) arrives damaged:
 * cut short by a byte, with an unknown tag, or claiming a row more than it
 * holds (for queries that return rows). k < 0 disarms. */
enum { HN_CUT_SHORT = 1, HN_BAD_TAG, HN_MORE_ROWS };
void hn_corrupt_rows(int k, int mode);
/* The k-th page of rows from now (0 = the next; a query SQLite answers with
 * one json_group_array text, db.c page_rows) arrives with the first `from`
 * in its text made `to`. k < 0 or from NULL disarms. */
void hn_rewrite_page(int k, const char *from, const char *to);
/* Traps now, from inside an export (a step body of a test workflow). */
void hn_trap_now(void);
/* The driver's landing pad while an export runs (NULL between calls). */
void hn_trap_set_env(jmp_buf *env);
/* How many statements ran since hn_reset (host_sql_exec calls and batches
 * of queued rows; for sizing trap loops and counting statements). */
long hn_sql_calls(void);
/* Writes the rows host_step_put queued (the shim does so when an export
 * returns or traps); aborts if that fails. hn_rows_queued: how many wait. */
void hn_rows_flush(void);
int hn_rows_queued(void);

/* Snapshot of the current object's alarm and the index queue, to undo what a
 * trapped call queued but the shim would never apply. Frames stay: the shim
 * sends them synchronously. */
typedef struct hn_pending {
    double alarm;
    int alarm_calls;
    int index_puts;
    int io_jobs;
} hn_pending;
hn_pending hn_pending_save(void);
void hn_pending_discard(hn_pending p);

#endif

/* host.h — every function the engine imports from its host.
 *
 * This is the whole boundary from C's side; shim/host.js implements it inside
 * a Durable Object and tests/native/host_native.c implements it over Debian's
 * sqlite3 for the native tests. Strings cross as (pointer, length) in linear
 * memory and are not NUL-terminated on the way out. All imports are
 * synchronous: whatever is asynchronous on the host (setting the alarm,
 * writing the listing index) is queued there and awaited after the export
 * returns.
 *
 * Ownership: pointers passed to the host are borrowed for the call only.
 */
#ifndef AB_HOST_H
#define AB_HOST_H

#include <stdint.h>

#ifdef AB_WASM
#define AB_IMPORT(name) __attribute__((import_module("ablauf"), import_name(name)))
#else
#define AB_IMPORT(name)
#endif

/* Runs one SQL statement with params (a JSON array of strings, numbers and
 * nulls) on the object's SQLite database. Returns n >= 0: the rows as a JSON
 * array of arrays, n bytes long, waiting to be copied out by host_take();
 * or -n - 1: the statement failed and an n-byte message waits instead. */
AB_IMPORT("sql_exec")
int32_t host_sql_exec(const char *sql, int32_t sql_len, const char *params, int32_t params_len);

/* Runs one statement like host_sql_exec but answers its rows in the engine's
 * binary form (the rows of every query but the export's): no JSON to print
 * on the host, none to parse here, strings ready to use.
 *
 *   u32 rows, u32 columns (0 when there are no rows), then row by row each
 *   value: u8 tag — 0 NULL; 1 a number, f64; 2 text, u32 byte length, the
 *   UTF-8 bytes and a NUL. Little-endian, unaligned.
 *
 * Returns n >= 0 (the bytes, for host_take) or -n - 1 (an error message). */
AB_IMPORT("sql_query")
int32_t host_sql_query(const char *sql, int32_t sql_len, const char *params, int32_t params_len);

/* Queues the row of a do step that completed without history: the most
 * common write by far (one per executed step). The host writes queued rows
 * as one multi-row statement (db.h DB_ROWS_*) of up to DB_ROWS_MAX rows:
 * when that many are queued, before the next host_sql_exec, when the
 * export returns and when the call traps — so every row queued before a
 * trap is stored, as if it had been a statement of its own. Values cross as
 * values: no JSON, no statement text. Returns 0, or -n - 1 when writing the
 * batch failed (an n-byte message waits for host_take). host_sql_exec also
 * reports a failed batch, as its own failure. */
AB_IMPORT("step_put")
int32_t host_step_put(const char *name, int32_t name_len, const char *result, int32_t result_len,
                      int32_t ord, int32_t attempts, double started_at, double completed_at,
                      double duration, int32_t result_bytes);

/* Copies the pending result of the last host_sql_exec (or failed
 * host_step_put) into dst. */
AB_IMPORT("take")
void host_take(char *dst);

/* Wall clock, epoch milliseconds. */
AB_IMPORT("now")
double host_now(void);

/* Cryptographically random bytes (for generated ids). */
AB_IMPORT("random")
void host_random(uint8_t *dst, int32_t len);

/* One log line (level 0 debug .. 3 error). */
AB_IMPORT("log")
void host_log(int32_t level, const char *msg, int32_t len);

/* Sets the object's single alarm to epoch ms `at`, or deletes it if at < 0. */
AB_IMPORT("set_alarm")
void host_set_alarm(double at);

/* Sends a text frame to every WebSocket this object has accepted. */
AB_IMPORT("ws_send_all")
void host_ws_send_all(const char *msg, int32_t len);

/* Closes every WebSocket this object has accepted. */
AB_IMPORT("ws_close_all")
void host_ws_close_all(int32_t code, const char *reason, int32_t len);

/* Offers entry (IndexEntry JSON) for the listing index object named shard;
 * the host delivers it after the export returns and reports what arrived
 * with ab_ack. The entry stays in the instance's outbox until then. */
AB_IMPORT("index_put")
void host_index_put(const char *shard, int32_t shard_len, const char *entry, int32_t entry_len);

/* A step body is about to run (its step and attempt), or, with len < 0, none
 * runs any more. The host keeps the last one: if the wasm traps, it hands it
 * to ab_recover, which records the crash against that attempt (no statement
 * per step is spent on a marker that only a trap could use). */
AB_IMPORT("body")
void host_body(const char *step, int32_t len, int32_t attempt);

/* I/O steps (docs/io-steps.md). io_start offers a job (JSON: token, step,
 * attempt, kind, request, timeoutMs, maxBytes, secrets...) that the host
 * performs once the export has returned and its writes are committed; the
 * outcome comes back through ab_io. io_inflight says whether the host is
 * performing the attempt with this token right now (1) or not (0: it never
 * started, or its performer died). io_cancel aborts one (terminate). */
AB_IMPORT("io_start")
void host_io_start(const char *job, int32_t len);
AB_IMPORT("io_inflight")
int32_t host_io_inflight(const char *token, int32_t len);
AB_IMPORT("io_cancel")
void host_io_cancel(const char *token, int32_t len);

#endif

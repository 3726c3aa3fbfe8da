/* drive.h — drives the engine's exports (wasm/src/exports.h) exactly as the
 * JavaScript shim does (shim/host.js, runner.js, handler.js), over the
 * native host of host_native.h, and reads JSON answers for assertions.
 *
 * Every call is ab_open(); copy the request in; export; copy the output
 * out; ab_close() — exactly what shim/host.js does. POSTs
 * to an object first run ab_begin in a call of its own (the crash-detection
 * generation), GETs pass gen 0, and the alarm handler begins an event too.
 * A simulated trap (hn_trap_at_sql) is handled like the shim: what the call
 * queued (alarm, index writes) is dropped and ab_recover() runs.
 *
 * Ownership: every string handed out (responses, j* copies, dr_printf) is
 * malloc memory in a pool freed by dr_reset()/dr_shutdown(). cJSON values
 * from jget() live in a handle of the driver's own and die at the next
 * engine call.
 */
#ifndef DRIVE_H
#define DRIVE_H

#include <stddef.h>

#include "cJSON.h"
#include "host_native.h"

typedef struct dr_resp {
    int status;       /* from the output meta; 500 after a trap */
    const char *meta; /* output meta JSON ("" after a trap) */
    const char *body; /* body text, NUL-terminated */
    int trapped;      /* the call trapped (simulated) */
} dr_resp;

/* A request description (the meta of exports.h). NULL/0 fields take
 * defaults: query "", headers {"content-type":"application/json"}, env
 * {"ABLAUF_TEST_HOOKS":"1"}, body empty. */
typedef struct dr_req {
    const char *method;
    const char *path;
    const char *query;
    const char *headers; /* JSON object text */
    const char *env;     /* JSON object text */
    const char *body;
    size_t body_len;     /* 0 = strlen(body) */
    int body_too_large;
    int no_begin;        /* POST without ab_begin (gen 0) */
} dr_req;

/* Fresh world (hn_reset), fresh pool, no failure injection. */
void dr_reset(void);
void dr_shutdown(void);

/* A request to the current object, as runner.js fetch() sends it. */
dr_resp dr_fetch_req(const dr_req *r);
dr_resp dr_fetch(const char *method, const char *path, const char *body);

/* The exports one by one, each in a call of its own. */
double dr_begin(void);
/* The platform fires the current object's alarm: clears it, begins an event
 * and calls ab_alarm with its generation (runner.js alarm()). */
void dr_alarm(void);
/* If an alarm is set: moves the clock to it when it lies ahead, fires it.
 * Returns 1 if it fired. */
int dr_fire(void);
/* Fires due alarms until none is set or max firings; returns the count. */
int dr_settle(int max);
void dr_recover(void);
/* The build-time definition check (ab_check). */
dr_resp dr_check(void);
/* Allocation failure injection into every following call's handle:
 * allocation n (from 0, counted per call) fails, and with once = 0 every
 * later one too. n < 0 turns it off. */
void dr_fail_at(long n, int once);
dr_resp dr_edge_req(const dr_req *r);
dr_resp dr_merge_req(const dr_req *r, const char *bodies);

/* The whole worker: edge, then forward to the object it names (switching
 * objects), delivering queued index writes to the shards afterwards, or the
 * list fan-out over the shards and the merge. target is path[?query]. The
 * current object is restored afterwards. */
dr_resp dr_worker(const char *method, const char *target, const char *body);
/* Delivers every index write queued and not yet delivered to its shard and
 * acknowledges what arrived to the object that queued it (runner.js apply).
 * The driver does this after every request and alarm of an object, unless
 * dr_deliver_after_events(0) (to watch the outbox hold entries). */
void dr_deliver_index(void);
void dr_deliver_after_events(int on);
/* The current object hears that (shard, entry) was delivered (ab_ack). */
void dr_ack(const char *shard, const char *entry);

/* The host performed the attempt `token` with this outcome (JSON object
 * text): forgets it as in flight, begins an event, calls ab_io and settles as
 * runner.js does. Returns the answer (meta "busy" while I/O is still out). */
dr_resp dr_io(const char *token, const char *outcome);
/* Delivers several at once: outcomes = JSON [{"token","outcome"}]. */
dr_resp dr_io_many(const char *outcomes);

/* Shortcuts on the current object. */
dr_resp dr_create(const char *type, const char *id, const char *payload_json);
dr_resp dr_get(const char *id);
dr_resp dr_post(const char *id, const char *sub, const char *body);

/* --- strings and JSON ---------------------------------------------------------- */

const char *dr_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Keeps a malloc'd string in the pool and returns it. */
const char *dr_keep(char *s);

/* Paths: dot-separated; a number indexes an array, "@name" picks the array
 * element whose "name" is name; "" is the root. */
const cJSON *jget(const char *json, const char *path);
const char *jstr(const char *json, const char *path);  /* string value or NULL */
const char *jtext(const char *json, const char *path); /* compact JSON or NULL */
double jnum(const char *json, const char *path);       /* NAN unless a number */
int jlen(const char *json, const char *path);          /* size or -1 */
int jis_null(const char *json, const char *path);
int jis_true(const char *json, const char *path);
/* Compact form of JSON text (to compare shapes). */
const char *jcompact(const char *json);

#endif

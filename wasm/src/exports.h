/* exports.h — the engine's entry points, in the form the host calls them.
 * In WebAssembly these are the module's exports (shim/host.js calls them);
 * natively the tests call the same functions (tests/native/drive.c).
 *
 * Every call works in a handle of its own, in the shape of lua_newstate /
 * lua_close: the host opens one, copies its request into it (ab_malloc),
 * calls one export, copies the answer out, and closes it. Nothing but SQLite
 * carries over from one handle to the next.
 *
 *   h = ab_open()                      0 when out of memory
 *   p = ab_malloc(h, n)                n bytes in h, for the request; 0 on failure
 *   out = ab_edge(h, meta, len, body, len)     -> ab_output* (below)
 *   ab_close(h)                        frees h and everything in it (out too)
 *
 * A request arrives as a JSON description (meta) plus the raw body bytes. The
 * answer is an ab_output: four u32 (meta pointer, meta length, body pointer,
 * body length); meta is a JSON object that always has "status".
 *
 * | export            | request meta                                  | answer meta (besides "status")                          |
 * |-------------------|-----------------------------------------------|----------------------------------------------------------|
 * | ab_edge           | method, path, query, headers (lower-case:     | headers {name: value} to set; or an instruction:         |
 * |  (worker entry)   |  authorization, upgrade, origin, content-type,|  forward "<object>" + requestHeaders {} (send the        |
 * |                   |  x-ablauf-id), env {ABLAUF_API_TOKEN,         |  request there), fanout [shards] + path (ask each        |
 * |                   |  ABLAUF_CORS_ORIGINS, ABLAUF_TEST_HOOKS},     |  shard, then ab_merge), asset "dashboard" | "client"     |
 * |                   |  bodyTooLarge (host saw > 1 MiB)              |                                                          |
 * | ab_merge          | the edge request's meta; body = JSON array of | headers                                                  |
 * |                   |  the shards' answers                          |                                                          |
 * | ab_serve (object) | as ab_edge, plus gen (from ab_begin; 0 = GET) | websocket {frames [text], close code?, reason?} (accept, |
 * |                   |                                               |  send frames, close); settle true (commit, then call     |
 * |                   |                                               |  ab_settle); the alarm and index puts come as imports    |
 * | ab_settle         | {gen, status, run?}; body = the previous      | as ab_serve; also busy true: the instance waits for I/O  |
 * |                   |  answer; run false: only re-render it         |  (answer once an ab_io brought it to rest, or after 5 s) |
 * | ab_io             | {gen}; body = [{token, outcome}] of I/O       | as ab_settle (body {}); jobs to perform come through     |
 * |                   |  attempts the host performed                  |  host_io_start, as from every export that runs a pass    |
 * | ab_check          | none                                          | body {"errors": [{"workflow", "message"}]}; status 200   |
 * |                   |                                               |  when there are none, 500 otherwise (the build fails)    |
 *
 * Without an output: ab_begin(h) -> generation (double; 0 = no instance, or
 * it failed) marks an event in progress, which the host commits before the
 * ab_serve/ab_alarm that carries it; ab_alarm(h, gen) runs due timers;
 * ab_recover(h, step, len, attempt) after a trap, with the body the host last
 * heard of (host_body; len < 0: none ran); ab_ack(h, body, len) after the host delivered
 * the index entries it was offered (host_index_put), body = JSON
 * [[shard, entry], ...] of the deliveries that succeeded, which leave the
 * outbox (the alarm is set again); ab_ws_close_code(code) -> the code to
 * answer a client's close with; ab_rows_sql() -> seven u32 (no handle, a constant
 * block): head pointer and length, tuple pointer and length, tail
 * pointer and length, rows per batch — the statement the host writes the
 * rows of host_step_put with (db.h DB_ROWS_*).
 */
#ifndef AB_EXPORTS_H
#define AB_EXPORTS_H

#include <stdint.h>

#include "cx.h"

typedef cx_output ab_output;

cx *ab_open(void);
void ab_close(cx *h);
void *ab_malloc(cx *h, uint32_t n);

ab_output *ab_edge(cx *h, const char *meta, uint32_t meta_len, const char *body, uint32_t body_len);
ab_output *ab_merge(cx *h, const char *meta, uint32_t meta_len, const char *bodies, uint32_t len);
ab_output *ab_serve(cx *h, const char *meta, uint32_t meta_len, const char *body, uint32_t body_len);
ab_output *ab_settle(cx *h, const char *meta, uint32_t meta_len, const char *prev, uint32_t len);
ab_output *ab_io(cx *h, const char *meta, uint32_t meta_len, const char *body, uint32_t len);
ab_output *ab_check(cx *h);
double ab_begin(cx *h);
void ab_alarm(cx *h, double gen);
void ab_recover(cx *h, const char *step, int32_t len, int32_t attempt);
void ab_ack(cx *h, const char *body, uint32_t len);
int32_t ab_ws_close_code(int32_t code);
const void *ab_rows_sql(void);

#endif

/* api.h — the requests a Durable Object answers: one workflow instance's
 * routes (docs/http-api.md, docs/live-updates.md) and, on index shards, the
 * listing index.
 *
 * Bodies are validated here, before anything is stored: a rejected request
 * writes nothing. An engine failure (out of memory, storage) answers 500 and
 * re-arms the alarm a second later, so the instance is never left without a
 * timer.
 */
#ifndef AB_API_H
#define AB_API_H

#include <stdint.h>

#include "http.h"

/* gen is this event's crash-detection generation from eng_begin (0 if the
 * host did not begin one). */
void api_handle(cx *X, const http_request *req, int64_t gen, http_response *res);

/* Runs the next pass (run: work was due now: a careful pass armed a step
 * and its marker is committed, or a long pass continues) and re-renders the
 * first answer (status code `status`, body prev) with the instance as it is
 * now. The host calls it while the answer's meta says "settle", and with run
 * 0 once a "busy" instance (waiting for I/O) came to rest or took too long. */
void api_settle(cx *X, int64_t gen, int status, int run, const char *prev, size_t len,
                http_response *res);

/* Outcomes of I/O attempts, body = JSON [{"token", "outcome"}]: stored on
 * their steps, then the pass runs. Answers 200 {} with meta "settle" or
 * "busy" as a request would. */
void api_io(cx *X, int64_t gen, const char *body, size_t len, http_response *res);

/* The alarm: runs the due timers. */
void api_alarm(cx *X, int64_t gen);

/* The host delivered outbox entries: body = JSON [[shard, entry], ...]. */
void api_ack(cx *X, const char *body, size_t len);

/* After the wasm trapped: make sure the instance gets a recovery pass. step
 * (NULL: none) is the do step whose body was running, attempt its attempt:
 * that attempt's marker is written now, so the pass records the crash. */
void api_recover(cx *X, const char *step, int attempt);

/* The close code to answer a client's close with (1005/1006 -> 1000). */
int api_ws_close_code(int code);

#endif

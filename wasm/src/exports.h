/* exports.h — the engine's entry points, in the form the host calls them.
 *
 * Every call starts from a clean arena (ab_reset) and nothing but SQLite
 * carries over from one call to the next. In WebAssembly these are the
 * module's exports; natively the tests call the same functions.
 *
 * A request arrives as a JSON description (meta) plus the raw body; see
 * docs/architecture.md for the fields. The response is left in an
 * ab_output: meta JSON (always with "status") and the body.
 */
#ifndef AB_EXPORTS_H
#define AB_EXPORTS_H

#include <stdint.h>

typedef struct ab_output {
    uint32_t meta_ptr, meta_len; /* in wasm: linear-memory offsets */
    uint32_t body_ptr, body_len;
    const char *meta;            /* native view of the same */
    const char *body;
} ab_output;

void ab_reset(void);
void *ab_malloc(uint32_t n);

/* The worker entry (edge.h). */
ab_output *ab_edge(const char *meta, uint32_t meta_len, const char *body, uint32_t body_len);
/* The listing merge; bodies is a JSON array of the shards' answers. */
ab_output *ab_merge(const char *meta, uint32_t meta_len, const char *bodies, uint32_t len);
/* A request to the Durable Object (api.h); meta may carry "gen". */
ab_output *ab_fetch(const char *meta, uint32_t meta_len, const char *body, uint32_t body_len);
/* While an ab_fetch answer's meta has "settle": after committing, run the
 * armed step and re-render the answer; meta = {"gen", "status"}, prev = the
 * previous answer's body. */
ab_output *ab_settle(const char *meta, uint32_t meta_len, const char *prev, uint32_t len);
/* Marks an event in progress; returns its generation (0 = none) — the host
 * commits this before calling ab_fetch/ab_alarm with it. */
double ab_begin(void);
void ab_alarm(double gen);
void ab_recover(void);
int32_t ab_ws_close_code(int32_t code);

#endif

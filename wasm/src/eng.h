/* eng.h — the execution engine: passes, steps, timers, updates.
 *
 * A pass loads the instance's whole step history in one statement, indexes it
 * in memory, and calls the workflow's run function from the top; completed
 * steps are answered from memory, the first step that is not complete decides
 * whether the pass runs its body, suspends (sleep, wait, back-off, pause) or
 * errors the instance. Every state change is written through at once, one
 * statement per change, so a trap between two statements leaves the database
 * consistent.
 *
 * Ownership: an eng_pass and everything it points to live in the call arena.
 */
#ifndef AB_ENG_H
#define AB_ENG_H

#include "ablauf.h"
#include "db.h"
#include "http.h"

#define ENG_INDEX_SHARDS 8

/* What a pass leaves behind, for building the response. */
typedef struct eng_state {
    db_instance *inst;
    db_step **steps; /* first-seen order */
    int nsteps;
} eng_state;

const ab_workflow *eng_find_workflow(const char *type);

/* Loads the instance and its steps without running anything. *st->inst is
 * NULL when the object holds no instance. */
int eng_load(eng_state *st);

/* Runs one pass if the instance is runnable (running, sleeping or waiting),
 * then re-arms the alarm and refreshes the listing index. st must come from
 * eng_load (or eng_create) and is updated in place. */
int eng_run(eng_state *st);

/* Creates the instance row (status running) for a validated payload. */
int eng_create(eng_state *st, const char *id, const ab_workflow *wf, const char *payload);

/* Status transitions requested through the API; each saves, notifies the
 * index and (terminate) the sockets. */
int eng_set_status(eng_state *st, const char *status);
int eng_terminate(eng_state *st);

/* Marks a waiting wait_for_event step complete with payload; returns 1 if a
 * step was waiting for it, 0 if not (the caller buffers the event). */
int eng_deliver(eng_state *st, const char *event, const char *payload);

/* Re-arms the object's alarm at the earliest pending timer (or clears it). */
void eng_arm_alarm(const eng_state *st);

/* Sends the end frame to every client and closes them (code 1000). */
void eng_close_clients(void);

/* Event bookkeeping for crash detection (see docs/retries-and-crashes.md):
 * begin marks an event in progress (the host commits it before going on);
 * finish clears the mark if it is still this event's. */
int eng_begin(int64_t *gen);
int eng_finish(eng_state *st, int64_t gen);

/* JSON shapes of SPEC §4. */
cJSON *eng_status_json(const eng_state *st);
cJSON *eng_timeline_json(const eng_state *st);
cJSON *eng_index_entry(const db_instance *inst);

int eng_is_ended(const char *status); /* completed, errored or terminated */

/* The wait in ms after attempt `attempt` failed; backoff is 'f'ixed,
 * 'l'inear or 'e'xponential (SPEC §8). */
double eng_backoff_ms(char backoff, int64_t delay, int attempt);

#endif

/* eng.h — the execution engine: passes, steps, timers, updates, as the
 * object's request handlers (api.c) use it.
 *
 * A pass loads the instance's whole step history in one statement, indexes it
 * in memory, and calls the workflow's run function from the top; completed
 * steps are answered from memory, the first step that is not complete decides
 * whether the pass runs its body, suspends (sleep, wait, back-off, pause) or
 * errors the instance. Every state change is written through at once, one
 * statement per change, so a trap between two statements leaves the database
 * consistent.
 *
 * Errors: functions return CX_OK or the negative cx_rc recorded in X (out of
 * memory, storage). Those are failures of the engine, never of the workflow:
 * the instance is left as the last statement left it and the caller answers
 * 500 and re-arms the alarm. A workflow's own failures (a step that failed,
 * a timeout, a misuse of the API) error the instance and return CX_OK.
 *
 * Ownership: an eng_state and everything it points to live in the call arena.
 */
#ifndef AB_ENG_H
#define AB_ENG_H

#include "ablauf.h"
#include "cx.h"
#include "db.h"

/* A pass whose step bodies have used ENG_PASS_BUDGET bytes since its first
 * body (or whose call has used ENG_PASS_CEILING in all) runs no new body: it
 * ends with the instance "running" and continues in a new call (the host
 * settles within the request, the alarm otherwise). Every pass runs at least
 * one body, so it always makes progress. What a pass executes is bounded;
 * what it replays costs about 330 bytes per completed step, so a
 * 100,000-step history replays in about 33 MiB of the 48 MiB of a call. */
#define ENG_PASS_BUDGET ((size_t)16 * 1024 * 1024)
/* Likewise once its bodies have run for ENG_PASS_TIME_MS, or for as long as
 * its replay took if that was longer: every chunk commits, so an isolate that
 * dies in a long pass loses one chunk, and replaying never costs more than
 * executing, so a long workflow's total time stays linear in its steps. */
#define ENG_PASS_TIME_MS 250
#define ENG_PASS_CEILING ((size_t)40 * 1024 * 1024)

/* The end frame of a live-update stream: the instance ended. */
#define ENG_FRAME_END "{\"event\":\"close\",\"data\":{}}"

/* What a pass leaves behind, for building the response. */
typedef struct eng_state {
    db_instance *inst;
    db_step **steps; /* first-seen order */
    int nsteps;
    int io_wait;     /* "running" because the pass waits for I/O the host performs */
} eng_state;

const ab_workflow *eng_find_workflow(const char *type);

/* Loads the instance and its steps without running anything. st->inst is
 * NULL when the object holds no instance. */
int eng_load(cx *X, eng_state *st);

/* Runs one pass if the instance is runnable (running, sleeping or waiting),
 * then re-arms the alarm and queues the listing update. st must come from
 * eng_load (or eng_create) and is updated in place. */
int eng_run(cx *X, eng_state *st);

/* Creates the instance row (status running) for a validated payload. */
int eng_create(cx *X, eng_state *st, const char *id, const ab_workflow *wf, const char *payload);

/* Status transitions requested through the API; each saves, notifies the
 * index and (terminate) the sockets. */
int eng_set_status(cx *X, eng_state *st, inst_status status);
int eng_terminate(cx *X, eng_state *st);

/* Completes a waiting wait_for_event step with payload; *delivered says
 * whether a step was waiting for it (if not, the caller buffers the event). */
int eng_deliver(cx *X, eng_state *st, const char *event, const char *payload, int *delivered);

/* I/O steps (eng_io.c). Stores each {"token", "outcome"} of outcomes on the
 * step whose attempt it answers (a stale or unknown token is ignored);
 * *stored counts those stored. The next pass judges them. */
int eng_io_outcomes(cx *X, eng_state *st, const cJSON *outcomes, int *stored);
/* Asks the host to abort every attempt it is performing (terminate). */
void eng_io_cancel(eng_state *st);

/* Plans st->inst->timer_at: the earliest pending timer of a runnable
 * instance (now for one "running" at rest, unless it waits for I/O: then
 * the attempts' deadlines), DB_NULL_TIME if none. Saving the
 * instance plans it; the alarm itself is set once per event, by eng_offer. */
void eng_plan_timer(eng_state *st);

/* End of an event that may have changed the instance: offers every pending
 * outbox entry to the host (host_index_put) and, if this call planned the
 * timer or entries are pending, sets the alarm to the instance's timer, or
 * sooner while entries are pending. */
int eng_offer(cx *X, const db_instance *in);

/* The host delivered these [shard, entry] pairs: they leave the outbox
 * (unless a newer entry replaced them) and the alarm is set again. */
int eng_ack(cx *X, const cJSON *delivered);

/* After a trap inside the body of step `name` (attempt `attempt`), which the
 * host reported: writes that attempt's marker, so the recovery pass records
 * the crash against it as if the marker had been written before the body. */
int eng_mark_crashed_body(cx *X, eng_state *st, const char *name, int attempt);

/* Sends the end frame to every client and closes them (code 1000). */
void eng_close_clients(void);

/* Event bookkeeping for crash detection (docs/retries-and-crashes.md):
 * begin marks an event in progress (the host commits it before going on);
 * finish clears the mark if it is still this event's. */
int eng_begin(cx *X, int64_t *gen);
int eng_finish(cx *X, db_instance *in, int64_t gen);

/* The JSON shapes of docs/http-api.md: Status, the timeline, an IndexEntry.
 * NULL on allocation failure. Status shows at most ENG_STEPS_PAGE of the n
 * steps given (first-seen order); when more follow it carries "stepsNext",
 * the cursor of the next page (the last shown step's ord). The timeline
 * shows at most ENG_STEPS_PAGE of the started do steps given (sorted by
 * startedAt, then ord), with "next" = "<startedAt>~<ord>" when more follow.
 * The Status is a raw node, its whole text written at once: embed it or
 * answer with it; its fields are not to be read back. */
#define ENG_STEPS_PAGE 1000
cJSON *eng_status_json(cx *X, const db_instance *in, db_step *const *steps, int n);
cJSON *eng_timeline_json(cx *X, const db_instance *in, db_step *const *steps, int n);
cJSON *eng_entry_json(cx *X, const db_entry *e);
void eng_entry_of(const db_instance *in, db_entry *e);

/* An update frame {"event","data","seq"?} (seq < 0: none), or NULL. */
char *eng_frame_update(cx *X, const char *name, const char *data, int64_t seq);

/* The wait in ms after attempt `attempt` failed; backoff is 'f'ixed,
 * 'l'inear or 'e'xponential (docs/retries-and-crashes.md). */
double eng_backoff_ms(char backoff, int64_t delay, int attempt);

/* Validates value against one of wf's schemas (`which` names it in
 * messages: "input", "event \"approval\""...): 0 valid, 1 invalid with
 * *issues, or a negative cx_rc; a schema that is not JSON is recorded as
 * CX_BADDEF with a message naming the workflow and the schema. */
int eng_check_value(cx *X, const ab_workflow *wf, const char *which, const char *schema,
                    const cJSON *value, cJSON **issues);

/* Checks every definition of defs (NULL-terminated) the way the build does: names, schemas
 * (valid JSON and supported JSON Schema), retry and size settings, reserved
 * update names. Appends {"workflow", "message"} to errors; returns how many
 * were appended, or a negative cx_rc. */
int eng_check_defs(cx *X, const ab_workflow *const *defs, cJSON *errors);

#endif

/* state.h — the typed states of instances and steps, with one name table
 * each (state.c). The names are the ones the HTTP API shows and the database
 * stores; nothing else in the engine compares status strings. The counts are
 * macros, not enumerators, so that a switch over a state must name every
 * state (-Wswitch) and nothing else.
 */
#ifndef AB_STATE_H
#define AB_STATE_H

typedef enum inst_status {
    INST_RUNNING = 0,
    INST_SLEEPING,
    INST_WAITING,
    INST_PAUSED,
    INST_COMPLETED,
    INST_ERRORED,
    INST_TERMINATED
} inst_status;
#define INST__COUNT (INST_TERMINATED + 1)

typedef enum step_status {
    STEP_RUNNING = 0,
    STEP_COMPLETED,
    STEP_FAILED,
    STEP_SLEEPING,
    STEP_WAITING
} step_status;
#define STEP__COUNT (STEP_WAITING + 1)

typedef enum step_kind {
    KIND_DO = 0,
    KIND_SLEEP,
    KIND_SLEEP_UNTIL,
    KIND_WAIT_FOR_EVENT,
    KIND_FETCH, /* an HTTP request the host performs (eng_io.c) */
    KIND_CALL   /* an activity: a JavaScript function the host calls */
} step_kind;
#define KIND__COUNT (KIND_CALL + 1)

const char *state_inst_name(inst_status s);
const char *state_step_name(step_status s);
const char *state_kind_name(step_kind k);

/* Parse a stored or requested name; 0 on success, -1 if it names nothing. */
int state_inst_parse(const char *name, inst_status *out);
int state_step_parse(const char *name, step_status *out);
int state_kind_parse(const char *name, step_kind *out);

/* completed, errored or terminated: nothing runs any more. */
int state_inst_ended(inst_status s);
/* running, sleeping or waiting: a pass may run. */
int state_inst_runnable(inst_status s);
/* fetch or call: performed by the host, outside any engine call. */
int state_kind_io(step_kind k);

#endif

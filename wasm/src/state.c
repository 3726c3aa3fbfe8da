/* state.c — see state.h. */
#include "state.h"

#include <string.h>

static const char *const inst_names[INST__COUNT] = {
    [INST_RUNNING] = "running",     [INST_SLEEPING] = "sleeping", [INST_WAITING] = "waiting",
    [INST_PAUSED] = "paused",       [INST_COMPLETED] = "completed", [INST_ERRORED] = "errored",
    [INST_TERMINATED] = "terminated",
};

static const char *const step_names[STEP__COUNT] = {
    [STEP_RUNNING] = "running", [STEP_COMPLETED] = "completed", [STEP_FAILED] = "failed",
    [STEP_SLEEPING] = "sleeping", [STEP_WAITING] = "waiting",
};

static const char *const kind_names[KIND__COUNT] = {
    [KIND_DO] = "do", [KIND_SLEEP] = "sleep", [KIND_SLEEP_UNTIL] = "sleep_until",
    [KIND_WAIT_FOR_EVENT] = "wait_for_event", [KIND_FETCH] = "fetch", [KIND_CALL] = "call",
};

static int find(const char *const *names, int n, const char *name) {
    for (int i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

const char *state_inst_name(inst_status s) { return (unsigned)s < INST__COUNT ? inst_names[s] : "?"; }
const char *state_step_name(step_status s) { return (unsigned)s < STEP__COUNT ? step_names[s] : "?"; }
const char *state_kind_name(step_kind k) { return (unsigned)k < KIND__COUNT ? kind_names[k] : "?"; }

int state_inst_parse(const char *name, inst_status *out) {
    int i = find(inst_names, INST__COUNT, name);
    if (i < 0) return -1;
    *out = (inst_status)i;
    return 0;
}

int state_step_parse(const char *name, step_status *out) {
    int i = find(step_names, STEP__COUNT, name);
    if (i < 0) return -1;
    *out = (step_status)i;
    return 0;
}

int state_kind_parse(const char *name, step_kind *out) {
    int i = find(kind_names, KIND__COUNT, name);
    if (i < 0) return -1;
    *out = (step_kind)i;
    return 0;
}

int state_inst_ended(inst_status s) {
    switch (s) {
    case INST_COMPLETED:
    case INST_ERRORED:
    case INST_TERMINATED: return 1;
    case INST_RUNNING:
    case INST_SLEEPING:
    case INST_WAITING:
    case INST_PAUSED: return 0;
    }
    return 0;
}

int state_inst_runnable(inst_status s) {
    switch (s) {
    case INST_RUNNING:
    case INST_SLEEPING:
    case INST_WAITING: return 1;
    case INST_PAUSED:
    case INST_COMPLETED:
    case INST_ERRORED:
    case INST_TERMINATED: return 0;
    }
    return 0;
}

int state_kind_io(step_kind k) { return k == KIND_FETCH || k == KIND_CALL; }

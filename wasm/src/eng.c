/* eng.c — the pass driver (load, run, settle), status transitions requested
 * through the API, and crash detection. Steps live in eng_step.c, live
 * updates in eng_update.c, the JSON shapes in eng_json.c. */
#include <assert.h>
#include <stdarg.h>
#include <string.h>

#include "eng_int.h"
#include "host.h"
#include "json.h"
#include "lim.h"
#include "sb.h"
#include "schema.h"

#define MAX_UNATTRIBUTED_DEATHS 3

/* --- the pass context ---------------------------------------------------------- */

ab_rc eng_fail(ab_ctx *c, err_code code, const char *fmt, ...) {
    if (c->err == ERR_NONE && !c->fatal) {
        va_list ap;
        va_start(ap, fmt);
        char *msg = sb_vfmt(c->X, fmt, ap);
        va_end(ap);
        const char *clipped = msg ? lim_clip(c->X, msg, LIM_MESSAGE_MAX) : NULL;
        if (clipped == NULL) return eng_abort(c, CX_NOMEM);
        c->err = code;
        c->err_msg = (char *)clipped;
    }
    return AB_ERROR;
}

ab_rc eng_abort(ab_ctx *c, int rc) {
    if (!c->fatal) c->fatal = rc < 0 ? rc : CX_NOMEM;
    return AB_ERROR;
}

ab_rc eng_suspend(ab_ctx *c, inst_status status) {
    c->suspend_status = status;
    return AB_SUSPEND;
}

const ab_workflow *eng_find_workflow(const char *type) {
    if (type == NULL) return NULL;
    for (const ab_workflow *const *w = ab_registry; *w; w++)
        if (strcmp((*w)->type, type) == 0) return *w;
    return NULL;
}

/* --- loading ------------------------------------------------------------------- */

int eng_load(cx *X, eng_state *st) {
    db_step *rows;
    int n, rc;
    memset(st, 0, sizeof *st);
    if ((rc = db_instance_load(X, &st->inst)) != CX_OK) return rc;
    if (st->inst == NULL) return CX_OK;
    if ((rc = db_steps_load(X, &rows, &n)) != CX_OK) return rc;
    st->steps = cx_alloc(X, sizeof *st->steps * (size_t)(n + 1));
    if (st->steps == NULL) return CX_NOMEM;
    for (int i = 0; i < n; i++) st->steps[i] = &rows[i];
    st->nsteps = n;
    return CX_OK;
}

int eng_create(cx *X, eng_state *st, const char *id, const ab_workflow *wf, const char *payload) {
    double now = host_now();
    db_instance *in = cx_alloc(X, sizeof *in);
    if (in == NULL) return CX_NOMEM;
    memset(in, 0, sizeof *in);
    in->id = (char *)id;
    in->type = (char *)wf->type;
    in->status = INST_RUNNING;
    in->payload = (char *)payload;
    in->created_at = in->updated_at = now;
    in->timer_at = DB_NULL_TIME;
    int rc = db_instance_insert(X, in);
    if (rc != CX_OK) return rc;
    memset(st, 0, sizeof *st);
    st->inst = in;
    /* The stored row has updatedAt = createdAt; the first pass's change is
     * the first anyone sees, so it may take the same millisecond (touch). */
    in->updated_at = 0;
    st->steps = cx_alloc(X, sizeof *st->steps);
    return st->steps ? CX_OK : CX_NOMEM;
}

/* --- the pass -------------------------------------------------------------------
 * eng_run = pass_open (index the history) + pass_exec (the run function) +
 * pass_settle (the instance's new status, saved, announced). */

static int pass_open(cx *X, ab_ctx *c, eng_state *st) {
    db_instance *in = st->inst;
    char **fired;
    int nfired, rc;
    memset(c, 0, sizeof *c);
    c->X = X;
    c->st = st;
    c->inst = in;
    c->now = c->started = host_now();
    c->err = ERR_NONE;
    c->steps_cap = st->nsteps;
    c->nstored = st->nsteps;
    c->died = in->died;
    c->careful = in->careful || in->died;
    c->wf = eng_find_workflow(in->type);
    if (smap_init(X, &c->steps, (size_t)st->nsteps) != CX_OK ||
        smap_init(X, &c->seen, (size_t)st->nsteps) != CX_OK)
        return CX_NOMEM;
    for (int i = 0; i < st->nsteps; i++)
        if (smap_put(&c->steps, st->steps[i]->name, st->steps[i]) != CX_OK) return CX_NOMEM;
    /* Storage does not keep names unique (no index since schema v6); the
     * engine never writes one twice, so a history that has one is damaged
     * and no pass may run on it. */
    if (c->steps.len != (size_t)st->nsteps) return cx_fail(X, CX_STORAGE, "two stored steps have one name");
    if ((rc = db_fired_load(X, &fired, &nfired)) != CX_OK) return rc;
    if (smap_init(X, &c->fired, (size_t)nfired) != CX_OK) return CX_NOMEM;
    for (int i = 0; i < nfired; i++)
        if (smap_put(&c->fired, fired[i], fired[i]) != CX_OK) return CX_NOMEM;
    return eng_io_open(c);
}

/* Validates a value against one of wf's schemas; 0 valid, 1 invalid
 * (*issues), or a negative cx_rc (a schema that is not JSON is recorded as
 * CX_BADDEF, naming the workflow and the schema). */
int eng_check_value(cx *X, const ab_workflow *wf, const char *which, const char *schema,
                    const cJSON *value, cJSON **issues) {
    int r = schema_check(X, schema, value, issues);
    if (r == CX_BADDEF)
        cx_fail(X, CX_BADDEF, sb_fmt(X, "Workflow \"%s\": its %s schema is not valid JSON (ablauf "
                                        "build refuses such definitions)", wf->type, which));
    return r;
}

/* The result must match result_schema when the workflow declares one. */
static ab_rc check_result(ab_ctx *c, const cJSON *result) {
    cJSON *issues, *null_value = result ? NULL : cJSON_CreateNull();
    int bad = eng_check_value(c->X, c->wf, "result", c->wf->result_schema,
                              result ? result : null_value, &issues);
    if (bad == CX_BADDEF) return eng_fail(c, ERR_INTERNAL_ERROR, "%s", cx_message(c->X));
    if (bad < 0) return eng_abort(c, bad);
    if (bad)
        return eng_fail(c, ERR_VALIDATION_ERROR,
                        "Result of workflow \"%s\" does not match its result schema: %s",
                        c->wf->type, schema_first_issue(c->X, issues));
    return AB_OK;
}

/* A do step whose attempt marker is set: a death now is attributed to it. */
static int has_marker(const eng_state *st) {
    for (int i = 0; i < st->nsteps; i++)
        if (st->steps[i]->kind == KIND_DO && st->steps[i]->status == STEP_RUNNING &&
            st->steps[i]->attempts > 0)
            return 1;
    return 0;
}

static ab_rc pass_exec(ab_ctx *c, cJSON **result) {
    db_instance *in = c->inst;
    if (c->wf == NULL)
        return eng_fail(c, ERR_WORKFLOW_TYPE_UNKNOWN,
                        "Workflow type \"%s\" is not registered in this deployment", in->type);
    /* The limit is for deaths no step accounts for: a death while a step's
     * marker is set goes to that step (its retries bound it), even after
     * earlier unattributed ones. */
    if (in->deaths >= MAX_UNATTRIBUTED_DEATHS && !(c->died && has_marker(c->st)))
        return eng_fail(c, ERR_INTERNAL_ERROR,
                        "Workflow \"%s\" crashed %d times in a row outside any step body", in->type,
                        in->deaths);
    c->result_limit = LIM_DEFAULT_RESULT_LIMIT;
    if (c->wf->result_size_limit && lim_parse_size(c->wf->result_size_limit, &c->result_limit) != 0)
        c->result_limit = LIM_DEFAULT_RESULT_LIMIT;
    c->overflow_retry = c->wf->on_overflow && strcmp(c->wf->on_overflow, "retry") == 0;
    cJSON *payload = cJSON_Parse(in->payload);
    if (payload == NULL) return eng_abort(c, CX_NOMEM);
    c->mode = MODE_RUN;
    ab_rc rc = c->wf->run(c, payload, result);
    if (c->fatal || c->err != ERR_NONE) return AB_ERROR;
    switch (rc) {
    case AB_OK:
        if (c->stopped_at != NULL)
            /* A step asked to stop and the run function went on: a forgotten
             * AB_TRY. Completing now would lose the step. */
            return eng_fail(c, ERR_VALIDATION_ERROR,
                            "Step \"%s\" stopped the pass (%s) but the run function returned "
                            "AB_OK: return the status of every step call (wrap it in AB_TRY)",
                            c->stopped_at, state_inst_name(c->suspend_status));
        return check_result(c, *result);
    case AB_SUSPEND:
        if (c->stopped_at == NULL)
            return eng_fail(c, ERR_VALIDATION_ERROR,
                            "The run function returned AB_SUSPEND without a step asking to stop");
        return AB_SUSPEND;
    case AB_FAIL:
    case AB_FAIL_PERMANENT:
        /* The run function returned a step body's code itself. */
        return eng_fail(c, ERR_STEP_FAILED, "%s", c->fail_msg ? c->fail_msg : "workflow failed");
    case AB_ERROR: break;
    }
    return eng_fail(c, ERR_INTERNAL_ERROR, "The run function returned an invalid status");
}

/* updatedAt moves forward with every change, by at least 1 ms: the listing
 * orders an instance's entries by it, so two changes in one millisecond must
 * not tie (a late delivery of the older one would win). */
static void touch(db_instance *in) {
    double now = host_now();
    in->updated_at = now > in->updated_at ? now : in->updated_at + 1;
}

/* The listing learns of the change through the outbox, written in the same
 * event as the change itself (eng_offer delivers it). */
static int outbox_entry(cx *X, const db_instance *in) {
    db_entry e;
    eng_entry_of(in, &e);
    cJSON *j = eng_entry_json(X, &e);
    char *text = j ? json_print(X, j) : NULL;
    char *shard = lim_shard_name(X, lim_shard_of(in->id));
    if (text == NULL || shard == NULL) return CX_NOMEM;
    return db_outbox_put(X, shard, text);
}

/* Saves the instance with its timer planned; notify: the status or the
 * history changed, so the listing must learn of it. */
static int save_instance(cx *X, eng_state *st, int notify) {
    eng_plan_timer(st);
    X->timer_planned = 1;
    int rc = db_instance_save(X, st->inst);
    if (rc == CX_OK && notify) rc = outbox_entry(X, st->inst);
    return rc;
}

static int pass_settle(ab_ctx *c, ab_rc rc, cJSON *result) {
    assert(c->mode == MODE_RUN);
    assert(rc != AB_SUSPEND || c->stopped_at != NULL);
    assert(rc != AB_ERROR || c->fatal || c->err != ERR_NONE);
    cx *X = c->X;
    db_instance *in = c->inst;
    inst_status old_status = in->status;
    char *old_error = in->error;
    if (c->fatal) return c->fatal; /* the engine failed: leave the instance as it is */
    switch (rc) {
    case AB_OK: {
        char *text = result ? json_print(X, result) : "null";
        if (text == NULL) return CX_NOMEM;
        size_t bytes = strlen(text);
        if (bytes > LIM_VALUE_MAX) {
            in->status = INST_ERRORED;
            in->error = sb_fmt(X, "Result of %zu bytes exceeds the workflow result size limit of 1 MiB", bytes);
            in->error_code = (char *)err_name(ERR_VALIDATION_ERROR);
            if (in->error == NULL) return CX_NOMEM;
            break;
        }
        /* The result has a row of its own (db_result_put), before the status
         * says completed: a trap between the two replays and writes it again. */
        int r = db_result_put(X, text);
        if (r != CX_OK) return r;
        in->status = INST_COMPLETED;
        in->result = text;
        break;
    }
    case AB_SUSPEND: in->status = c->suspend_status; break;
    case AB_FAIL:
    case AB_FAIL_PERMANENT:
    case AB_ERROR:
        in->status = INST_ERRORED;
        in->error = c->err_msg;
        in->error_code = (char *)err_name(c->err);
        break;
    }
    if (c->died) {
        /* A death that no step accounts for: go careful so the next body runs
         * behind a committed marker. */
        in->died = 0;
        in->careful = 1;
    }
    int status_changed = old_status != in->status || old_error != in->error;
    int created = in->updated_at == 0; /* the first pass of a new instance (eng_create) */
    if (status_changed || c->changed) touch(in);
    c->st->io_wait = in->status == INST_RUNNING && c->io_wait;
    /* The listing learns of every status change, and of every other change
     * once the instance is at rest. A pass that leaves it running as it found
     * it (an I/O round, a chunk of a long pass) is followed by another that
     * will tell: writing the entry to its shard on each of them only delays
     * the next round. */
    int notify = status_changed || created || (c->changed && in->status != INST_RUNNING);
    int r = save_instance(X, c->st, notify);
    if (r != CX_OK) return r;
    eng_io_settle(c, in->status); /* the jobs leave once the marker rows are written */
    if (state_inst_ended(in->status)) eng_close_clients();
    return CX_OK;
}

int eng_run(cx *X, eng_state *st) {
    if (st->inst == NULL || !state_inst_runnable(st->inst->status)) return CX_OK;
    ab_ctx ctx;
    cJSON *result = NULL;
    int rc = pass_open(X, &ctx, st);
    if (rc != CX_OK) return rc;
    ab_rc r = pass_exec(&ctx, &result);
    return pass_settle(&ctx, r, result);
}

/* --- timers and transitions ------------------------------------------------------- */

void eng_plan_timer(eng_state *st) {
    double at = -1;
    if (st->inst == NULL) return;
    /* "running" at rest means work is due now: a pass that stopped for its
     * memory budget, or a careful pass that armed a step. */
    if (st->inst->status == INST_RUNNING && !st->io_wait) at = host_now();
    if (st->inst && state_inst_runnable(st->inst->status)) {
        for (int i = 0; i < st->nsteps; i++) {
            const db_step *s = st->steps[i];
            if (s->wake_at == DB_NULL_TIME) continue;
            switch (s->status) {
            case STEP_SLEEPING:
            case STEP_WAITING:
            case STEP_RUNNING:
                if (at < 0 || s->wake_at < at) at = s->wake_at;
                break;
            case STEP_COMPLETED:
            case STEP_FAILED: break;
            }
        }
    }
    st->inst->timer_at = at < 0 ? DB_NULL_TIME : at;
}

/* How long a listing entry that could not be delivered waits for the next try
 * (the alarm; also after an isolate died before delivering). */
#define OUTBOX_RETRY_MS 5000

/* The alarm: the instance's timer, or sooner while the outbox holds entries. */
static void set_alarm(const db_instance *in, int pending) {
    double at = in->timer_at == DB_NULL_TIME ? -1 : in->timer_at;
    if (pending) {
        double retry = host_now() + OUTBOX_RETRY_MS;
        if (at < 0 || retry < at) at = retry;
    }
    host_set_alarm(at);
}

int eng_offer(cx *X, const db_instance *in) {
    db_outbox *rows;
    int n, rc = db_outbox_load(X, &rows, &n);
    if (rc != CX_OK) return rc;
    for (int i = 0; i < n; i++)
        host_index_put(rows[i].shard, (int32_t)strlen(rows[i].shard), rows[i].entry,
                       (int32_t)strlen(rows[i].entry));
    /* An event that planned nothing (a buffered event, a no-op) leaves the
     * alarm alone: it may be the retry of an earlier failed event. */
    if (X->timer_planned || n > 0) set_alarm(in, n > 0);
    return CX_OK;
}

int eng_ack(cx *X, const cJSON *delivered) {
    db_instance *in;
    db_outbox *rows;
    int n, rc;
    const cJSON *d;
    cJSON_ArrayForEach(d, delivered) {
        const char *shard = cJSON_GetStringValue(cJSON_GetArrayItem(d, 0));
        const char *entry = cJSON_GetStringValue(cJSON_GetArrayItem(d, 1));
        if (shard && entry && (rc = db_outbox_ack(X, shard, entry)) != CX_OK) return rc;
    }
    if ((rc = db_instance_load(X, &in)) != CX_OK || in == NULL) return rc;
    if ((rc = db_outbox_load(X, &rows, &n)) != CX_OK) return rc;
    set_alarm(in, n > 0);
    return CX_OK;
}

int eng_set_status(cx *X, eng_state *st, inst_status status) {
    st->inst->status = status;
    touch(st->inst);
    return save_instance(X, st, 1);
}

int eng_terminate(cx *X, eng_state *st) {
    int rc = db_events_clear(X);
    if (rc != CX_OK) return rc;
    eng_io_cancel(st);
    /* Nothing waits any more: a sleeping, waiting or in-flight step keeps its
     * status for the record but loses its wake-up time (and its attempt). */
    for (int i = 0; i < st->nsteps; i++) {
        db_step *s = st->steps[i];
        if (s->wake_at == DB_NULL_TIME && s->io_token == NULL) continue;
        s->wake_at = DB_NULL_TIME;
        s->io_token = NULL;
        if ((rc = db_step_save(X, s)) != CX_OK) return rc;
    }
    st->inst->status = INST_TERMINATED;
    touch(st->inst);
    if ((rc = save_instance(X, st, 1)) != CX_OK) return rc; /* an ended instance has no timer */
    eng_close_clients();
    return CX_OK;
}

/* --- crash detection ----------------------------------------------------------------- */

int eng_begin(cx *X, int64_t *gen) {
    db_instance *in;
    uint8_t r[6];
    *gen = 0;
    int rc = db_instance_load(X, &in);
    if (rc != CX_OK) return rc;
    if (in == NULL || state_inst_ended(in->status)) return CX_OK;
    host_random(r, 6);
    int64_t g = 1;
    for (int i = 0; i < 6; i++) g = (g << 8) | r[i];
    if (in->event_open != 0) {
        /* The last event that began never finished: it died or trapped. */
        in->died = 1;
        in->deaths++;
    }
    in->event_open = g;
    if ((rc = db_instance_save(X, in)) != CX_OK) return rc;
    *gen = g;
    return CX_OK;
}

int eng_finish(cx *X, db_instance *in, int64_t gen) {
    if (gen == 0 || in == NULL || in->event_open != gen) return CX_OK;
    in->event_open = 0;
    return db_instance_save(X, in);
}

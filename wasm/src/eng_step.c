/* eng_step.c — steps and retries: ab_do, the sleeps, ab_wait_for_event, and
 * what a step body may call. The crash-safety design is explained in
 * docs/retries-and-crashes.md; the comments here say where each rule lives. */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "eng_int.h"
#include "host.h"
#include "json.h"
#include "lim.h"
#include "sb.h"

#define DEFAULT_RETRY_LIMIT 3
#define DEFAULT_RETRY_DELAY "1s"
#define DEFAULT_BACKOFF "exponential"
#define CRASH_MESSAGE "crashed: the isolate died or the wasm trapped while the step ran"

/* --- entering and leaving a step ------------------------------------------------ */

static db_step *step_new(ab_ctx *c, const char *name, step_kind kind) {
    eng_state *st = c->st;
    if (st->nsteps + 1 > c->steps_cap) {
        int cap = c->steps_cap ? c->steps_cap * 2 : 16;
        if (cap < st->nsteps + 1) cap = st->nsteps + 16;
        db_step **a = cx_alloc(c->X, sizeof *a * (size_t)cap);
        if (a == NULL) return NULL;
        if (st->nsteps) memcpy(a, st->steps, sizeof *a * (size_t)st->nsteps);
        st->steps = a;
        c->steps_cap = cap;
    }
    db_step *s = cx_alloc(c->X, sizeof *s);
    char *n = sb_dup(c->X, name);
    if (s == NULL || n == NULL) return NULL;
    memset(s, 0, sizeof *s);
    s->name = n;
    s->ord = st->nsteps ? st->steps[st->nsteps - 1]->ord + 1 : 1;
    s->kind = kind;
    s->status = STEP_RUNNING;
    s->started_at = s->completed_at = s->duration = s->wake_at = DB_NULL_TIME;
    if (smap_put(&c->steps, s->name, s) != CX_OK) return NULL;
    st->steps[st->nsteps++] = s;
    return s;
}

/* A deterministic workflow reaches its stored steps in the order they were
 * first seen, before it reaches anything new; the first stored step not yet
 * reached when a new name appears shows that the code changed between
 * passes. NULL if every stored step has been reached. */
static const db_step *stored_not_reached(ab_ctx *c) {
    while (c->next_stored < c->nstored &&
           smap_get(&c->seen, c->st->steps[c->next_stored]->name) != NULL)
        c->next_stored++;
    return c->next_stored < c->nstored ? c->st->steps[c->next_stored] : NULL;
}

ab_rc eng_step_enter(ab_ctx *c, const char *name, step_kind kind, db_step **out) {
    assert(c->nstored <= c->st->nsteps && c->next_stored <= c->nstored);
    if (c->mode == MODE_STEP)
        return eng_fail(c, ERR_VALIDATION_ERROR,
                        "Step \"%s\" was called inside another step's body", name ? name : "");
    if (c->stopped_at != NULL)
        return eng_fail(c, ERR_VALIDATION_ERROR,
                        "Step \"%s\" was called after step \"%s\" stopped the pass: return the "
                        "status of every step call (wrap it in AB_TRY)",
                        name ? name : "", c->stopped_at);
    if (!lim_valid_name(name))
        return eng_fail(c, ERR_VALIDATION_ERROR, "Invalid step name \"%s\"", name ? name : "(null)");
    if (smap_get(&c->seen, name) != NULL)
        return eng_fail(c, ERR_VALIDATION_ERROR, "Duplicate step name \"%s\"", name);
    db_step *s = smap_get(&c->steps, name);
    if (s == NULL) {
        const db_step *old = stored_not_reached(c);
        if (old != NULL)
            return eng_fail(c, ERR_VALIDATION_ERROR,
                            "Workflow \"%s\" is not deterministic: step \"%s\" appeared where the "
                            "stored history continues with step \"%s\"; every pass must call the "
                            "same steps in the same order",
                            c->wf->type, name, old->name);
        if ((s = step_new(c, name, kind)) == NULL) return eng_abort(c, CX_NOMEM);
    }
    if (smap_put(&c->seen, s->name, s) != CX_OK) return eng_abort(c, CX_NOMEM);
    if (s->kind != kind)
        return eng_fail(c, ERR_VALIDATION_ERROR,
                        "Step \"%s\" changed type between passes (%s, now %s): the "
                        "workflow is not deterministic",
                        name, state_kind_name(s->kind), state_kind_name(kind));
    c->anchor = s->name;
    c->emit_n = 0;
    *out = s;
    return AB_OK;
}

ab_rc eng_step_exit(ab_ctx *c, const char *name, ab_rc rc) {
    if (rc != AB_OK && c->stopped_at == NULL) c->stopped_at = name ? name : "";
    return rc;
}

int eng_step_save(ab_ctx *c, db_step *s) {
    c->changed = 1;
    return db_step_save(c->X, s);
}

ab_rc eng_step_failed(ab_ctx *c, const db_step *s) {
    return eng_fail(c, ERR_STEP_FAILED, "Step \"%s\" failed: %s", s->name,
                    s->error ? s->error : "failed");
}

ab_rc eng_step_result(ab_ctx *c, db_step *s, cJSON **out) {
    if (out == NULL) return AB_OK;
    if (s->result == NULL) *out = cJSON_CreateNull();
    else if ((*out = json_int_value(s->result)) == NULL) *out = cJSON_Parse(s->result);
    if (*out == NULL) return eng_abort(c, CX_NOMEM);
    return AB_OK;
}

/* --- retries --------------------------------------------------------------------------- */

ab_rc eng_policy(ab_ctx *c, const char *step, const ab_retry *r, eng_retry *p) {
    const ab_retry *w = &c->wf->retry;
    int limit = (r && r->limit) ? r->limit : w->limit ? w->limit : DEFAULT_RETRY_LIMIT;
    const char *delay = (r && r->delay) ? r->delay : w->delay ? w->delay : DEFAULT_RETRY_DELAY;
    const char *backoff = (r && r->backoff) ? r->backoff : w->backoff ? w->backoff : DEFAULT_BACKOFF;
    if (limit < 1)
        return eng_fail(c, ERR_VALIDATION_ERROR, "Step \"%s\": retry limit must be >= 1", step);
    if (lim_parse_duration(delay, &p->delay) != 0)
        return eng_fail(c, ERR_VALIDATION_ERROR, "Step \"%s\": invalid retry delay \"%s\"", step,
                        delay);
    if (strcmp(backoff, "fixed") == 0) p->backoff = 'f';
    else if (strcmp(backoff, "linear") == 0) p->backoff = 'l';
    else if (strcmp(backoff, "exponential") == 0) p->backoff = 'e';
    else return eng_fail(c, ERR_VALIDATION_ERROR, "Step \"%s\": invalid backoff \"%s\"", step, backoff);
    p->limit = limit;
    return AB_OK;
}

/* fixed = delay, linear = delay x attempt, exponential = delay x 2^(attempt-1). */
double eng_backoff_ms(char backoff, int64_t delay, int attempt) {
    double d = (double)delay;
    if (backoff == 'l') return d * attempt;
    if (backoff == 'e') return d * ldexp(1.0, attempt - 1 > 1000 ? 1000 : attempt - 1);
    return d;
}

/* Appends {"attempt","error","timestamp","duration"} to the step's history,
 * keeping its newest entries within LIM_HISTORY_MAX bytes (a step with
 * thousands of attempts must still fit its row). */
static int history_add(ab_ctx *c, db_step *s, int attempt, const char *error, double duration) {
    cJSON *h = s->history ? cJSON_Parse(s->history) : cJSON_CreateArray();
    cJSON *e = cJSON_CreateObject();
    if (h == NULL || e == NULL || !cJSON_AddNumberToObject(e, "attempt", attempt) ||
        !cJSON_AddStringToObject(e, "error", error) ||
        !cJSON_AddNumberToObject(e, "timestamp", c->now) ||
        !cJSON_AddNumberToObject(e, "duration", duration) || !cJSON_AddItemToArray(h, e))
        return CX_NOMEM;
    for (;;) {
        s->history = json_print(c->X, h);
        if (s->history == NULL) return CX_NOMEM;
        if (strlen(s->history) <= LIM_HISTORY_MAX || cJSON_GetArraySize(h) <= 1) return CX_OK;
        cJSON_DeleteItemFromArray(h, 0);
    }
}

ab_rc eng_attempt_failed(ab_ctx *c, db_step *s, const eng_retry *p, const char *msg,
                         int permanent, double duration, double delay_ms) {
    msg = lim_clip(c->X, msg, LIM_MESSAGE_MAX); /* an author's message may be any length */
    if (msg == NULL) return eng_abort(c, CX_NOMEM);
    int rc = history_add(c, s, s->attempts, msg, duration);
    if (rc != CX_OK) return eng_abort(c, rc);
    s->error = (char *)msg;
    if (!permanent && s->attempts < p->limit) {
        s->status = STEP_SLEEPING;
        s->wake_at = c->now + (delay_ms >= 0 ? delay_ms
                                             : eng_backoff_ms(p->backoff, p->delay, s->attempts));
        if ((rc = eng_step_save(c, s)) != CX_OK) return eng_abort(c, rc);
        return eng_suspend(c, INST_SLEEPING);
    }
    s->status = STEP_FAILED;
    s->wake_at = DB_NULL_TIME;
    s->completed_at = c->now;
    if (s->started_at != DB_NULL_TIME) s->duration = c->now - s->started_at;
    if ((rc = eng_step_save(c, s)) != CX_OK) return eng_abort(c, rc);
    if (permanent) return eng_fail(c, ERR_STEP_FAILED, "Step \"%s\" failed: %s", s->name, msg);
    return eng_fail(c, ERR_STEP_RETRY_EXHAUSTED, "Step \"%s\" failed after %d attempts: %s",
                    s->name, s->attempts, msg);
}

ab_rc eng_attempt_succeeded(ab_ctx *c, db_step *s, const eng_retry *p, cJSON *res,
                            double took, cJSON **out) {
    char *text = res ? json_print(c->X, res) : "null";
    if (text == NULL) return eng_abort(c, CX_NOMEM);
    int64_t bytes = (int64_t)strlen(text);
    if (bytes > LIM_STEP_RESULT_MAX) {
        char *why = sb_fmt(c->X, "result of %lld bytes exceeds the step result size limit of 1 MiB",
                           (long long)bytes);
        return why ? eng_attempt_failed(c, s, p, why, 1, took, -1) : eng_abort(c, CX_NOMEM);
    }
    if (c->inst->result_bytes + bytes > c->result_limit) {
        char *why = sb_fmt(c->X, "result size limit of %lld bytes exceeded (results would total "
                                 "%lld bytes)", (long long)c->result_limit,
                           (long long)(c->inst->result_bytes + bytes));
        return why ? eng_attempt_failed(c, s, p, why, !c->overflow_retry, took, -1) : eng_abort(c, CX_NOMEM);
    }
    s->status = STEP_COMPLETED;
    s->result = text;
    s->result_bytes = bytes;
    s->error = NULL;
    s->wake_at = DB_NULL_TIME;
    s->completed_at = c->now;
    s->duration = c->now - s->started_at;
    c->inst->result_bytes += bytes;
    int rc = eng_step_save(c, s);
    if (rc != CX_OK) return eng_abort(c, rc);
    if (out) *out = res ? res : cJSON_CreateNull();
    return AB_OK;
}

/* Runs the body once for attempt s->attempts and records the outcome. */
static ab_rc run_body(ab_ctx *c, db_step *s, const eng_retry *p, ab_step_fn fn, const cJSON *arg,
                      cJSON **out) {
    assert(c->mode == MODE_RUN && s->status == STEP_RUNNING && s->attempts >= 1);
    if (c->bodies++ == 0) {
        c->exec_base = cx_used(c->X);
        c->exec_started = c->now;
    }
    cJSON *res = NULL;
    c->mode = MODE_STEP;
    c->attempt = s->attempts;
    c->fail_msg = NULL;
    double t0 = host_now();
    host_body(s->name, (int32_t)strlen(s->name), s->attempts);
    ab_rc rc = fn(c, arg, &res);
    host_body("", -1, 0);
    double t1 = host_now();
    c->mode = MODE_RUN;
    c->now = t1;
    if (c->careful) {
        /* The body came back: the step that made us careful has passed. */
        c->careful = 0;
        c->inst->careful = 0;
        c->changed = 1;
    }
    c->inst->deaths = 0;
    if (c->err != ERR_NONE || c->fatal) return AB_ERROR; /* misuse inside the body (nested step...) */
    const char *msg = c->fail_msg ? c->fail_msg : "step failed";
    switch (rc) {
    case AB_OK: return eng_attempt_succeeded(c, s, p, res, t1 - t0, out);
    case AB_FAIL: return eng_attempt_failed(c, s, p, msg, 0, t1 - t0, -1);
    case AB_FAIL_PERMANENT: return eng_attempt_failed(c, s, p, msg, 1, t1 - t0, -1);
    case AB_SUSPEND:
    case AB_ERROR: break;
    }
    return eng_attempt_failed(c, s, p, "step body returned a status other than AB_OK, ab_fail() "
                                       "or ab_fail_permanent()", 1, t1 - t0, -1);
}

static ab_rc do_step(ab_ctx *c, db_step *s, const ab_retry *retry, ab_step_fn fn,
                     const cJSON *arg, cJSON **result) {
    eng_retry p;
    switch (s->status) {
    case STEP_COMPLETED: return eng_step_result(c, s, result);
    case STEP_FAILED: return eng_step_failed(c, s);
    case STEP_RUNNING:
    case STEP_SLEEPING:
    case STEP_WAITING: break;
    }
    AB_TRY(eng_policy(c, s->name, retry, &p));

    if (s->status == STEP_RUNNING && s->attempts > 0) {
        if (c->died) {
            /* The marker says a body was running when the last event died or
             * trapped: that attempt crashed. */
            c->died = 0;
            c->inst->died = 0;
            c->inst->deaths = 0;
            c->careful = 1; /* the retry runs behind a committed marker */
            c->inst->careful = 1;
            return eng_attempt_failed(c, s, &p, CRASH_MESSAGE, 0, 0, -1);
        }
        /* Armed by a careful pass and committed since: run it now. */
        return run_body(c, s, &p, fn, arg, result);
    }
    if (s->status == STEP_SLEEPING && s->wake_at > c->now) return eng_suspend(c, INST_SLEEPING);
    /* Enough for one call: the rest of the pass continues in a fresh one. */
    double replayed = c->exec_started - c->started;
    if (c->bodies > 0 &&
        (cx_used(c->X) - c->exec_base > ENG_PASS_BUDGET || cx_used(c->X) > ENG_PASS_CEILING ||
         c->now - c->exec_started > (replayed > ENG_PASS_TIME_MS ? replayed : ENG_PASS_TIME_MS)))
        return eng_suspend(c, INST_RUNNING);

    /* A fresh attempt. Its marker (the row "running" with this attempt) is
     * written only in careful mode, where the pass ends here and the alarm
     * (due now) runs the body in a new event, after the marker is committed.
     * Otherwise a marker would buy nothing: the writes of an event commit
     * together when it ends, so a death inside the body loses the marker with
     * everything else, and the event mark (eng_begin) already finds that
     * death; a trap inside the body is found by the recovery the host runs.
     * Either way the next pass is careful and the body runs again behind a
     * committed marker, so a body that kills its event is attributed by its
     * second run. Without it, every executed step is one statement (the
     * result), not two (docs/retries-and-crashes.md). */
    s->attempts++;
    s->status = STEP_RUNNING;
    if (s->started_at == DB_NULL_TIME) s->started_at = c->now;
    s->wake_at = c->careful ? c->now : DB_NULL_TIME;
    if (c->careful) {
        int rc = eng_step_save(c, s);
        if (rc != CX_OK) return eng_abort(c, rc);
        return eng_suspend(c, INST_RUNNING);
    }
    return run_body(c, s, &p, fn, arg, result);
}

ab_rc ab_do(ab_ctx *c, const char *name, const ab_retry *retry, ab_step_fn fn, const cJSON *arg,
            cJSON **result) {
    db_step *s;
    if (result) *result = NULL;
    ab_rc rc = eng_step_enter(c, name, KIND_DO, &s);
    if (rc == AB_OK) rc = do_step(c, s, retry, fn, arg, result);
    return eng_step_exit(c, name, rc);
}

int eng_mark_crashed_body(cx *X, eng_state *st, const char *name, int attempt) {
    db_step *s = NULL;
    int last = 0;
    for (int i = 0; i < st->nsteps; i++) {
        if (st->steps[i]->ord > last) last = st->steps[i]->ord;
        if (strcmp(st->steps[i]->name, name) == 0) s = st->steps[i];
    }
    if (s == NULL) {
        /* The body's first attempt: its row was never written. The pass that
         * reaches it next would give it this ord too (steps are saved in the
         * order they are reached). */
        s = cx_alloc(X, sizeof *s);
        if (s == NULL || (name = sb_dup(X, name)) == NULL) return CX_NOMEM;
        memset(s, 0, sizeof *s);
        s->name = (char *)name;
        s->ord = last + 1;
        s->kind = KIND_DO;
        s->started_at = s->completed_at = s->duration = s->wake_at = DB_NULL_TIME;
    } else if (s->kind != KIND_DO || s->status == STEP_COMPLETED || s->status == STEP_FAILED) {
        return CX_OK; /* not a body that could have been running: nothing to blame */
    }
    s->status = STEP_RUNNING;
    s->attempts = attempt;
    if (s->started_at == DB_NULL_TIME) s->started_at = host_now();
    s->wake_at = DB_NULL_TIME;
    return db_step_save(X, s);
}

/* --- sleeps ------------------------------------------------------------------------ */

static ab_rc sleep_step(ab_ctx *c, db_step *s, double at) {
    int rc;
    if (s->status == STEP_COMPLETED) return AB_OK;
    int fresh = s->status != STEP_SLEEPING;
    if (fresh) {
        s->status = STEP_SLEEPING;
        s->started_at = c->now;
        s->wake_at = at;
    }
    if (s->wake_at <= c->now) {
        s->status = STEP_COMPLETED;
        s->completed_at = c->now;
        s->duration = c->now - s->started_at;
        s->wake_at = DB_NULL_TIME;
        if ((rc = eng_step_save(c, s)) != CX_OK) return eng_abort(c, rc);
        return AB_OK;
    }
    /* Still sleeping: an early or duplicate alarm writes nothing. */
    if (fresh && (rc = eng_step_save(c, s)) != CX_OK) return eng_abort(c, rc);
    return eng_suspend(c, INST_SLEEPING);
}

ab_rc ab_sleep(ab_ctx *c, const char *name, const char *duration) {
    int64_t ms;
    db_step *s;
    ab_rc rc = eng_step_enter(c, name, KIND_SLEEP, &s);
    if (rc == AB_OK && lim_parse_duration(duration, &ms) != 0)
        rc = eng_fail(c, ERR_VALIDATION_ERROR, "Step \"%s\": invalid duration \"%s\"", name,
                      duration ? duration : "(null)");
    /* The wake time is fixed when the sleep is first reached. */
    if (rc == AB_OK) rc = sleep_step(c, s, s->wake_at != DB_NULL_TIME ? s->wake_at : c->now + (double)ms);
    return eng_step_exit(c, name, rc);
}

ab_rc ab_sleep_until(ab_ctx *c, const char *name, double at) {
    db_step *s;
    ab_rc rc = eng_step_enter(c, name, KIND_SLEEP_UNTIL, &s);
    if (rc == AB_OK && !isfinite(at))
        rc = eng_fail(c, ERR_VALIDATION_ERROR, "Step \"%s\": invalid wake time", name);
    if (rc == AB_OK) rc = sleep_step(c, s, at);
    return eng_step_exit(c, name, rc);
}

/* --- events ------------------------------------------------------------------------ */

static void step_complete_with(db_step *s, char *payload, double now) {
    s->status = STEP_COMPLETED;
    s->result = payload;
    s->completed_at = now;
    s->duration = now - s->started_at;
    s->wake_at = DB_NULL_TIME;
}

static ab_rc wait_step(ab_ctx *c, db_step *s, const char *timeout, int64_t ms, cJSON **payload) {
    int rc;
    switch (s->status) {
    case STEP_COMPLETED: return eng_step_result(c, s, payload);
    case STEP_FAILED: return eng_fail(c, ERR_EVENT_TIMEOUT, "Event \"%s\" timed out", s->name);
    case STEP_RUNNING:
    case STEP_SLEEPING:
    case STEP_WAITING: break;
    }
    char *buffered;
    if ((rc = db_event_take(c->X, s->name, &buffered)) != CX_OK) return eng_abort(c, rc);
    if (buffered != NULL) {
        if (s->status != STEP_WAITING) s->started_at = c->now;
        step_complete_with(s, buffered, c->now);
        if ((rc = eng_step_save(c, s)) != CX_OK) return eng_abort(c, rc);
        return eng_step_result(c, s, payload);
    }
    if (s->status != STEP_WAITING) {
        s->status = STEP_WAITING;
        s->started_at = c->now;
        s->wake_at = timeout ? c->now + (double)ms : DB_NULL_TIME;
        if ((rc = eng_step_save(c, s)) != CX_OK) return eng_abort(c, rc);
        return eng_suspend(c, INST_WAITING);
    }
    if (s->wake_at != DB_NULL_TIME && s->wake_at <= c->now) {
        s->status = STEP_FAILED;
        s->error = sb_fmt(c->X, "Event \"%s\" timed out", s->name);
        s->completed_at = c->now;
        s->duration = c->now - s->started_at;
        s->wake_at = DB_NULL_TIME;
        if (s->error == NULL) return eng_abort(c, CX_NOMEM);
        if ((rc = eng_step_save(c, s)) != CX_OK) return eng_abort(c, rc);
        return eng_fail(c, ERR_EVENT_TIMEOUT, "Event \"%s\" timed out", s->name);
    }
    return eng_suspend(c, INST_WAITING);
}

ab_rc ab_wait_for_event(ab_ctx *c, const char *event, const char *timeout, cJSON **payload) {
    db_step *s;
    int64_t ms = 0;
    if (payload) *payload = NULL;
    ab_rc rc = eng_step_enter(c, event, KIND_WAIT_FOR_EVENT, &s);
    if (rc == AB_OK && timeout && lim_parse_duration(timeout, &ms) != 0)
        rc = eng_fail(c, ERR_VALIDATION_ERROR, "Event \"%s\": invalid timeout \"%s\"", event, timeout);
    if (rc == AB_OK) rc = wait_step(c, s, timeout, ms, payload);
    return eng_step_exit(c, event, rc);
}

int eng_deliver(cx *X, eng_state *st, const char *event, const char *payload, int *delivered) {
    *delivered = 0;
    for (int i = 0; i < st->nsteps; i++) {
        db_step *s = st->steps[i];
        if (strcmp(s->name, event) != 0) continue;
        if (s->kind != KIND_WAIT_FOR_EVENT || s->status != STEP_WAITING) return CX_OK;
        step_complete_with(s, (char *)payload, host_now());
        int rc = db_step_save(X, s);
        if (rc == CX_OK) *delivered = 1;
        return rc;
    }
    return CX_OK;
}

/* --- inside step bodies ------------------------------------------------------------- */

static ab_rc fail_common(ab_ctx *c, ab_rc rc, const char *fmt, va_list ap) {
    c->fail_msg = sb_vfmt(c->X, fmt, ap);
    if (c->fail_msg == NULL) c->fail_msg = "step failed (out of memory formatting the reason)";
    return rc;
}

ab_rc ab_fail(ab_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ab_rc rc = fail_common(c, AB_FAIL, fmt, ap);
    va_end(ap);
    return rc;
}

ab_rc ab_fail_permanent(ab_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ab_rc rc = fail_common(c, AB_FAIL_PERMANENT, fmt, ap);
    va_end(ap);
    return rc;
}

int ab_attempt(const ab_ctx *c) { return c->attempt; }
const char *ab_instance_id(const ab_ctx *c) { return c->inst->id; }
double ab_now(const ab_ctx *c) { return c->now; }
void *ab_alloc(ab_ctx *c, size_t n) { return cx_alloc(c->X, n); }

char *ab_printf(ab_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *r = sb_vfmt(c->X, fmt, ap);
    va_end(ap);
    return r;
}

/* eng_io.c — I/O steps: ab_fetch, ab_call, their _start variants and the
 * awaits (docs/io-steps.md).
 *
 * C decides, the host performs. A pass that reaches a new attempt of an I/O
 * step writes the attempt's marker (attempts + 1, a fresh token, a deadline)
 * and queues a job; when the pass ends the jobs go to the host (host_io_start),
 * which performs them only after the pass's writes are committed and hands
 * each outcome to ab_io. ab_io stores the outcome on the step and runs the
 * pass again; the pass, reaching the step's _start call with the step's
 * options at hand, judges the outcome: a result, a retry by the policy, or a
 * failure. No engine call ever waits for I/O.
 *
 * Crashes: the host answers host_io_inflight(token) for the attempts it is
 * performing. An attempt whose marker is set, with no outcome, that the host
 * does not know, lost its performer (the isolate died, or the call that
 * started it trapped before the job left): it failed, and is retried with
 * the same idempotency key. The deadline (timeout + IO_GRACE_MS) brings the
 * alarm back to find out even when nothing else wakes the object.
 */
#include <ctype.h>
#include <strings.h>
#include <string.h>

#include "eng_int.h"
#include "host.h"
#include "json.h"
#include "lim.h"
#include "sb.h"

/* At most this many attempts of one instance are out at once. */
#define IO_MAX_OUT 6
#define IO_DEFAULT_TIMEOUT "30s"
/* Past an attempt's timeout, how long the host has to report its outcome
 * before the alarm looks for it (the host aborts at the timeout itself). */
#define IO_GRACE_MS 10000
/* The longest Retry-After honoured as the next delay. */
#define IO_RETRY_AFTER_MAX_MS (24.0 * 3600 * 1000)
#define IO_CRASH_MESSAGE "crashed: the isolate died or the engine trapped while the request was out"

struct ab_pending {
    db_step *s;
};

/* The reason a request could not be built when the reason itself could not
 * be: compared by address, it aborts the pass (CX_NOMEM) instead of failing
 * the step. Every message below goes through reason() so that an allocation
 * failure never reads as "no problem". */
static const char IO_NOMEM[] = "out of memory";

static const char *reason(const char *msg) { return msg ? msg : IO_NOMEM; }

/* --- what the host is performing ---------------------------------------------- */

static int out_now(const db_step *s) {
    return s->status == STEP_RUNNING && s->io_token != NULL && s->outcome == NULL &&
           host_io_inflight(s->io_token, (int32_t)strlen(s->io_token));
}

int eng_io_open(ab_ctx *c) {
    for (int i = 0; i < c->st->nsteps; i++) {
        const db_step *s = c->st->steps[i];
        if (!state_kind_io(s->kind)) continue;
        if (s->done_seq > c->io_seq) c->io_seq = s->done_seq;
        if (out_now(s)) c->io_out++;
    }
    return CX_OK;
}

void eng_io_settle(ab_ctx *c, inst_status status) {
    if (c->fatal || c->io_jobs == NULL || !state_inst_runnable(status)) return;
    const cJSON *job;
    cJSON_ArrayForEach(job, c->io_jobs) {
        char *text = json_print(c->X, job);
        if (text == NULL) return; /* their markers are set: the next pass finds them lost */
        host_io_start(text, (int32_t)strlen(text));
    }
}

/* --- requests ------------------------------------------------------------------- */

static int secret_declared(const ab_workflow *wf, const char *name, size_t len) {
    for (const char *const *s = wf->secrets; s && *s; s++)
        if (strlen(*s) == len && strncmp(*s, name, len) == 0) return 1;
    return 0;
}

/* Checks the {{NAME}} placeholders of text against the workflow's declared
 * secrets and adds each name used to `used`; NULL, or why not. */
static const char *placeholders(ab_ctx *c, const char *text, cJSON *used) {
    for (const char *p = strstr(text, "{{"); p; p = strstr(p, "{{")) {
        const char *name = p + 2, *end = name;
        while (isalnum((unsigned char)*end) || *end == '_') end++;
        if (end == name || strncmp(end, "}}", 2) != 0) {
            p += 2;
            continue; /* not a placeholder: sent as written */
        }
        size_t len = (size_t)(end - name);
        char *n = sb_fmt(c->X, "%.*s", (int)len, name);
        if (n == NULL) return IO_NOMEM;
        if (!secret_declared(c->wf, name, len))
            return reason(sb_fmt(c->X, "secret \"%s\" is not declared by workflow \"%s\" (list it in "
                                    "the definition's secrets)", n, c->wf->type));
        int seen = 0;
        const cJSON *u;
        cJSON_ArrayForEach(u, used) seen |= strcmp(u->valuestring, n) == 0;
        if (!seen && !cJSON_AddItemToArray(used, cJSON_CreateString(n))) return IO_NOMEM;
        p = end + 2;
    }
    return NULL;
}

static int has_header(const cJSON *headers, const char *name) {
    const cJSON *h;
    cJSON_ArrayForEach(h, headers) if (strcasecmp(h->string, name) == 0) return 1;
    return 0;
}

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
                                      NULL};

/* The request the host sends for a fetch step: the author's, checked, with
 * the body as text and the idempotency key and content type added. NULL and
 * *why on a request that cannot be sent. */
static cJSON *fetch_job_request(ab_ctx *c, const cJSON *req, const char *key, cJSON *used,
                                const char **why) {
    *why = NULL;
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "url"));
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(req, "headers");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(req, "body");
    if (!cJSON_IsObject(req)) return *why = "the request must be an object {url, method?, headers?, body?}", NULL;
    if (url == NULL) return *why = "the request has no \"url\" string", NULL;
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return *why = reason(sb_fmt(c->X, "the url \"%s\" is not http:// or https://", url)), NULL;
    const char *m = "GET";
    if (method != NULL) {
        m = cJSON_GetStringValue(method);
        int ok = 0;
        for (const char *const *k = methods; m && *k; k++) ok |= strcmp(*k, m) == 0;
        if (!ok) return *why = "the method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS", NULL;
    }
    if (headers != NULL && !cJSON_IsObject(headers))
        return *why = "\"headers\" must be an object of strings", NULL;
    if ((*why = placeholders(c, url, used)) != NULL) return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON *hs = cJSON_CreateObject();
    if (out == NULL || hs == NULL || !cJSON_AddStringToObject(out, "url", url) ||
        !cJSON_AddStringToObject(out, "method", m) || !cJSON_AddItemToObject(out, "headers", hs))
        return *why = IO_NOMEM, NULL;
    const cJSON *h;
    cJSON_ArrayForEach(h, headers) {
        if (!cJSON_IsString(h))
            return *why = reason(sb_fmt(c->X, "header \"%s\" must be a string", h->string)), NULL;
        if ((*why = placeholders(c, h->valuestring, used)) != NULL) return NULL;
        if (!cJSON_AddStringToObject(hs, h->string, h->valuestring)) return *why = IO_NOMEM, NULL;
    }
    if (!has_header(headers, "idempotency-key") && !cJSON_AddStringToObject(hs, "idempotency-key", key))
        return *why = IO_NOMEM, NULL;
    if (body != NULL && !cJSON_IsNull(body)) {
        const char *text = cJSON_IsString(body) ? body->valuestring : json_print(c->X, body);
        if (text == NULL) return *why = IO_NOMEM, NULL;
        if (!cJSON_IsString(body) && !has_header(headers, "content-type") &&
            !cJSON_AddStringToObject(hs, "content-type", "application/json"))
            return *why = IO_NOMEM, NULL;
        if (!cJSON_AddStringToObject(out, "body", text)) return *why = IO_NOMEM, NULL;
    }
    return out;
}

static char *new_token(ab_ctx *c) {
    uint8_t r[12];
    char *t = cx_alloc(c->X, sizeof r * 2 + 1);
    if (t == NULL) return NULL;
    host_random(r, (int32_t)sizeof r);
    for (size_t i = 0; i < sizeof r; i++) {
        t[2 * i] = "0123456789abcdef"[r[i] >> 4];
        t[2 * i + 1] = "0123456789abcdef"[r[i] & 15];
    }
    t[sizeof r * 2] = '\0';
    return t;
}

/* The step's options, resolved once per call site. */
typedef struct io_step {
    step_kind kind;
    const ab_io_opts *o;
    const char *timeout;  /* as written, for messages */
    int64_t timeout_ms;
    eng_retry retry;
    const cJSON *request; /* fetch: the author's request; call: the args */
    const char *activity; /* call */
} io_step;

/* Starts attempt s->attempts + 1: marker first, then the job for the host. */
static ab_rc attempt_begin(ab_ctx *c, db_step *s, const io_step *io) {
    const char *why = NULL;
    cJSON *stored, *job = cJSON_CreateObject(), *used = cJSON_CreateArray();
    char *token = new_token(c);
    if (job == NULL || used == NULL || token == NULL) return eng_abort(c, CX_NOMEM);
    s->attempts++;
    s->status = STEP_RUNNING;
    if (s->started_at == DB_NULL_TIME) s->started_at = c->now;
    if (io->kind == KIND_FETCH) {
        const char *key = io->o && io->o->idempotency_key
                              ? io->o->idempotency_key
                              : sb_fmt(c->X, "%s/%s", c->inst->id, s->name);
        cJSON *req = key ? fetch_job_request(c, io->request, key, used, &why) : NULL;
        if (key == NULL) why = IO_NOMEM;
        stored = (cJSON *)io->request;
        if (req && !cJSON_AddItemToObject(job, "request", req)) why = IO_NOMEM;
    } else {
        if (!lim_valid_name(io->activity))
            why = reason(sb_fmt(c->X, "invalid activity name \"%s\"", io->activity ? io->activity : "(null)"));
        stored = cJSON_CreateObject();
        cJSON *args = io->request ? cJSON_Duplicate(io->request, 1) : cJSON_CreateNull();
        if (why == NULL &&
            (stored == NULL || args == NULL ||
             !cJSON_AddStringToObject(stored, "activity", io->activity) ||
             !cJSON_AddItemToObject(stored, "args", args) ||
             !cJSON_AddStringToObject(job, "activity", io->activity) ||
             !cJSON_AddItemReferenceToObject(job, "args", args)))
            why = IO_NOMEM;
    }
    s->request = why != IO_NOMEM && stored ? json_print(c->X, stored) : NULL;
    if (why == NULL && s->request == NULL) why = IO_NOMEM;
    if (why == NULL && strlen(s->request) > LIM_VALUE_MAX)
        why = reason(sb_fmt(c->X, "the request of %zu bytes exceeds the limit of 1 MiB", strlen(s->request)));
    if (why == IO_NOMEM) return eng_abort(c, CX_NOMEM);
    if (why != NULL) {
        /* A request that cannot be sent never will be: the step fails now. */
        s->request = s->request && strlen(s->request) <= LIM_VALUE_MAX ? s->request : NULL;
        s->done_seq = ++c->io_seq;
        const char *msg = sb_fmt(c->X, "invalid request: %s", why);
        return msg ? eng_attempt_failed(c, s, &io->retry, msg, 1, 0, -1) : eng_abort(c, CX_NOMEM);
    }
    s->io_token = token;
    s->outcome = NULL;
    s->wake_at = c->now + (double)io->timeout_ms + IO_GRACE_MS;
    int rc = eng_step_save(c, s);
    if (rc != CX_OK) return eng_abort(c, rc);
    if (!cJSON_AddStringToObject(job, "token", token) ||
        !cJSON_AddStringToObject(job, "kind", state_kind_name(io->kind)) ||
        !cJSON_AddStringToObject(job, "step", s->name) ||
        !cJSON_AddNumberToObject(job, "attempt", s->attempts) ||
        !cJSON_AddStringToObject(job, "instanceId", c->inst->id) ||
        !cJSON_AddNumberToObject(job, "timeoutMs", (double)io->timeout_ms) ||
        !cJSON_AddNumberToObject(job, "maxBytes", LIM_STEP_RESULT_MAX) ||
        !cJSON_AddItemToObject(job, "secrets", used))
        return eng_abort(c, CX_NOMEM);
    if (c->io_jobs == NULL && (c->io_jobs = cJSON_CreateArray()) == NULL) return eng_abort(c, CX_NOMEM);
    if (!cJSON_AddItemToArray(c->io_jobs, job)) return eng_abort(c, CX_NOMEM);
    c->io_out++;
    return AB_OK;
}

/* --- judging an outcome ---------------------------------------------------------- */

/* "host[:port]" of an http(s) url, for messages. */
static const char *url_host(ab_ctx *c, const char *url) {
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *at = p, *end = p + strcspn(p, "/?#");
    for (const char *q = p; q < end; q++)
        if (*q == '@') at = q + 1; /* no credentials in messages */
    return sb_fmt(c->X, "%.*s", (int)(end - at), at);
}

static int accepted(const ab_io_opts *o, int status) {
    if (status >= 200 && status <= 299) return 1;
    for (const int *a = o ? o->accept : NULL; a && *a; a++)
        if (*a == status) return 1;
    return 0;
}

static int json_type(const char *ct) {
    if (ct == NULL) return 0;
    size_t n = strcspn(ct, ";");
    return (n >= 4 && strncasecmp(ct + n - 4, "json", 4) == 0);
}

/* A fetch result {"status", "headers", "body"} from a response outcome. */
static cJSON *fetch_result(ab_ctx *c, cJSON *oc, int status) {
    cJSON *headers = cJSON_DetachItemFromObjectCaseSensitive(oc, "headers");
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(oc, "body"));
    if (!cJSON_IsObject(headers)) headers = cJSON_CreateObject();
    cJSON *body = NULL;
    if (text && json_type(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(headers, "content-type"))) &&
        json_parse(c->X, text, strlen(text), &body, NULL) == CX_NOMEM)
        return NULL;
    if (body == NULL) body = cJSON_CreateString(text ? text : "");
    cJSON *r = cJSON_CreateObject();
    if (r == NULL || headers == NULL || body == NULL || !cJSON_AddNumberToObject(r, "status", status) ||
        !cJSON_AddItemToObject(r, "headers", headers) || !cJSON_AddItemToObject(r, "body", body))
        return NULL;
    return r;
}

/* The pass reached a step whose attempt has an outcome: decide what it means. */
static ab_rc judge(ab_ctx *c, db_step *s, const io_step *io) {
    cJSON *oc = cJSON_Parse(s->outcome);
    if (oc == NULL) return eng_abort(c, CX_NOMEM);
    double took = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(oc, "ms"));
    if (took != took || took < 0) took = 0;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(oc, "status");
    const char *error = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(oc, "error"));
    const cJSON *too_large = cJSON_GetObjectItemCaseSensitive(oc, "tooLarge");
    s->outcome = NULL;
    s->io_token = NULL;
    s->done_seq = ++c->io_seq;
    const char *msg;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(oc, "timeout"))) {
        msg = sb_fmt(c->X, "Step \"%s\" timed out after %s", s->name, io->timeout);
        return msg ? eng_attempt_failed(c, s, &io->retry, msg, 0, took, -1) : eng_abort(c, CX_NOMEM);
    }
    if (too_large != NULL) {
        msg = sb_fmt(c->X, "the %s of more than %d bytes exceeds the step result size limit of 1 MiB",
                     io->kind == KIND_FETCH ? "response" : "result", LIM_STEP_RESULT_MAX);
        return msg ? eng_attempt_failed(c, s, &io->retry, msg, 1, took, -1) : eng_abort(c, CX_NOMEM);
    }
    if (error != NULL) {
        int permanent = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(oc, "permanent"));
        return eng_attempt_failed(c, s, &io->retry, error, permanent, took, -1);
    }
    if (io->kind == KIND_CALL) {
        cJSON *value = cJSON_DetachItemFromObjectCaseSensitive(oc, "value");
        if (value == NULL) value = cJSON_CreateNull();
        if (value == NULL) return eng_abort(c, CX_NOMEM);
        return eng_attempt_succeeded(c, s, &io->retry, value, took, NULL);
    }
    if (!cJSON_IsNumber(status))
        return eng_attempt_failed(c, s, &io->retry, "malformed outcome from the host", 0, took, -1);
    int code = (int)status->valuedouble;
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(io->request, "url"));
    if (accepted(io->o, code)) {
        cJSON *r = fetch_result(c, oc, code);
        return r ? eng_attempt_succeeded(c, s, &io->retry, r, took, NULL) : eng_abort(c, CX_NOMEM);
    }
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(oc, "statusText"));
    const char *host = url_host(c, url ? url : "");
    msg = host ? sb_fmt(c->X, "HTTP %d%s%s from %s", code, text && *text ? " " : "", text ? text : "",
                        host)
               : NULL;
    if (msg == NULL) return eng_abort(c, CX_NOMEM);
    if (code == 408 || code == 429 || code >= 500) {
        double after = -1;
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(oc, "retryAfterMs");
        if ((code == 429 || code == 503) && cJSON_IsNumber(ra) && ra->valuedouble >= 0)
            after = ra->valuedouble > IO_RETRY_AFTER_MAX_MS ? IO_RETRY_AFTER_MAX_MS : ra->valuedouble;
        return eng_attempt_failed(c, s, &io->retry, msg, 0, took, after);
    }
    return eng_attempt_failed(c, s, &io->retry, msg, 1, took, -1);
}

/* --- starting and awaiting ------------------------------------------------------- */

static ab_rc io_step_(ab_ctx *c, db_step *s, const io_step *io) {
    ab_rc rc;
    switch (s->status) {
    case STEP_COMPLETED: return AB_OK;
    case STEP_FAILED: return eng_step_failed(c, s);
    case STEP_RUNNING:
    case STEP_SLEEPING:
    case STEP_WAITING: break;
    }
    if (s->status == STEP_RUNNING && s->outcome != NULL) {
        rc = judge(c, s, io);
        if (rc != AB_SUSPEND) return rc; /* completed, or failed for good */
    } else if (s->status == STEP_RUNNING && s->io_token != NULL) {
        if (out_now(s)) {
            if (s->wake_at != DB_NULL_TIME && s->wake_at <= c->now) {
                /* Still out past its deadline (the alarm came early, or the
                 * test hook made it due): look again later. */
                s->wake_at = c->now + IO_GRACE_MS;
                int r = eng_step_save(c, s);
                if (r != CX_OK) return eng_abort(c, r);
            }
            return AB_OK;
        }
        s->io_token = NULL;
        s->done_seq = ++c->io_seq;
        rc = eng_attempt_failed(c, s, &io->retry, IO_CRASH_MESSAGE, 0, 0, -1);
        if (rc != AB_SUSPEND) return rc;
    }
    if (s->status == STEP_SLEEPING && s->wake_at > c->now) return AB_OK; /* backing off */
    if (c->io_out >= IO_MAX_OUT) {
        /* Queued: it starts when an attempt in flight ends. */
        if (s->attempts == 0 && s->status == STEP_RUNNING) {
            int r = eng_step_save(c, s);
            if (r != CX_OK) return eng_abort(c, r);
        }
        return AB_OK;
    }
    return attempt_begin(c, s, io);
}

static ab_rc io_start(ab_ctx *c, const char *name, io_step *io, ab_pending **pending) {
    db_step *s;
    *pending = NULL;
    ab_rc rc = eng_step_enter(c, name, io->kind, &s);
    if (rc != AB_OK) return eng_step_exit(c, name, rc);
    io->timeout = io->o && io->o->timeout ? io->o->timeout : IO_DEFAULT_TIMEOUT;
    if (lim_parse_duration(io->timeout, &io->timeout_ms) != 0 || io->timeout_ms <= 0)
        return eng_step_exit(c, name, eng_fail(c, ERR_VALIDATION_ERROR,
                                               "Step \"%s\": invalid timeout \"%s\"", name,
                                               io->timeout));
    if ((rc = eng_policy(c, name, io->o ? &io->o->retry : NULL, &io->retry)) != AB_OK)
        return eng_step_exit(c, name, rc);
    ab_pending *p = cx_alloc(c->X, sizeof *p);
    if (p == NULL) return eng_step_exit(c, name, eng_abort(c, CX_NOMEM));
    p->s = s;
    if ((rc = io_step_(c, s, io)) == AB_SUSPEND) rc = AB_OK; /* a retry waits: still pending */
    if (rc == AB_OK) *pending = p;
    return eng_step_exit(c, name, rc);
}

ab_rc ab_fetch_start(ab_ctx *c, const char *name, const ab_io_opts *opts, const cJSON *request,
                     ab_pending **pending) {
    io_step io = {.kind = KIND_FETCH, .o = opts, .request = request};
    return io_start(c, name, &io, pending);
}

ab_rc ab_call_start(ab_ctx *c, const char *name, const ab_io_opts *opts, const char *activity,
                    const cJSON *args, ab_pending **pending) {
    io_step io = {.kind = KIND_CALL, .o = opts, .request = args, .activity = activity};
    return io_start(c, name, &io, pending);
}

/* Stops the pass until one of the pending steps moves: "running" while any
 * is out or queued (its outcome wakes the instance), "sleeping" while all of
 * them back off (the alarm does). */
static ab_rc await_suspend(ab_ctx *c, ab_pending *const *pending, int n) {
    const char *first = NULL;
    int out = 0;
    for (int i = 0; i < n; i++) {
        const db_step *s = pending[i]->s;
        if (s->status == STEP_COMPLETED) continue;
        if (first == NULL) first = s->name;
        out |= s->status == STEP_RUNNING;
    }
    c->io_wait = out;
    return eng_step_exit(c, first, eng_suspend(c, out ? INST_RUNNING : INST_SLEEPING));
}

static ab_rc await_check(ab_ctx *c, const char *fn, ab_pending *const *pending, int n) {
    if (c->mode == MODE_STEP)
        return eng_fail(c, ERR_VALIDATION_ERROR, "%s was called inside a step's body", fn);
    if (c->stopped_at != NULL)
        return eng_fail(c, ERR_VALIDATION_ERROR,
                        "%s was called after step \"%s\" stopped the pass: return the status of "
                        "every step call (wrap it in AB_TRY)", fn, c->stopped_at);
    if (pending == NULL || n < 1) return eng_fail(c, ERR_VALIDATION_ERROR, "%s needs at least one step", fn);
    for (int i = 0; i < n; i++)
        if (pending[i] == NULL)
            return eng_fail(c, ERR_VALIDATION_ERROR,
                            "%s: pending[%d] is NULL (was its _start call's status checked?)", fn, i);
    return AB_OK;
}

ab_rc ab_await_all(ab_ctx *c, ab_pending *const *pending, int n, cJSON **results) {
    AB_TRY(await_check(c, "ab_await_all", pending, n));
    for (int i = 0; i < n; i++) {
        if (results) results[i] = NULL;
        if (pending[i]->s->status != STEP_COMPLETED) return await_suspend(c, pending, n);
    }
    for (int i = 0; results && i < n; i++) AB_TRY(eng_step_result(c, pending[i]->s, &results[i]));
    return AB_OK;
}

ab_rc ab_await_any(ab_ctx *c, ab_pending *const *pending, int n, int *which, cJSON **result) {
    if (which) *which = -1;
    if (result) *result = NULL;
    AB_TRY(await_check(c, "ab_await_any", pending, n));
    int best = -1;
    for (int i = 0; i < n; i++) {
        const db_step *s = pending[i]->s;
        if (s->status == STEP_COMPLETED && (best < 0 || s->done_seq < pending[best]->s->done_seq))
            best = i;
    }
    if (best < 0) return await_suspend(c, pending, n);
    if (which) *which = best;
    return eng_step_result(c, pending[best]->s, result);
}

ab_rc ab_fetch(ab_ctx *c, const char *name, const ab_io_opts *opts, const cJSON *request,
               cJSON **result) {
    ab_pending *p;
    if (result) *result = NULL;
    AB_TRY(ab_fetch_start(c, name, opts, request, &p));
    return ab_await_all(c, &p, 1, result);
}

ab_rc ab_call(ab_ctx *c, const char *name, const ab_io_opts *opts, const char *activity,
              const cJSON *args, cJSON **result) {
    ab_pending *p;
    if (result) *result = NULL;
    AB_TRY(ab_call_start(c, name, opts, activity, args, &p));
    return ab_await_all(c, &p, 1, result);
}

/* --- outcomes from the host ------------------------------------------------------ */

int eng_io_outcomes(cx *X, eng_state *st, const cJSON *outcomes, int *stored) {
    const cJSON *o;
    *stored = 0;
    cJSON_ArrayForEach(o, outcomes) {
        const char *token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "token"));
        const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(o, "outcome");
        if (token == NULL || !cJSON_IsObject(outcome)) continue;
        for (int i = 0; i < st->nsteps; i++) {
            db_step *s = st->steps[i];
            if (!state_kind_io(s->kind) || s->status != STEP_RUNNING || s->io_token == NULL ||
                s->outcome != NULL || strcmp(s->io_token, token) != 0)
                continue; /* a late answer for an attempt already judged or given up */
            if ((s->outcome = json_print(X, outcome)) == NULL) return CX_NOMEM;
            int rc = db_step_save(X, s);
            if (rc != CX_OK) return rc;
            ++*stored;
            break;
        }
    }
    return CX_OK;
}

void eng_io_cancel(eng_state *st) {
    for (int i = 0; i < st->nsteps; i++) {
        db_step *s = st->steps[i];
        if (state_kind_io(s->kind) && s->io_token != NULL)
            host_io_cancel(s->io_token, (int32_t)strlen(s->io_token));
    }
}

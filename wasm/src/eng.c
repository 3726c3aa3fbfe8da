/* eng.c — see eng.h. The crash-safety design is explained in
 * docs/retries-and-crashes.md; the comments here say where each rule lives. */
#include "eng.h"

#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

#include "arena.h"
#include "host.h"
#include "lim.h"
#include "sb.h"
#include "schema.h"

#define DEFAULT_RETRY_LIMIT 3
#define DEFAULT_RETRY_DELAY "1s"
#define DEFAULT_BACKOFF "exponential"
#define MAX_UNATTRIBUTED_DEATHS 3
#define CRASH_MESSAGE "crashed: the isolate died or the wasm trapped while the step ran"

/* --- string map: open addressing, arena-backed ----------------------------- */

typedef struct smap {
    const char **keys;
    void **vals;
    size_t cap, len;
} smap;

static int smap_init(smap *m, size_t hint) {
    size_t cap = 16;
    while (cap < hint * 2) cap *= 2;
    m->keys = arena_alloc(cap * sizeof *m->keys);
    m->vals = arena_alloc(cap * sizeof *m->vals);
    if (m->keys == NULL || m->vals == NULL) return -1;
    memset(m->keys, 0, cap * sizeof *m->keys);
    m->cap = cap;
    m->len = 0;
    return 0;
}

static size_t smap_slot(const smap *m, const char *key) {
    size_t i = lim_hash(key, strlen(key)) & (m->cap - 1);
    while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0) i = (i + 1) & (m->cap - 1);
    return i;
}

static void *smap_get(const smap *m, const char *key) {
    size_t i = smap_slot(m, key);
    return m->keys[i] ? m->vals[i] : NULL;
}

static int smap_put(smap *m, const char *key, void *val) {
    if ((m->len + 1) * 2 > m->cap) {
        smap old = *m;
        if (smap_init(m, old.cap) != 0) {
            *m = old;
            return -1;
        }
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i]) {
                size_t j = smap_slot(m, old.keys[i]);
                m->keys[j] = old.keys[i];
                m->vals[j] = old.vals[i];
                m->len++;
            }
    }
    size_t i = smap_slot(m, key);
    if (m->keys[i] == NULL) m->len++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

/* --- the pass context --------------------------------------------------------- */

typedef enum { MODE_RUN, MODE_STEP } ctx_mode;

struct ab_ctx {
    const ab_workflow *wf;
    eng_state *st;
    db_instance *inst;
    smap steps;          /* name -> db_step* */
    smap seen;           /* names reached in this pass */
    smap fired;          /* update sites that already fired */
    int steps_cap;
    double now;
    int64_t result_limit;
    int overflow_retry;

    ctx_mode mode;       /* inside a step body or not */
    int attempt;
    char *fail_msg;

    const char *anchor;  /* last step reached: identifies emit call sites */
    int emit_n;

    const char *suspend_status;
    err_code err;
    char *err_msg;

    int careful;         /* this pass runs at most one body, after a committed marker */
    int died;            /* unaccounted death detected at event start */
    int changed;         /* something was written: bump updated_at */
};

static int oom(ab_ctx *c) {
    if (c->err == ERR_NONE) {
        c->err = ERR_INTERNAL_ERROR;
        c->err_msg = "Out of memory";
    }
    return -1;
}

/* Errors the instance (the first error wins) and returns AB_ERROR. */
static ab_rc instance_error(ab_ctx *c, err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ab_rc instance_error(ab_ctx *c, err_code code, const char *fmt, ...) {
    if (c->err == ERR_NONE) {
        va_list ap;
        va_start(ap, fmt);
        c->err = code;
        c->err_msg = str_vprintf(fmt, ap);
        va_end(ap);
        if (c->err_msg == NULL) c->err_msg = "Out of memory";
    }
    return AB_ERROR;
}

static ab_rc db_failed(ab_ctx *c) {
    return instance_error(c, ERR_INTERNAL_ERROR, "Storage error: %s", db_error());
}

static ab_rc suspend(ab_ctx *c, const char *status) {
    c->suspend_status = status;
    return AB_SUSPEND;
}

int eng_is_ended(const char *status) {
    return strcmp(status, "completed") == 0 || strcmp(status, "errored") == 0 ||
           strcmp(status, "terminated") == 0;
}

static int is_runnable(const char *status) {
    return strcmp(status, "running") == 0 || strcmp(status, "sleeping") == 0 ||
           strcmp(status, "waiting") == 0;
}

const ab_workflow *eng_find_workflow(const char *type) {
    if (type == NULL) return NULL;
    for (const ab_workflow *const *w = ab_registry; *w; w++)
        if (strcmp((*w)->type, type) == 0) return *w;
    return NULL;
}

/* --- loading -------------------------------------------------------------------- */

int eng_load(eng_state *st) {
    db_step *rows;
    int n;
    memset(st, 0, sizeof *st);
    if (db_instance_load(&st->inst) != 0) return -1;
    if (st->inst == NULL) return 0;
    if (db_steps_load(&rows, &n) != 0) return -1;
    st->steps = arena_alloc(sizeof *st->steps * (size_t)(n + 1));
    if (st->steps == NULL) return -1;
    for (int i = 0; i < n; i++) st->steps[i] = &rows[i];
    st->nsteps = n;
    return 0;
}

int eng_create(eng_state *st, const char *id, const ab_workflow *wf, const char *payload) {
    double now = host_now();
    db_instance *in = arena_alloc(sizeof *in);
    if (in == NULL) return -1;
    memset(in, 0, sizeof *in);
    in->id = (char *)id;
    in->type = (char *)wf->type;
    in->status = "running";
    in->payload = (char *)payload;
    in->created_at = in->updated_at = now;
    if (db_instance_insert(in) != 0) return -1;
    memset(st, 0, sizeof *st);
    st->inst = in;
    st->steps = arena_alloc(sizeof *st->steps);
    return st->steps ? 0 : -1;
}

/* --- steps ------------------------------------------------------------------------- */

static db_step *step_find(ab_ctx *c, const char *name) { return smap_get(&c->steps, name); }

static db_step *step_new(ab_ctx *c, const char *name, const char *type) {
    eng_state *st = c->st;
    if (st->nsteps + 1 > c->steps_cap) {
        int cap = c->steps_cap ? c->steps_cap * 2 : 16;
        if (cap < st->nsteps + 1) cap = st->nsteps + 16;
        db_step **a = arena_alloc(sizeof *a * (size_t)cap);
        if (a == NULL) return NULL;
        if (st->nsteps) memcpy(a, st->steps, sizeof *a * (size_t)st->nsteps);
        st->steps = a;
        c->steps_cap = cap;
    }
    db_step *s = arena_alloc(sizeof *s);
    char *n = str_dup(name);
    if (s == NULL || n == NULL) return NULL;
    memset(s, 0, sizeof *s);
    s->name = n;
    s->ord = st->nsteps ? st->steps[st->nsteps - 1]->ord + 1 : 1;
    s->type = (char *)type;
    s->status = "running";
    s->started_at = s->completed_at = s->duration = s->wake_at = DB_NULL_TIME;
    if (smap_put(&c->steps, s->name, s) != 0) return NULL;
    st->steps[st->nsteps++] = s;
    return s;
}

static int step_save(ab_ctx *c, db_step *s) {
    c->changed = 1;
    return db_step_save(s);
}

/* Common entry of every step call: name checks, duplicate detection, lookup.
 * Returns AB_OK with *out set (new steps are created but not yet saved). */
static ab_rc step_enter(ab_ctx *c, const char *name, const char *type, db_step **out) {
    if (c->mode == MODE_STEP)
        return instance_error(c, ERR_VALIDATION_ERROR,
                              "Step \"%s\" was called inside another step's body", name);
    if (!lim_valid_name(name))
        return instance_error(c, ERR_VALIDATION_ERROR, "Invalid step name \"%s\"",
                              name ? name : "(null)");
    if (smap_get(&c->seen, name) != NULL)
        return instance_error(c, ERR_VALIDATION_ERROR, "Duplicate step name \"%s\"", name);
    db_step *s = step_find(c, name);
    if (s == NULL && (s = step_new(c, name, type)) == NULL) return oom(c), AB_ERROR;
    if (smap_put(&c->seen, s->name, s) != 0) return oom(c), AB_ERROR;
    if (strcmp(s->type, type) != 0)
        return instance_error(c, ERR_VALIDATION_ERROR,
                              "Step \"%s\" changed type between passes (%s, now %s): the "
                              "workflow is not deterministic", name, s->type, type);
    c->anchor = s->name;
    c->emit_n = 0;
    *out = s;
    return AB_OK;
}

static ab_rc step_result(ab_ctx *c, db_step *s, cJSON **out) {
    if (out == NULL) return AB_OK;
    *out = s->result ? cJSON_Parse(s->result) : cJSON_CreateNull();
    if (*out == NULL) return oom(c), AB_ERROR;
    return AB_OK;
}

/* --- retries --------------------------------------------------------------------------- */

typedef struct policy {
    int limit;
    int64_t delay;
    char backoff; /* 'f', 'l', 'e' */
} policy;

static ab_rc resolve_policy(ab_ctx *c, const char *step, const ab_retry *r, policy *p) {
    const ab_retry *w = &c->wf->retry;
    int limit = (r && r->limit) ? r->limit : w->limit ? w->limit : DEFAULT_RETRY_LIMIT;
    const char *delay = (r && r->delay) ? r->delay : w->delay ? w->delay : DEFAULT_RETRY_DELAY;
    const char *backoff = (r && r->backoff) ? r->backoff : w->backoff ? w->backoff : DEFAULT_BACKOFF;
    if (limit < 1)
        return instance_error(c, ERR_VALIDATION_ERROR, "Step \"%s\": retry limit must be >= 1", step);
    if (lim_parse_duration(delay, &p->delay) != 0)
        return instance_error(c, ERR_VALIDATION_ERROR, "Step \"%s\": invalid retry delay \"%s\"",
                              step, delay);
    if (strcmp(backoff, "fixed") == 0) p->backoff = 'f';
    else if (strcmp(backoff, "linear") == 0) p->backoff = 'l';
    else if (strcmp(backoff, "exponential") == 0) p->backoff = 'e';
    else
        return instance_error(c, ERR_VALIDATION_ERROR, "Step \"%s\": invalid backoff \"%s\"", step,
                              backoff);
    p->limit = limit;
    return AB_OK;
}

/* The wait after attempt `attempt` failed (SPEC §8): fixed = delay,
 * linear = delay x attempt, exponential = delay x 2^(attempt-1). */
double eng_backoff_ms(char backoff, int64_t delay, int attempt) {
    double d = (double)delay;
    if (backoff == 'l') return d * attempt;
    if (backoff == 'e') return d * ldexp(1.0, attempt - 1 > 1000 ? 1000 : attempt - 1);
    return d;
}

/* Appends {"attempt","error","timestamp","duration"} to the step's history. */
static int history_add(ab_ctx *c, db_step *s, int attempt, const char *error, double duration) {
    cJSON *h = s->history ? cJSON_Parse(s->history) : cJSON_CreateArray();
    cJSON *e = cJSON_CreateObject();
    if (h == NULL || e == NULL || !cJSON_AddNumberToObject(e, "attempt", attempt) ||
        !cJSON_AddStringToObject(e, "error", error) ||
        !cJSON_AddNumberToObject(e, "timestamp", c->now) ||
        !cJSON_AddNumberToObject(e, "duration", duration) || !cJSON_AddItemToArray(h, e))
        return oom(c);
    s->history = cJSON_PrintUnformatted(h);
    return s->history ? 0 : oom(c);
}

/* Records a failed attempt and applies the retry rules. */
static ab_rc attempt_failed(ab_ctx *c, db_step *s, const policy *p, const char *msg,
                            int permanent, double duration) {
    if (history_add(c, s, s->attempts, msg, duration) != 0) return AB_ERROR;
    s->error = (char *)msg;
    if (!permanent && s->attempts < p->limit) {
        s->status = "sleeping";
        s->wake_at = c->now + eng_backoff_ms(p->backoff, p->delay, s->attempts);
        if (step_save(c, s) != 0) return db_failed(c);
        return suspend(c, "sleeping");
    }
    s->status = "failed";
    s->wake_at = DB_NULL_TIME;
    s->completed_at = c->now;
    if (step_save(c, s) != 0) return db_failed(c);
    if (permanent) return instance_error(c, ERR_STEP_FAILED, "Step \"%s\" failed: %s", s->name, msg);
    return instance_error(c, ERR_STEP_RETRY_EXHAUSTED, "Step \"%s\" failed after %d attempts: %s",
                          s->name, s->attempts, msg);
}

/* Runs the body once for attempt s->attempts and records the outcome. */
static ab_rc run_body(ab_ctx *c, db_step *s, const policy *p, ab_step_fn fn, const cJSON *arg,
                      cJSON **out) {
    cJSON *res = NULL;
    c->mode = MODE_STEP;
    c->attempt = s->attempts;
    c->fail_msg = NULL;
    double t0 = host_now();
    ab_rc rc = fn(c, arg, &res);
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
    if (c->err != ERR_NONE) return AB_ERROR; /* misuse inside the body (nested step...) */

    if (rc == AB_OK) {
        char *text = res ? cJSON_PrintUnformatted(res) : "null";
        if (text == NULL) return oom(c), AB_ERROR;
        int64_t bytes = (int64_t)strlen(text);
        if (bytes > LIM_STEP_RESULT_MAX)
            return attempt_failed(c, s, p,
                                  str_printf("result of %lld bytes exceeds the step result size "
                                             "limit of 1 MiB", (long long)bytes),
                                  1, t1 - t0);
        if (c->inst->result_bytes + bytes > c->result_limit)
            return attempt_failed(c, s, p,
                                  str_printf("result size limit of %lld bytes exceeded (results "
                                             "would total %lld bytes)",
                                             (long long)c->result_limit,
                                             (long long)(c->inst->result_bytes + bytes)),
                                  !c->overflow_retry, t1 - t0);
        s->status = "completed";
        s->result = text;
        s->result_bytes = bytes;
        s->error = NULL;
        s->wake_at = DB_NULL_TIME;
        s->completed_at = t1;
        s->duration = t1 - s->started_at;
        c->inst->result_bytes += bytes;
        if (step_save(c, s) != 0) return db_failed(c);
        if (out) *out = res ? res : cJSON_CreateNull();
        return AB_OK;
    }
    const char *msg = c->fail_msg ? c->fail_msg : "step failed";
    if (rc == AB_FAIL) return attempt_failed(c, s, p, msg, 0, t1 - t0);
    if (rc == AB_FAIL_PERMANENT) return attempt_failed(c, s, p, msg, 1, t1 - t0);
    return attempt_failed(c, s, p, "step body returned an invalid status", 1, t1 - t0);
}

ab_rc ab_do(ab_ctx *c, const char *name, const ab_retry *retry, ab_step_fn fn, const cJSON *arg,
            cJSON **result) {
    db_step *s;
    policy p;
    if (result) *result = NULL;
    AB_TRY(step_enter(c, name, "do", &s));
    if (strcmp(s->status, "completed") == 0) return step_result(c, s, result);
    if (strcmp(s->status, "failed") == 0)
        return instance_error(c, ERR_STEP_FAILED, "Step \"%s\" failed: %s", s->name,
                              s->error ? s->error : "failed");
    AB_TRY(resolve_policy(c, s->name, retry, &p));

    if (strcmp(s->status, "running") == 0 && s->attempts > 0) {
        if (c->died) {
            /* The marker says a body was running when the last event died or
             * trapped: that attempt crashed. */
            c->died = 0;
            c->inst->died = 0;
            c->inst->deaths = 0;
            c->careful = 1; /* the retry runs behind a committed marker */
            c->inst->careful = 1;
            return attempt_failed(c, s, &p, CRASH_MESSAGE, 0, 0);
        }
        /* Armed by a careful pass and committed since: run it now. */
        return run_body(c, s, &p, fn, arg, result);
    }
    if (strcmp(s->status, "sleeping") == 0 && s->wake_at > c->now) return suspend(c, "sleeping");

    /* A fresh attempt: write the marker first, so a crash inside the body is
     * attributed to this step and attempt. */
    s->attempts++;
    s->status = "running";
    if (s->started_at == DB_NULL_TIME) s->started_at = c->now;
    s->wake_at = c->careful ? c->now : DB_NULL_TIME;
    if (step_save(c, s) != 0) return db_failed(c);
    if (c->careful) {
        /* End the pass here; the alarm (due now) runs the body in a new event,
         * after this marker is committed. */
        return suspend(c, "running");
    }
    return run_body(c, s, &p, fn, arg, result);
}

static ab_rc sleep_common(ab_ctx *c, const char *name, const char *type, double at) {
    db_step *s;
    AB_TRY(step_enter(c, name, type, &s));
    if (strcmp(s->status, "completed") == 0) return AB_OK;
    int fresh = strcmp(s->status, "sleeping") != 0;
    if (fresh) {
        s->status = "sleeping";
        s->started_at = c->now;
        s->wake_at = at;
    }
    if (s->wake_at <= c->now) {
        s->status = "completed";
        s->completed_at = c->now;
        s->duration = c->now - s->started_at;
        s->wake_at = DB_NULL_TIME;
        if (step_save(c, s) != 0) return db_failed(c);
        return AB_OK;
    }
    /* Still sleeping: an early or duplicate alarm writes nothing. */
    if (fresh && step_save(c, s) != 0) return db_failed(c);
    return suspend(c, "sleeping");
}

ab_rc ab_sleep(ab_ctx *c, const char *name, const char *duration) {
    int64_t ms;
    if (lim_parse_duration(duration, &ms) != 0)
        return instance_error(c, ERR_VALIDATION_ERROR, "Step \"%s\": invalid duration \"%s\"",
                              name ? name : "", duration ? duration : "(null)");
    db_step *s = step_find(c, name ? name : "");
    /* The wake time is fixed when the sleep is first reached. */
    double at = (s && s->wake_at != DB_NULL_TIME) ? s->wake_at : c->now + (double)ms;
    return sleep_common(c, name, "sleep", at);
}

ab_rc ab_sleep_until(ab_ctx *c, const char *name, double at) {
    if (!isfinite(at))
        return instance_error(c, ERR_VALIDATION_ERROR, "Step \"%s\": invalid wake time",
                              name ? name : "");
    return sleep_common(c, name, "sleep_until", at);
}

ab_rc ab_wait_for_event(ab_ctx *c, const char *event, const char *timeout, cJSON **payload) {
    db_step *s;
    int64_t ms = 0;
    if (payload) *payload = NULL;
    if (timeout && lim_parse_duration(timeout, &ms) != 0)
        return instance_error(c, ERR_VALIDATION_ERROR, "Event \"%s\": invalid timeout \"%s\"",
                              event ? event : "", timeout);
    AB_TRY(step_enter(c, event, "wait_for_event", &s));
    if (strcmp(s->status, "completed") == 0) return step_result(c, s, payload);
    if (strcmp(s->status, "failed") == 0)
        return instance_error(c, ERR_EVENT_TIMEOUT, "Event \"%s\" timed out", s->name);

    char *buffered;
    if (db_event_take(s->name, &buffered) != 0) return db_failed(c);
    if (buffered != NULL) {
        if (strcmp(s->status, "waiting") != 0) s->started_at = c->now;
        s->status = "completed";
        s->result = buffered;
        s->completed_at = c->now;
        s->duration = c->now - s->started_at;
        s->wake_at = DB_NULL_TIME;
        if (step_save(c, s) != 0) return db_failed(c);
        return step_result(c, s, payload);
    }
    if (strcmp(s->status, "waiting") != 0) {
        s->status = "waiting";
        s->started_at = c->now;
        s->wake_at = timeout ? c->now + (double)ms : DB_NULL_TIME;
        if (step_save(c, s) != 0) return db_failed(c);
        return suspend(c, "waiting");
    }
    if (s->wake_at != DB_NULL_TIME && s->wake_at <= c->now) {
        s->status = "failed";
        s->error = str_printf("Event \"%s\" timed out", s->name);
        s->completed_at = c->now;
        s->wake_at = DB_NULL_TIME;
        if (step_save(c, s) != 0) return db_failed(c);
        return instance_error(c, ERR_EVENT_TIMEOUT, "Event \"%s\" timed out", s->name);
    }
    return suspend(c, "waiting");
}

int eng_deliver(eng_state *st, const char *event, const char *payload) {
    for (int i = 0; i < st->nsteps; i++) {
        db_step *s = st->steps[i];
        if (strcmp(s->name, event) != 0) continue;
        if (strcmp(s->type, "wait_for_event") != 0 || strcmp(s->status, "waiting") != 0) return 0;
        double now = host_now();
        s->status = "completed";
        s->result = (char *)payload;
        s->completed_at = now;
        s->duration = now - s->started_at;
        s->wake_at = DB_NULL_TIME;
        return db_step_save(s) == 0 ? 1 : -1;
    }
    return 0;
}

/* --- updates ------------------------------------------------------------------------------ */

static const ab_message_def *find_message(const ab_message_def *defs, const char *name) {
    for (; defs && defs->name; defs++)
        if (strcmp(defs->name, name) == 0) return defs;
    return NULL;
}

/* Validates value against a schema given as JSON text. Returns 0 if valid,
 * 1 with *why set if not, -1 on allocation failure. */
static int check_schema(const char *schema_text, const cJSON *value, cJSON **issues_out) {
    if (schema_text == NULL) return 0;
    cJSON *schema = cJSON_Parse(schema_text);
    cJSON *issues = cJSON_CreateArray();
    if (schema == NULL || issues == NULL) return -1;
    int n = schema_validate(schema, value, issues);
    if (n < 0) return -1;
    if (issues_out) *issues_out = issues;
    return n > 0;
}

/* "path.to.field: message" of the first issue, for error messages. */
static const char *first_issue(const cJSON *issues) {
    const cJSON *i = cJSON_GetArrayItem(issues, 0);
    sb s;
    sb_init(&s);
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(i, "path")) {
        if (s.len) sb_puts(&s, ".");
        if (cJSON_IsString(p)) sb_puts(&s, p->valuestring);
        else sb_printf(&s, "%d", p->valueint);
    }
    sb_printf(&s, "%s%s", s.len ? ": " : "",
              cJSON_GetStringValue(cJSON_GetObjectItem(i, "message")));
    const char *r = sb_str(&s);
    return r ? r : "invalid";
}

static ab_rc send_update(ab_ctx *c, const char *name, const cJSON *value, int persist) {
    if (c->mode == MODE_STEP)
        return instance_error(c, ERR_VALIDATION_ERROR,
                              "Update \"%s\" was sent inside a step body", name ? name : "");
    char *key = str_printf("%s\x1f%d", c->anchor ? c->anchor : "", c->emit_n++);
    if (key == NULL) return oom(c), AB_ERROR;
    if (smap_get(&c->fired, key) != NULL) return AB_OK; /* fired on an earlier pass */
    const ab_message_def *def = name ? find_message(c->wf->updates, name) : NULL;
    if (def == NULL)
        return instance_error(c, ERR_VALIDATION_ERROR,
                              "Update \"%s\" is not declared by workflow \"%s\"",
                              name ? name : "(null)", c->wf->type);
    cJSON *issues = NULL;
    cJSON *null_value = value ? NULL : cJSON_CreateNull();
    int bad = check_schema(def->schema, value ? value : null_value, &issues);
    if (bad < 0) return oom(c), AB_ERROR;
    if (bad)
        return instance_error(c, ERR_VALIDATION_ERROR, "Update \"%s\" is invalid: %s", name,
                              first_issue(issues));
    char *data = value ? cJSON_PrintUnformatted(value) : "null";
    if (data == NULL) return oom(c), AB_ERROR;
    if (!persist && db_fired_add(key) != 0) return db_failed(c);
    if (smap_put(&c->fired, key, key) != 0) return oom(c), AB_ERROR;

    sb f;
    sb_init(&f);
    sb_puts(&f, "{\"event\":");
    sb_json_string(&f, name);
    sb_puts(&f, ",\"data\":");
    sb_json_string(&f, data);
    if (persist) {
        int64_t seq;
        if (db_update_add(name, data, c->now, key, &seq) != 0) return db_failed(c);
        sb_printf(&f, ",\"seq\":%lld", (long long)seq);
    }
    sb_puts(&f, "}");
    char *frame = sb_str(&f);
    if (frame == NULL) return oom(c), AB_ERROR;
    host_ws_send_all(frame, (int32_t)f.len);
    return AB_OK;
}

ab_rc ab_emit(ab_ctx *c, const char *update, const cJSON *value) {
    return send_update(c, update, value, 1);
}

ab_rc ab_broadcast(ab_ctx *c, const char *update, const cJSON *value) {
    return send_update(c, update, value, 0);
}

void eng_close_clients(void) {
    static const char end[] = "{\"event\":\"close\",\"data\":{}}";
    host_ws_send_all(end, (int32_t)sizeof end - 1);
    host_ws_close_all(1000, "workflow ended", 14);
}

/* --- author helpers ------------------------------------------------------------------------ */

static ab_rc fail_common(ab_ctx *c, ab_rc rc, const char *fmt, va_list ap) {
    c->fail_msg = str_vprintf(fmt, ap);
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
void *ab_alloc(ab_ctx *c, size_t n) { return arena_alloc(n); }

char *ab_printf(ab_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *r = str_vprintf(fmt, ap);
    va_end(ap);
    return r;
}

/* --- the pass ----------------------------------------------------------------------------- */

static void index_notify(const db_instance *in) {
    cJSON *e = eng_index_entry(in);
    char *text = e ? cJSON_PrintUnformatted(e) : NULL;
    char *shard = str_printf("__index:%u",
                             (unsigned)(lim_hash(in->id, strlen(in->id)) % ENG_INDEX_SHARDS));
    if (text == NULL || shard == NULL) return;
    host_index_put(shard, (int32_t)strlen(shard), text, (int32_t)strlen(text));
}

void eng_arm_alarm(const eng_state *st) {
    double at = -1;
    if (st->inst && is_runnable(st->inst->status)) {
        for (int i = 0; i < st->nsteps; i++) {
            const db_step *s = st->steps[i];
            if (s->wake_at == DB_NULL_TIME) continue;
            if (strcmp(s->status, "sleeping") && strcmp(s->status, "waiting") &&
                strcmp(s->status, "running"))
                continue;
            if (at < 0 || s->wake_at < at) at = s->wake_at;
        }
    }
    host_set_alarm(at);
}

static int save_instance(eng_state *st, int notify) {
    if (db_instance_save(st->inst) != 0) return -1;
    if (notify) index_notify(st->inst);
    return 0;
}

int eng_run(eng_state *st) {
    db_instance *in = st->inst;
    if (in == NULL || !is_runnable(in->status)) return 0;

    ab_ctx ctx, *c = &ctx;
    memset(c, 0, sizeof ctx);
    c->st = st;
    c->inst = in;
    c->now = host_now();
    c->err = ERR_NONE;
    c->steps_cap = st->nsteps;
    c->died = in->died;
    c->careful = in->careful || in->died;
    const char *old_status = in->status;
    char *old_error = in->error;

    if (smap_init(&c->steps, (size_t)st->nsteps) != 0 || smap_init(&c->seen, (size_t)st->nsteps) != 0)
        return -1;
    for (int i = 0; i < st->nsteps; i++)
        if (smap_put(&c->steps, st->steps[i]->name, st->steps[i]) != 0) return -1;
    cJSON *fired;
    if (db_fired_load(&fired) != 0 || smap_init(&c->fired, (size_t)cJSON_GetArraySize(fired)) != 0)
        return -1;
    for (cJSON *k = fired->child; k; k = k->next)
        if (smap_put(&c->fired, k->valuestring, k) != 0) return -1;

    ab_rc rc;
    cJSON *result = NULL;
    c->wf = eng_find_workflow(in->type);
    if (c->wf == NULL) {
        rc = instance_error(c, ERR_WORKFLOW_TYPE_UNKNOWN,
                            "Workflow type \"%s\" is not registered in this deployment", in->type);
    } else if (in->deaths >= MAX_UNATTRIBUTED_DEATHS) {
        rc = instance_error(c, ERR_INTERNAL_ERROR,
                            "Workflow \"%s\" crashed %d times in a row outside any step body",
                            in->type, in->deaths);
    } else {
        c->result_limit = LIM_DEFAULT_RESULT_LIMIT;
        if (c->wf->result_size_limit &&
            lim_parse_size(c->wf->result_size_limit, &c->result_limit) != 0)
            c->result_limit = LIM_DEFAULT_RESULT_LIMIT;
        c->overflow_retry = c->wf->on_overflow && strcmp(c->wf->on_overflow, "retry") == 0;
        cJSON *payload = cJSON_Parse(in->payload);
        if (payload == NULL) return -1;
        c->mode = MODE_RUN;
        rc = c->wf->run(c, payload, &result);
        if (c->err != ERR_NONE) rc = AB_ERROR;
    }

    switch (rc) {
    case AB_OK: {
        char *text = result ? cJSON_PrintUnformatted(result) : "null";
        if (text == NULL) return -1;
        in->status = "completed";
        in->result = text;
        break;
    }
    case AB_SUSPEND:
        in->status = (char *)c->suspend_status;
        break;
    case AB_FAIL:
    case AB_FAIL_PERMANENT:
        /* The run function returned a step code itself. */
        c->err = ERR_STEP_FAILED;
        c->err_msg = c->fail_msg ? c->fail_msg : "workflow failed";
        /* fallthrough */
    case AB_ERROR:
    default:
        if (c->err == ERR_NONE) {
            c->err = ERR_INTERNAL_ERROR;
            c->err_msg = "workflow returned an invalid status";
        }
        in->status = "errored";
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
    int status_changed = strcmp(old_status, in->status) != 0 || old_error != in->error;
    if (status_changed || c->changed) in->updated_at = host_now();
    if (save_instance(st, status_changed || c->changed) != 0) return -1;
    if (eng_is_ended(in->status)) eng_close_clients();
    eng_arm_alarm(st);
    return 0;
}

int eng_set_status(eng_state *st, const char *status) {
    st->inst->status = (char *)status;
    st->inst->updated_at = host_now();
    if (save_instance(st, 1) != 0) return -1;
    eng_arm_alarm(st);
    return 0;
}

int eng_terminate(eng_state *st) {
    if (db_events_clear() != 0) return -1;
    st->inst->status = "terminated";
    st->inst->updated_at = host_now();
    if (save_instance(st, 1) != 0) return -1;
    host_set_alarm(-1);
    eng_close_clients();
    return 0;
}

/* --- crash detection ----------------------------------------------------------------------- */

int eng_begin(int64_t *gen) {
    db_instance *in;
    uint8_t r[6];
    *gen = 0;
    if (db_instance_load(&in) != 0) return -1;
    if (in == NULL || eng_is_ended(in->status)) return 0;
    host_random(r, 6);
    int64_t g = 1;
    for (int i = 0; i < 6; i++) g = (g << 8) | r[i];
    if (in->event_open != 0) {
        /* The last event that began never finished: it died or trapped. */
        in->died = 1;
        in->deaths++;
    }
    in->event_open = g;
    if (db_instance_save(in) != 0) return -1;
    *gen = g;
    return 0;
}

int eng_finish(eng_state *st, int64_t gen) {
    if (gen == 0 || st->inst == NULL || st->inst->event_open != gen) return 0;
    st->inst->event_open = 0;
    return db_instance_save(st->inst);
}

/* --- JSON shapes ------------------------------------------------------------------------------ */

static cJSON *time_or_null(double t) {
    return t == DB_NULL_TIME ? cJSON_CreateNull() : cJSON_CreateNumber(t);
}

static cJSON *text_or_null(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

static cJSON *raw_or_null(const char *json) {
    /* Stored JSON is embedded as is, without a parse and re-print. */
    return json ? cJSON_CreateRaw(json) : cJSON_CreateNull();
}

static int add(cJSON *o, const char *k, cJSON *v) { return v && cJSON_AddItemToObject(o, k, v); }

static cJSON *step_json(const db_step *s, int timeline) {
    cJSON *o = cJSON_CreateObject();
    int ok = o && add(o, "name", cJSON_CreateString(s->name)) &&
             add(o, "type", cJSON_CreateString(s->type)) &&
             add(o, "status", cJSON_CreateString(s->status));
    if (timeline) {
        ok = ok && add(o, "startedAt", time_or_null(s->started_at)) &&
             add(o, "duration", time_or_null(s->duration)) &&
             add(o, "attempts", cJSON_CreateNumber(s->attempts)) &&
             add(o, "error", text_or_null(s->error)) &&
             add(o, "retryHistory", raw_or_null(s->history));
    } else {
        ok = ok && add(o, "attempts", cJSON_CreateNumber(s->attempts)) &&
             add(o, "result", raw_or_null(strcmp(s->status, "completed") == 0 ? s->result : NULL)) &&
             add(o, "error", text_or_null(s->error)) &&
             add(o, "startedAt", time_or_null(s->started_at)) &&
             add(o, "completedAt", time_or_null(s->completed_at)) &&
             add(o, "duration", time_or_null(s->duration)) &&
             add(o, "wakeAt", time_or_null(s->wake_at)) &&
             add(o, "retryHistory", raw_or_null(s->history));
    }
    return ok ? o : NULL;
}

cJSON *eng_status_json(const eng_state *st) {
    const db_instance *in = st->inst;
    cJSON *o = cJSON_CreateObject();
    cJSON *steps = cJSON_CreateArray();
    int ok = o && steps && add(o, "id", cJSON_CreateString(in->id)) &&
             add(o, "type", cJSON_CreateString(in->type)) &&
             add(o, "status", cJSON_CreateString(in->status)) &&
             add(o, "payload", raw_or_null(in->payload)) &&
             add(o, "result", raw_or_null(in->result)) &&
             add(o, "error", text_or_null(in->error)) &&
             add(o, "errorCode", text_or_null(in->error_code)) && add(o, "steps", steps) &&
             add(o, "createdAt", cJSON_CreateNumber(in->created_at)) &&
             add(o, "updatedAt", cJSON_CreateNumber(in->updated_at));
    for (int i = 0; ok && i < st->nsteps; i++) ok = cJSON_AddItemToArray(steps, step_json(st->steps[i], 0));
    return ok ? o : NULL;
}

static int by_started(const void *a, const void *b) {
    const db_step *x = *(const db_step *const *)a, *y = *(const db_step *const *)b;
    if (x->started_at != y->started_at) return x->started_at < y->started_at ? -1 : 1;
    return x->ord - y->ord;
}

cJSON *eng_timeline_json(const eng_state *st) {
    const db_instance *in = st->inst;
    db_step **sorted = arena_alloc(sizeof *sorted * (size_t)(st->nsteps + 1));
    cJSON *o = cJSON_CreateObject();
    cJSON *tl = cJSON_CreateArray();
    if (sorted == NULL || o == NULL || tl == NULL) return NULL;
    int n = 0;
    for (int i = 0; i < st->nsteps; i++)
        if (strcmp(st->steps[i]->type, "do") == 0 && st->steps[i]->started_at != DB_NULL_TIME)
            sorted[n++] = st->steps[i];
    qsort(sorted, (size_t)n, sizeof *sorted, by_started);
    int ok = add(o, "id", cJSON_CreateString(in->id)) && add(o, "type", cJSON_CreateString(in->type)) &&
             add(o, "status", cJSON_CreateString(in->status)) && add(o, "timeline", tl);
    for (int i = 0; ok && i < n; i++) ok = cJSON_AddItemToArray(tl, step_json(sorted[i], 1));
    return ok ? o : NULL;
}

cJSON *eng_index_entry(const db_instance *in) {
    cJSON *o = cJSON_CreateObject();
    int ok = o && add(o, "id", cJSON_CreateString(in->id)) &&
             add(o, "type", cJSON_CreateString(in->type)) &&
             add(o, "status", cJSON_CreateString(in->status)) &&
             add(o, "createdAt", cJSON_CreateNumber(in->created_at)) &&
             add(o, "updatedAt", cJSON_CreateNumber(in->updated_at));
    return ok ? o : NULL;
}

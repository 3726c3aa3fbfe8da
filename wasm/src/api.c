/* api.c — see api.h. */
#include "api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "eng.h"
#include "host.h"
#include "json.h"
#include "lim.h"
#include "route.h"
#include "sb.h"

/* --- answers -------------------------------------------------------------------- */

static int not_found(cx *X, http_response *res, const char *id) {
    return http_error(X, res, ERR_WORKFLOW_NOT_FOUND, sb_fmt(X, "Workflow \"%s\" not found", id), NULL);
}

static int issues_error(cx *X, http_response *res, err_code code, const char *msg,
                        const char *event, cJSON *issues) {
    cJSON *d = cJSON_CreateObject();
    if (d == NULL) return http_oom(res);
    if (event) cJSON_AddStringToObject(d, "event", event);
    cJSON_AddItemToObject(d, "issues", issues ? issues : cJSON_CreateArray());
    return http_error(X, res, code, msg, d);
}

static int not_running(cx *X, http_response *res, const db_instance *in) {
    const char *status = state_inst_name(in->status);
    cJSON *d = cJSON_CreateObject();
    if (d) cJSON_AddStringToObject(d, "currentStatus", status);
    return http_error(X, res, ERR_WORKFLOW_NOT_RUNNING,
                      sb_fmt(X, "Workflow \"%s\" is %s", in->id, status), d);
}

static int status_response(cx *X, http_response *res, int code, const eng_state *st) {
    cJSON *s = eng_status_json(X, st->inst, st->steps, st->nsteps);
    if (s == NULL) return http_oom(res);
    return http_json_value(X, res, code, s);
}

/* Loads the instance named by the route; answers (404 or the failure) and
 * returns -1 if there is none. */
static int load(cx *X, const route_match *m, eng_state *st, http_response *res) {
    if (eng_load(X, st) != CX_OK) {
        http_fail(X, res);
        return -1;
    }
    if (st->inst == NULL || (m->instance && strcmp(st->inst->id, m->instance) != 0)) {
        not_found(X, res, m->instance ? m->instance : "(unknown)");
        return -1;
    }
    return 0;
}

/* --- routes ----------------------------------------------------------------------- */

static int create(cx *X, const http_request *req, http_response *res) {
    cJSON *body;
    const char *why;
    cJSON *details;
    err_code e = http_parse_body(X, req, 0, &body, &why, &details);
    if (e != ERR_NONE) return http_error(X, res, e, why, details);
    const char *type, *id;
    if (http_create_envelope(X, res, body, &type, &id) != 0) return res->status;
    const ab_workflow *wf = eng_find_workflow(type);
    if (wf == NULL)
        return http_error(X, res, ERR_WORKFLOW_TYPE_UNKNOWN,
                          sb_fmt(X, "Unknown workflow type \"%s\"", type), NULL);
    /* The worker entry generated the id when the body has none. */
    if (id == NULL) id = http_header(req, "x-ablauf-id");
    cJSON *issues;
    if (id == NULL || !lim_valid_id(id))
        return http_error(X, res, ERR_VALIDATION_ERROR, "Missing workflow id", NULL);

    cJSON *payload = cJSON_GetObjectItemCaseSensitive(body, "payload");
    if (payload == NULL) payload = cJSON_CreateObject(); /* omitted payload means {} */
    int bad = eng_check_value(X, wf, "input", wf->input_schema, payload, &issues);
    if (bad < 0) return http_fail(X, res);
    if (bad)
        return issues_error(X, res, ERR_VALIDATION_ERROR,
                            sb_fmt(X, "Payload does not match the input schema of \"%s\"", wf->type),
                            NULL, issues);

    eng_state st;
    if (eng_load(X, &st) != CX_OK) return http_fail(X, res);
    if (st.inst != NULL) {
        if (strcmp(st.inst->type, wf->type) == 0) return status_response(X, res, 200, &st);
        cJSON *d = cJSON_CreateObject();
        if (d) cJSON_AddStringToObject(d, "existingType", st.inst->type);
        return http_error(X, res, ERR_WORKFLOW_ALREADY_EXISTS,
                          sb_fmt(X, "Workflow \"%s\" already exists with type \"%s\"", id, st.inst->type), d);
    }
    char *text = json_print(X, payload);
    if (text == NULL) return http_oom(res);
    if (eng_create(X, &st, id, wf, text) != CX_OK || eng_run(X, &st) != CX_OK) return http_fail(X, res);
    return status_response(X, res, 201, &st);
}

static int event(cx *X, const http_request *req, const route_match *m, http_response *res) {
    eng_state st;
    if (load(X, m, &st, res) != 0) return res->status;
    const ab_workflow *wf = eng_find_workflow(st.inst->type);
    const ab_message_def *def = NULL;
    for (const ab_message_def *d = wf ? wf->events : NULL; d && d->name; d++)
        if (strcmp(d->name, m->event) == 0) def = d;
    if (def == NULL)
        return issues_error(X, res, ERR_EVENT_INVALID,
                            sb_fmt(X, "Event \"%s\" is not declared by workflow \"%s\"", m->event,
                                   st.inst->type), m->event, NULL);
    cJSON *payload;
    const char *why;
    cJSON *details;
    err_code e = http_parse_body(X, req, 1, &payload, &why, &details);
    if (e != ERR_NONE) return http_error(X, res, e, why, details);
    if (payload == NULL) payload = cJSON_CreateNull();
    cJSON *issues;
    char *which = sb_fmt(X, "event \"%s\"", def->name);
    if (which == NULL) return http_oom(res);
    int bad = eng_check_value(X, wf, which, def->schema, payload, &issues);
    if (bad < 0) return http_fail(X, res);
    if (bad)
        return issues_error(X, res, ERR_EVENT_INVALID,
                            sb_fmt(X, "Payload of event \"%s\" does not match its schema", m->event),
                            m->event, issues);
    if (state_inst_ended(st.inst->status)) return not_running(X, res, st.inst);

    char *text = json_print(X, payload);
    if (text == NULL) return http_oom(res);
    int delivered = 0;
    if (st.inst->status != INST_PAUSED && eng_deliver(X, &st, m->event, text, &delivered) != CX_OK)
        return http_fail(X, res);
    if (delivered) {
        if (eng_run(X, &st) != CX_OK) return http_fail(X, res);
    } else if (db_event_put(X, m->event, text, host_now()) != CX_OK) {
        /* Last write wins per event name; consumed when the wait is reached. */
        return http_fail(X, res);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *s = eng_status_json(X, st.inst, st.steps, st.nsteps);
    if (o == NULL || s == NULL || !cJSON_AddStringToObject(o, "delivery", delivered ? "resumed" : "buffered") ||
        !cJSON_AddItemToObject(o, "status", s))
        return http_oom(res);
    return http_json_value(X, res, 202, o);
}

static int lifecycle(cx *X, const route_match *m, http_response *res) {
    eng_state st;
    if (load(X, m, &st, res) != 0) return res->status;
    inst_status status = st.inst->status;
    /* An ended instance has no timers: _advance just reports it. */
    if (m->id == R_ADVANCE && state_inst_ended(status)) return status_response(X, res, 200, &st);
    if (state_inst_ended(status)) return not_running(X, res, st.inst);
    int rc = CX_OK;
    switch (m->id) {
    case R_PAUSE:
        if (status != INST_PAUSED) rc = eng_set_status(X, &st, INST_PAUSED);
        break;
    case R_RESUME:
        if (status == INST_PAUSED) {
            st.inst->status = INST_RUNNING;
            rc = eng_run(X, &st);
        }
        break;
    case R_TERMINATE: rc = eng_terminate(X, &st); break;
    case R_ADVANCE:
        rc = db_steps_advance(X, host_now());
        if (rc == CX_OK) rc = eng_load(X, &st);
        if (rc == CX_OK) rc = eng_run(X, &st);
        break;
    default: break;
    }
    if (rc != CX_OK) return http_fail(X, res);
    return status_response(X, res, 200, &st);
}

/* ?name= as a non-negative integer (absent: 0); -1 if malformed. */
static int64_t count_param(cx *X, const http_request *req, const char *name, int64_t max) {
    int bad = 0;
    const char *a = http_query(X, req, name, &bad);
    if (bad) return -1;
    if (a == NULL || *a == '\0') return 0;
    return lim_parse_digits(a, strlen(a), max);
}

static int64_t after_param(cx *X, const http_request *req) {
    return count_param(X, req, "after", INT64_MAX);
}

/* An array of pointers to the n rows (what the JSON shapes take). */
static db_step **pointers(cx *X, db_step *rows, int n) {
    db_step **p = cx_alloc(X, sizeof *p * (size_t)(n + 1));
    for (int i = 0; p && i < n; i++) p[i] = &rows[i];
    return p;
}

/* GET Status and timeline read one page of steps from storage, never the
 * whole history: ?stepsCursor=<ord> (Status) and ?cursor=<startedAt>~<ord>
 * (timeline), from the stepsNext / next of the previous page. */
static int read_page(cx *X, const http_request *req, const route_match *m, http_response *res) {
    db_instance *in;
    db_step *rows;
    int n, rc;
    if (db_instance_load(X, &in) != CX_OK) return http_fail(X, res);
    if (in == NULL || strcmp(in->id, m->instance) != 0) return not_found(X, res, m->instance);
    if (m->id == R_STATUS) {
        int64_t after = count_param(X, req, "stepsCursor", INT32_MAX);
        if (after < 0)
            return http_error(X, res, ERR_VALIDATION_ERROR, "stepsCursor must be a stepsNext value", NULL);
        rc = db_steps_page(X, (int)after, ENG_STEPS_PAGE + 1, &rows, &n);
    } else {
        int bad = 0;
        const char *cur = http_query(X, req, "cursor", &bad);
        const char *tilde = cur ? strchr(cur, '~') : NULL;
        int64_t at = tilde ? lim_parse_digits(cur, (size_t)(tilde - cur), INT64_MAX) : -1;
        int64_t ord = tilde ? lim_parse_digits(tilde + 1, strlen(tilde + 1), INT32_MAX) : -1;
        if (bad || (cur && (at < 0 || ord < 0)))
            return http_error(X, res, ERR_VALIDATION_ERROR, "cursor must be a next value of the timeline", NULL);
        rc = db_timeline_page(X, cur ? (double)at : DB_NULL_TIME, cur ? (int)ord : 0,
                              ENG_STEPS_PAGE + 1, &rows, &n);
    }
    if (rc != CX_OK) return http_fail(X, res);
    db_step **p = pointers(X, rows, n);
    if (p == NULL) return http_oom(res);
    cJSON *o = m->id == R_STATUS ? eng_status_json(X, in, p, n) : eng_timeline_json(X, in, p, n);
    if (o == NULL) return http_oom(res);
    return http_json_value(X, res, 200, o);
}

static int updates(cx *X, const http_request *req, const route_match *m, http_response *res) {
    eng_state st;
    db_update *rows;
    int n;
    int64_t after = after_param(X, req);
    if (after < 0)
        return http_error(X, res, ERR_VALIDATION_ERROR, "after must be a non-negative integer", NULL);
    if (load(X, m, &st, res) != 0) return res->status;
    if (db_updates_after(X, after, &rows, &n) != CX_OK) return http_fail(X, res);
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "updates");
    if (list == NULL) return http_oom(res);
    for (int i = 0; i < n; i++) {
        cJSON *u = cJSON_CreateObject();
        if (u == NULL || !cJSON_AddNumberToObject(u, "seq", (double)rows[i].seq) ||
            !cJSON_AddStringToObject(u, "event", rows[i].name) ||
            !cJSON_AddStringToObject(u, "data", rows[i].data) ||
            !cJSON_AddNumberToObject(u, "createdAt", rows[i].created_at) ||
            !cJSON_AddItemToArray(list, u))
            return http_oom(res);
    }
    return http_json_value(X, res, 200, o);
}

static int websocket(cx *X, const http_request *req, const route_match *m, http_response *res) {
    const char *up = http_header(req, "upgrade");
    if (up == NULL || strcasecmp(up, "websocket") != 0) {
        /* 426 has no code of its own in the catalog: a validation error
         * answered with the status that tells clients what to do. */
        return http_error_status(X, res, 426, ERR_VALIDATION_ERROR, "Expected Upgrade: websocket", NULL);
    }
    int64_t after = after_param(X, req);
    if (after < 0)
        return http_error(X, res, ERR_VALIDATION_ERROR, "after must be a non-negative integer", NULL);
    eng_state st;
    if (load(X, m, &st, res) != 0) return res->status;
    const ab_workflow *wf = eng_find_workflow(st.inst->type);

    cJSON *ws = cJSON_CreateObject();
    cJSON *frames = cJSON_AddArrayToObject(ws, "frames");
    if (frames == NULL) return http_oom(res);
    if (wf == NULL || wf->updates == NULL || wf->updates[0].name == NULL) {
        cJSON_AddNumberToObject(ws, "close", 1008);
        cJSON_AddStringToObject(ws, "reason", "workflow declares no updates");
    } else {
        db_update *rows;
        int n;
        if (db_updates_after(X, after, &rows, &n) != CX_OK) return http_fail(X, res);
        for (int i = 0; i < n; i++) {
            char *f = eng_frame_update(X, rows[i].name, rows[i].data, rows[i].seq);
            if (f == NULL || !cJSON_AddItemToArray(frames, cJSON_CreateString(f))) return http_oom(res);
        }
        if (state_inst_ended(st.inst->status)) {
            cJSON_AddItemToArray(frames, cJSON_CreateString(ENG_FRAME_END));
            cJSON_AddNumberToObject(ws, "close", 1000);
            cJSON_AddStringToObject(ws, "reason", "workflow ended");
        }
    }
    res->status = 101;
    res->meta = cJSON_CreateObject();
    if (res->meta == NULL || !cJSON_AddItemToObject(res->meta, "websocket", ws)) return http_oom(res);
    return 101;
}

/* Everything the instance's storage holds, for the replay tool
 * (docs/testing.md): {"format", "schemaVersion", "id", "tables"}. Behind the
 * API token like every route. */
static int export(cx *X, const route_match *m, http_response *res) {
    db_instance *in;
    sb out;
    if (db_instance_load(X, &in) != CX_OK) return http_fail(X, res);
    if (in == NULL || strcmp(in->id, m->instance) != 0) return not_found(X, res, m->instance);
    sb_init(X, &out);
    sb_printf(&out, "{\"format\":\"ablauf-export\",\"schemaVersion\":%d,\"id\":", DB_SCHEMA_VERSION);
    json_put_string(&out, in->id);
    sb_puts(&out, ",\"tables\":");
    if (db_export(X, &out) != CX_OK) return http_fail(X, res);
    sb_puts(&out, "}");
    char *body = sb_str(&out);
    if (body == NULL) return http_oom(res);
    res->status = 200;
    res->body = body;
    res->body_len = out.len;
    return 200;
}

/* --- index shards ----------------------------------------------------------------- */

static int index_put(cx *X, const http_request *req, http_response *res) {
    cJSON *j;
    const char *why;
    db_entry e;
    if (http_parse_body(X, req, 0, &j, &why, NULL) != ERR_NONE)
        return http_error(X, res, ERR_VALIDATION_ERROR, why, NULL);
    e.id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
    e.type = cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"));
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(j, "status"));
    const cJSON *c = cJSON_GetObjectItem(j, "createdAt"), *u = cJSON_GetObjectItem(j, "updatedAt");
    if (!e.id || !e.type || state_inst_parse(status, &e.status) != 0 || !cJSON_IsNumber(c) ||
        !cJSON_IsNumber(u))
        return http_error(X, res, ERR_VALIDATION_ERROR, "Malformed index entry", NULL);
    e.created_at = c->valuedouble;
    e.updated_at = u->valuedouble;
    if (db_index_put(X, &e) != CX_OK) return http_fail(X, res);
    return http_json(res, 200, "{}");
}

/* Answers the shard's page as an array of IndexEntry (edge_merge reads it). */
static int index_list(cx *X, const http_request *req, http_response *res) {
    int bad = 0;
    const char *type = http_query(X, req, "type", &bad);
    const char *status = http_query(X, req, "status", &bad);
    const char *limit = http_query(X, req, "limit", &bad);
    const char *at = http_query(X, req, "cursorAt", &bad);
    const char *cid = http_query(X, req, "cursorId", &bad);
    if (bad) return http_error(X, res, ERR_VALIDATION_ERROR, "Malformed query", NULL);
    db_entry *rows;
    int n;
    if (db_index_list(X, type, status, at ? strtod(at, NULL) : DB_NULL_TIME, cid,
                      limit ? atoi(limit) : 100, &rows, &n) != CX_OK)
        return http_fail(X, res);
    cJSON *list = cJSON_CreateArray();
    if (list == NULL) return http_oom(res);
    for (int i = 0; i < n; i++)
        if (!cJSON_AddItemToArray(list, eng_entry_json(X, &rows[i]))) return http_oom(res);
    return http_json_value(X, res, 200, list);
}

/* --- dispatch ------------------------------------------------------------------------ */

/* An instance left "running" is not at rest. With work due now (a careful
 * pass armed a step after a crash, a long pass reached its budget) ask the
 * host to commit and settle: run the next pass now (api_settle). Waiting for
 * I/O the host performs, say "busy": the host answers once an outcome has
 * brought the instance to rest, or after a while with it still running. */
static void settle_if_armed(const db_instance *in, http_response *res) {
    if (in == NULL || in->status != INST_RUNNING) return;
    if (res->status < 200 || res->status >= 300) return;
    if (res->meta == NULL && (res->meta = cJSON_CreateObject()) == NULL) return;
    int due = in->timer_at != DB_NULL_TIME && in->timer_at <= host_now();
    cJSON_AddTrueToObject(res->meta, due ? "settle" : "busy");
}

static int dispatch(cx *X, const http_request *req, http_response *res) {
    route_match m;
    const char *why;
    if (db_migrate(X) != CX_OK) return http_fail(X, res);
    err_code e = route_parse(X, req, 1, &m, &why);
    if (e != ERR_NONE) return http_error(X, res, e, why, NULL);
    switch (m.id) {
    case R_CREATE: return create(X, req, res);
    case R_STATUS:
    case R_TIMELINE: return read_page(X, req, &m, res);
    case R_EVENT: return event(X, req, &m, res);
    case R_PAUSE:
    case R_RESUME:
    case R_TERMINATE:
    case R_ADVANCE: return lifecycle(X, &m, res);
    case R_UPDATES: return updates(X, req, &m, res);
    case R_WS:
    case R_OBJECT_WS: return websocket(X, req, &m, res);
    case R_EXPORT: return export(X, &m, res);
    case R_INDEX_PUT: return index_put(X, req, res);
    case R_INDEX_LIST: return index_list(X, req, res);
    case R_NONE:
    case R_DASHBOARD:
    case R_CLIENT_JS:
    case R_TYPES:
    case R_LIST: break; /* served by the worker entry, never by an object */
    }
    return http_error(X, res, ERR_RESOURCE_NOT_FOUND, "Not found", NULL);
}

/* A failed event (out of memory, storage error) may have written part of
 * its work first: a statement can run and the engine fail right after. The
 * alarm brings the instance back to rest soon; a pass with nothing due writes
 * nothing and re-arms the earliest timer. */
#define RETRY_AFTER_FAILURE_MS 1000

static void retry_soon(void) { host_set_alarm(host_now() + RETRY_AFTER_FAILURE_MS); }

/* The end of every event that may have written: clear this event's mark,
 * offer the outbox and set the alarm, and (res given) ask the host to settle
 * an instance left with work due now. The answer is already built; this needs
 * a clean record and may fail without changing it. */
static void finish_event(cx *X, int64_t gen, http_response *res) {
    db_instance *in;
    cx_clear(X);
    if (db_instance_load(X, &in) != CX_OK || in == NULL) return; /* an index shard */
    eng_finish(X, in, gen);
    eng_offer(X, in);
    if (res) settle_if_armed(in, res);
}

void api_handle(cx *X, const http_request *req, int64_t gen, http_response *res) {
    dispatch(X, req, res);
    if (gen != 0 || strcmp(req->method, "GET") != 0) finish_event(X, gen, res); /* a GET runs nothing */
    if (res->status >= 500) retry_soon();
}

void api_settle(cx *X, int64_t gen, int status, int run, const char *prev, size_t len,
                http_response *res) {
    eng_state st;
    if (eng_load(X, &st) != CX_OK || st.inst == NULL || (run && eng_run(X, &st) != CX_OK)) {
        http_fail(X, res);
        finish_event(X, gen, NULL);
        retry_soon();
        return;
    }
    /* Re-render the first answer with the instance as it is now: either the
     * Status itself or {"delivery", "status": Status}. */
    cJSON *body = cJSON_ParseWithLength(prev, len);
    cJSON *fresh = eng_status_json(X, st.inst, st.steps, st.nsteps);
    if (body == NULL || fresh == NULL) {
        http_oom(res);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(body, "delivery") != NULL) {
        cJSON_ReplaceItemInObjectCaseSensitive(body, "status", fresh);
        http_json_value(X, res, status, body);
    } else {
        http_json_value(X, res, status, fresh);
    }
    finish_event(X, gen, res);
}

void api_alarm(cx *X, int64_t gen) {
    eng_state st;
    db_instance *in;
    if (db_migrate(X) != CX_OK || db_instance_load(X, &in) != CX_OK) {
        retry_soon(); /* the platform consumed this alarm */
        return;
    }
    if (in == NULL) return;
    /* An instance that cannot run (ended, paused) only has its outbox to
     * deliver: its history is not read at all. */
    if (!state_inst_runnable(in->status)) {
        finish_event(X, gen, NULL);
        return;
    }
    if (eng_load(X, &st) != CX_OK) {
        retry_soon();
        return;
    }
    int rc = eng_run(X, &st);
    finish_event(X, gen, NULL);
    if (rc != CX_OK) retry_soon();
}

void api_io(cx *X, int64_t gen, const char *body, size_t len, http_response *res) {
    eng_state st;
    int stored;
    cJSON *outcomes = cJSON_ParseWithLength(body, len);
    if (outcomes == NULL) {
        http_oom(res);
        return;
    }
    if (db_migrate(X) != CX_OK || eng_load(X, &st) != CX_OK ||
        (st.inst && !state_inst_ended(st.inst->status) &&
         (eng_io_outcomes(X, &st, outcomes, &stored) != CX_OK || eng_run(X, &st) != CX_OK))) {
        http_fail(X, res);
        finish_event(X, gen, NULL);
        retry_soon();
        return;
    }
    http_json_value(X, res, 200, cJSON_CreateObject());
    finish_event(X, gen, res);
}

void api_ack(cx *X, const char *body, size_t len) {
    cJSON *delivered = cJSON_ParseWithLength(body, len);
    if (delivered != NULL && eng_ack(X, delivered) != CX_OK) retry_soon();
}

void api_recover(cx *X, const char *step, int attempt) {
    eng_state st;
    if (db_migrate(X) != CX_OK || eng_load(X, &st) != CX_OK || st.inst == NULL) return;
    if (state_inst_ended(st.inst->status) || st.inst->status == INST_PAUSED) return;
    if (step != NULL && attempt > 0 && eng_mark_crashed_body(X, &st, step, attempt) != CX_OK) return;
    /* The trapped call may have carried no event mark (a create's first
     * pass has none): record the death here, so the recovery pass blames the
     * step left running instead of re-running its attempt unrecorded. */
    if (!st.inst->died) {
        st.inst->died = 1;
        db_instance_save(X, st.inst);
    }
    host_set_alarm(host_now());
}

int api_ws_close_code(int code) {
    if (code == 1000 || (code >= 3000 && code <= 4999)) return code;
    if (code >= 1001 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) return code;
    return 1000;
}

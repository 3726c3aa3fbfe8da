/* api.c — see api.h. */
#include "api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "eng.h"
#include "host.h"
#include "lim.h"
#include "route.h"
#include "sb.h"
#include "schema.h"

err_code api_parse_body(const http_request *req, int allow_empty, cJSON **out, const char **why) {
    *out = NULL;
    if (req->body_too_large || req->body_len > LIM_BODY_MAX) {
        *why = "Request body exceeds 1 MiB";
        return ERR_PAYLOAD_TOO_LARGE;
    }
    size_t i = 0;
    while (i < req->body_len && strchr(" \t\r\n", req->body[i])) i++;
    if (i == req->body_len) {
        if (allow_empty) return ERR_NONE;
        *why = "Request body must be JSON";
        return ERR_VALIDATION_ERROR;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
    if (v == NULL) {
        size_t at = end ? (size_t)(end - req->body) : 0;
        *why = str_printf("Malformed JSON body (at byte %zu)", at);
        if (*why == NULL) *why = "Malformed JSON body";
        return ERR_VALIDATION_ERROR;
    }
    if (lim_json_depth(v, LIM_JSON_DEPTH) > LIM_JSON_DEPTH) {
        *why = "JSON nesting deeper than 64 levels";
        return ERR_VALIDATION_ERROR;
    }
    *out = v;
    return ERR_NONE;
}

static int not_found(http_response *res, const char *id) {
    return http_error(res, ERR_WORKFLOW_NOT_FOUND, str_printf("Workflow \"%s\" not found", id), NULL);
}

static int storage_error(http_response *res) {
    const char *msg = str_printf("Storage error: %s", db_error());
    if (msg != NULL) host_log(3, msg, (int32_t)strlen(msg)); /* for the operator's logs */
    return http_error(res, ERR_INTERNAL_ERROR, msg, NULL);
}

static int issues_error(http_response *res, err_code code, const char *msg, const char *event,
                         cJSON *issues) {
    cJSON *d = cJSON_CreateObject();
    if (d == NULL) return http_oom(res);
    if (event) cJSON_AddStringToObject(d, "event", event);
    cJSON_AddItemToObject(d, "issues", issues ? issues : cJSON_CreateArray());
    return http_error(res, code, msg, d);
}

static int not_running(http_response *res, const db_instance *in) {
    cJSON *d = cJSON_CreateObject();
    if (d) cJSON_AddStringToObject(d, "currentStatus", in->status);
    return http_error(res, ERR_WORKFLOW_NOT_RUNNING,
               str_printf("Workflow \"%s\" is %s", in->id, in->status), d);
}

static int status_response(http_response *res, int code, const eng_state *st) {
    cJSON *s = eng_status_json(st);
    if (s == NULL) return http_oom(res);
    return http_json_value(res, code, s);
}

/* Loads the instance named by the route; answers 404 and returns -1 if
 * there is none. */
static int load(const route_match *m, eng_state *st, http_response *res) {
    if (eng_load(st) != 0) return storage_error(res), -1;
    if (st->inst == NULL || (m->instance && strcmp(st->inst->id, m->instance) != 0)) {
        not_found(res, m->instance ? m->instance : "(unknown)");
        return -1;
    }
    return 0;
}

/* Validates value against schema text; 0 valid, 1 invalid (*issues), -1 oom. */
static int validate(const char *schema_text, const cJSON *value, cJSON **issues) {
    *issues = cJSON_CreateArray();
    if (*issues == NULL) return -1;
    if (schema_text == NULL) return 0;
    cJSON *schema = cJSON_Parse(schema_text);
    if (schema == NULL) return -1;
    int n = schema_validate(schema, value, *issues);
    return n < 0 ? -1 : n > 0;
}

static int create(const http_request *req, http_response *res) {
    cJSON *body;
    const char *why;
    err_code e = api_parse_body(req, 0, &body, &why);
    if (e != ERR_NONE) return http_error(res, e, why, NULL);
    if (!cJSON_IsObject(body)) return http_error(res, ERR_VALIDATION_ERROR, "Request body must be a JSON object", NULL);

    cJSON *issues = cJSON_CreateArray();
    if (issues == NULL) return http_oom(res);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "type");
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(body, "id");
    if (!cJSON_IsString(type)) http_issue(issues, "type", "must be string");
    if (jid && !cJSON_IsNull(jid) && (!cJSON_IsString(jid) || !lim_valid_id(jid->valuestring)))
        http_issue(issues, "id", "must be 1 to 128 characters of A-Z a-z 0-9 . _ : @ -, not starting with __");
    if (cJSON_GetArraySize(issues) > 0)
        return issues_error(res, ERR_VALIDATION_ERROR, "Invalid create request", NULL, issues);

    const ab_workflow *wf = eng_find_workflow(type->valuestring);
    if (wf == NULL)
        return http_error(res, ERR_WORKFLOW_TYPE_UNKNOWN,
                          str_printf("Unknown workflow type \"%s\"", type->valuestring), NULL);
    const char *id = cJSON_IsString(jid) ? jid->valuestring : http_header(req, "x-ablauf-id");
    if (id == NULL || !lim_valid_id(id))
        return http_error(res, ERR_VALIDATION_ERROR, "Missing workflow id", NULL);

    cJSON *payload = cJSON_GetObjectItemCaseSensitive(body, "payload");
    if (payload == NULL) payload = cJSON_CreateObject(); /* omitted payload means {} */
    int bad = validate(wf->input_schema, payload, &issues);
    if (bad < 0) return http_oom(res);
    if (bad)
        return issues_error(res, ERR_VALIDATION_ERROR,
                            str_printf("Payload does not match the input schema of \"%s\"", wf->type),
                            NULL, issues);

    eng_state st;
    if (eng_load(&st) != 0) return storage_error(res);
    if (st.inst != NULL) {
        if (strcmp(st.inst->type, wf->type) == 0) return status_response(res, 200, &st);
        cJSON *d = cJSON_CreateObject();
        if (d) cJSON_AddStringToObject(d, "existingType", st.inst->type);
        return http_error(res, ERR_WORKFLOW_ALREADY_EXISTS,
                          str_printf("Workflow \"%s\" already exists with type \"%s\"", id,
                                     st.inst->type), d);
    }
    char *text = cJSON_PrintUnformatted(payload);
    if (text == NULL) return http_oom(res);
    if (eng_create(&st, id, wf, text) != 0 || eng_run(&st) != 0) return storage_error(res);
    return status_response(res, 201, &st);
}

static int event(const http_request *req, const route_match *m, http_response *res) {
    eng_state st;
    if (load(m, &st, res) != 0) return res->status;
    const ab_workflow *wf = eng_find_workflow(st.inst->type);
    const ab_message_def *def = NULL;
    for (const ab_message_def *d = wf ? wf->events : NULL; d && d->name; d++)
        if (strcmp(d->name, m->event) == 0) def = d;
    if (def == NULL)
        return issues_error(res, ERR_EVENT_INVALID,
                            str_printf("Event \"%s\" is not declared by workflow \"%s\"", m->event,
                                       st.inst->type), m->event, NULL);
    cJSON *payload;
    const char *why;
    err_code e = api_parse_body(req, 1, &payload, &why);
    if (e != ERR_NONE) return http_error(res, e, why, NULL);
    if (payload == NULL) payload = cJSON_CreateNull();
    cJSON *issues;
    int bad = validate(def->schema, payload, &issues);
    if (bad < 0) return http_oom(res);
    if (bad)
        return issues_error(res, ERR_EVENT_INVALID,
                            str_printf("Payload of event \"%s\" does not match its schema", m->event),
                            m->event, issues);
    if (eng_is_ended(st.inst->status)) return not_running(res, st.inst);

    char *text = cJSON_PrintUnformatted(payload);
    if (text == NULL) return http_oom(res);
    const char *delivery = "buffered";
    int r = strcmp(st.inst->status, "paused") == 0 ? 0 : eng_deliver(&st, m->event, text);
    if (r < 0) return storage_error(res);
    if (r == 1) {
        delivery = "resumed";
        if (eng_run(&st) != 0) return storage_error(res);
    } else {
        /* Last write wins per event name; consumed when the wait is reached. */
        if (db_event_put(m->event, text, host_now()) != 0) return storage_error(res);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *s = eng_status_json(&st);
    if (o == NULL || s == NULL || !cJSON_AddStringToObject(o, "delivery", delivery) ||
        !cJSON_AddItemToObject(o, "status", s))
        return http_oom(res);
    return http_json_value(res, 202, o);
}

static int lifecycle(const route_match *m, http_response *res) {
    eng_state st;
    if (load(m, &st, res) != 0) return res->status;
    const char *status = st.inst->status;
    /* An ended instance has no timers: _advance just reports it. */
    if (m->id == R_ADVANCE && eng_is_ended(status)) return status_response(res, 200, &st);
    if (eng_is_ended(status)) return not_running(res, st.inst);
    int rc = 0;
    switch (m->id) {
    case R_PAUSE:
        if (strcmp(status, "paused") != 0) rc = eng_set_status(&st, "paused");
        break;
    case R_RESUME:
        if (strcmp(status, "paused") == 0) {
            st.inst->status = "running";
            rc = eng_run(&st);
        }
        break;
    case R_TERMINATE: rc = eng_terminate(&st); break;
    case R_ADVANCE:
        rc = db_steps_advance(host_now());
        if (rc == 0) rc = eng_load(&st);
        if (rc == 0) rc = eng_run(&st);
        break;
    default: break;
    }
    if (rc != 0) return storage_error(res);
    return status_response(res, 200, &st);
}

/* ?after= as a non-negative integer; -1 if malformed. */
static int64_t after_param(const http_request *req) {
    int bad = 0;
    const char *a = http_query(req, "after", &bad);
    if (bad) return -1;
    if (a == NULL || *a == '\0') return 0;
    int64_t v = 0;
    for (const char *p = a; *p; p++) {
        if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

static int updates(const http_request *req, const route_match *m, http_response *res) {
    eng_state st;
    cJSON *rows;
    int64_t after = after_param(req);
    if (after < 0) return http_error(res, ERR_VALIDATION_ERROR, "after must be a non-negative integer", NULL);
    if (load(m, &st, res) != 0) return res->status;
    if (db_updates_after(after, &rows) != 0) return storage_error(res);
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "updates");
    if (list == NULL) return http_oom(res);
    for (cJSON *r = rows->child; r; r = r->next) {
        cJSON *u = cJSON_CreateObject();
        if (u == NULL ||
            !cJSON_AddNumberToObject(u, "seq", cJSON_GetArrayItem(r, 0)->valuedouble) ||
            !cJSON_AddStringToObject(u, "event", cJSON_GetArrayItem(r, 1)->valuestring) ||
            !cJSON_AddStringToObject(u, "data", cJSON_GetArrayItem(r, 2)->valuestring) ||
            !cJSON_AddNumberToObject(u, "createdAt", cJSON_GetArrayItem(r, 3)->valuedouble) ||
            !cJSON_AddItemToArray(list, u))
            return http_oom(res);
    }
    return http_json_value(res, 200, o);
}

/* A frame of SPEC §6 for a persisted update row [seq, name, data, created]. */
static cJSON *update_frame(const cJSON *r) {
    sb f;
    sb_init(&f);
    sb_puts(&f, "{\"event\":");
    sb_json_string(&f, cJSON_GetArrayItem(r, 1)->valuestring);
    sb_puts(&f, ",\"data\":");
    sb_json_string(&f, cJSON_GetArrayItem(r, 2)->valuestring);
    sb_printf(&f, ",\"seq\":%lld}", (long long)cJSON_GetArrayItem(r, 0)->valuedouble);
    char *s = sb_str(&f);
    return s ? cJSON_CreateString(s) : NULL;
}

static int websocket(const http_request *req, const route_match *m, http_response *res) {
    const char *up = http_header(req, "upgrade");
    if (up == NULL || strcasecmp(up, "websocket") != 0) {
        /* 426 has no code of its own in the catalog: a validation error
         * answered with the status that tells clients what to do. */
        return http_error_status(res, 426, ERR_VALIDATION_ERROR, "Expected Upgrade: websocket", NULL);
    }
    int64_t after = after_param(req);
    if (after < 0) return http_error(res, ERR_VALIDATION_ERROR, "after must be a non-negative integer", NULL);
    eng_state st;
    if (load(m, &st, res) != 0) return res->status;
    const ab_workflow *wf = eng_find_workflow(st.inst->type);

    cJSON *ws = cJSON_CreateObject();
    cJSON *frames = cJSON_AddArrayToObject(ws, "frames");
    if (frames == NULL) return http_oom(res);
    if (wf == NULL || wf->updates == NULL || wf->updates[0].name == NULL) {
        cJSON_AddNumberToObject(ws, "close", 1008);
        cJSON_AddStringToObject(ws, "reason", "workflow declares no updates");
    } else {
        cJSON *rows;
        if (db_updates_after(after, &rows) != 0) return storage_error(res);
        for (cJSON *r = rows->child; r; r = r->next)
            if (!cJSON_AddItemToArray(frames, update_frame(r))) return http_oom(res);
        if (eng_is_ended(st.inst->status)) {
            cJSON_AddItemToArray(frames, cJSON_CreateString("{\"event\":\"close\",\"data\":{}}"));
            cJSON_AddNumberToObject(ws, "close", 1000);
            cJSON_AddStringToObject(ws, "reason", "workflow ended");
        }
    }
    res->status = 101;
    res->meta = cJSON_CreateObject();
    if (res->meta == NULL || !cJSON_AddItemToObject(res->meta, "websocket", ws)) return http_oom(res);
    return 101;
}

static int index_put(const http_request *req, http_response *res) {
    cJSON *e;
    const char *why;
    if (api_parse_body(req, 0, &e, &why) != ERR_NONE) return http_error(res, ERR_VALIDATION_ERROR, why, NULL);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(e, "id"));
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(e, "type"));
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(e, "status"));
    const cJSON *c = cJSON_GetObjectItem(e, "createdAt"), *u = cJSON_GetObjectItem(e, "updatedAt");
    if (!id || !type || !status || !cJSON_IsNumber(c) || !cJSON_IsNumber(u))
        return http_error(res, ERR_VALIDATION_ERROR, "Malformed index entry", NULL);
    if (db_index_put(id, type, status, c->valuedouble, u->valuedouble) != 0) return storage_error(res);
    return http_json(res, 200, "{}");
}

static int index_list(const http_request *req, http_response *res) {
    int bad = 0;
    const char *type = http_query(req, "type", &bad);
    const char *status = http_query(req, "status", &bad);
    const char *limit = http_query(req, "limit", &bad);
    const char *at = http_query(req, "cursorAt", &bad);
    const char *cid = http_query(req, "cursorId", &bad);
    if (bad) return http_error(res, ERR_VALIDATION_ERROR, "Malformed query", NULL);
    cJSON *rows;
    if (db_index_list(type, status, at ? strtod(at, NULL) : DB_NULL_TIME, cid,
                      limit ? atoi(limit) : 100, &rows) != 0)
        return storage_error(res);
    return http_json_value(res, 200, rows);
}

/* A careful pass (after a crash) ends with a step armed and the instance
 * "running". Responses show the instance at rest, so ask the host to commit
 * the marker and settle: run the armed step now (api_settle). */
static void settle_if_armed(const eng_state *st, http_response *res) {
    if (st->inst == NULL || strcmp(st->inst->status, "running") != 0) return;
    if (res->status < 200 || res->status >= 300) return;
    if (res->meta == NULL && (res->meta = cJSON_CreateObject()) == NULL) return;
    cJSON_AddTrueToObject(res->meta, "settle");
}

static int dispatch(const http_request *req, http_response *res) {
    route_match m;
    const char *why;
    if (db_migrate() != 0) return storage_error(res);
    err_code e = route_parse(req, 1, &m, &why);
    if (e != ERR_NONE) return http_error(res, e, why, NULL);
    switch (m.id) {
    case R_CREATE: create(req, res); break;
    case R_STATUS:
    case R_TIMELINE: {
        eng_state st;
        if (load(&m, &st, res) != 0) break;
        cJSON *o = m.id == R_STATUS ? eng_status_json(&st) : eng_timeline_json(&st);
        if (o == NULL) return http_oom(res);
        http_json_value(res, 200, o);
        break;
    }
    case R_EVENT: event(req, &m, res); break;
    case R_PAUSE:
    case R_RESUME:
    case R_TERMINATE:
    case R_ADVANCE: lifecycle(&m, res); break;
    case R_UPDATES: updates(req, &m, res); break;
    case R_WS:
    case R_OBJECT_WS: websocket(req, &m, res); break;
    case R_INDEX_PUT: index_put(req, res); break;
    case R_INDEX_LIST: index_list(req, res); break;
    default: http_error(res, ERR_RESOURCE_NOT_FOUND, "Not found", NULL); break;
    }
    return res->status;
}

/* A failed event (out of memory, storage error) may have written part of
 * its work first: a statement can run and the engine fail right after. The
 * alarm brings the instance back to rest soon; a pass with nothing due writes
 * nothing and re-arms the earliest timer. */
#define RETRY_AFTER_FAILURE_MS 1000

static void retry_soon(void) { host_set_alarm(host_now() + RETRY_AFTER_FAILURE_MS); }

void api_handle(const http_request *req, int64_t gen, http_response *res) {
    dispatch(req, res);
    if (res->status >= 500) retry_soon();
    /* Whatever the answer, this event finished normally: clear its mark. */
    if (gen != 0) {
        eng_state st;
        if (eng_load(&st) == 0) {
            eng_finish(&st, gen);
            settle_if_armed(&st, res);
        }
    }
}

void api_settle(int64_t gen, int status, const char *prev, size_t len, http_response *res) {
    eng_state st;
    if (eng_load(&st) != 0 || st.inst == NULL || eng_run(&st) != 0) {
        retry_soon();
        storage_error(res);
        return;
    }
    eng_finish(&st, gen);
    /* Re-render the first answer with the instance as it is now: either the
     * Status itself or {"delivery", "status": Status}. */
    cJSON *body = cJSON_ParseWithLength(prev, len);
    cJSON *fresh = eng_status_json(&st);
    if (body == NULL || fresh == NULL) {
        http_oom(res);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(body, "delivery") != NULL) {
        cJSON_ReplaceItemInObjectCaseSensitive(body, "status", fresh);
        http_json_value(res, status, body);
    } else {
        http_json_value(res, status, fresh);
    }
    settle_if_armed(&st, res);
}

void api_alarm(int64_t gen) {
    eng_state st;
    if (db_migrate() != 0 || eng_load(&st) != 0) {
        retry_soon(); /* the platform consumed this alarm */
        return;
    }
    if (st.inst == NULL) return;
    if (eng_run(&st) != 0) retry_soon();
    else if (strcmp(st.inst->status, "paused") == 0) host_set_alarm(-1);
    eng_finish(&st, gen);
}

void api_recover(void) {
    eng_state st;
    if (db_migrate() != 0 || eng_load(&st) != 0 || st.inst == NULL) return;
    if (eng_is_ended(st.inst->status) || strcmp(st.inst->status, "paused") == 0) return;
    /* The trapped call may have carried no event mark (a create's first
     * pass has none): record the death here, so the recovery pass blames the
     * step left running instead of re-running its attempt unrecorded. */
    if (!st.inst->died) {
        st.inst->died = 1;
        db_instance_save(st.inst);
    }
    host_set_alarm(host_now());
}

int api_ws_close_code(int code) {
    if (code == 1000 || (code >= 3000 && code <= 4999)) return code;
    if (code >= 1001 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) return code;
    return 1000;
}

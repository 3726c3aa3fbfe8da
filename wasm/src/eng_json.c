/* eng_json.c — the JSON shapes the API answers with: Status, StepInfo, the
 * timeline and IndexEntry (docs/http-api.md). Stored JSON (payload, results,
 * retry history) is embedded as raw text, without a parse and re-print. */
#include <stdlib.h>
#include <string.h>

#include "eng.h"
#include "sb.h"

static cJSON *time_or_null(double t) {
    return t == DB_NULL_TIME ? cJSON_CreateNull() : cJSON_CreateNumber(t);
}

static cJSON *text_or_null(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

static cJSON *raw_or_null(const char *json) { return json ? cJSON_CreateRaw(json) : cJSON_CreateNull(); }

static int add(cJSON *o, const char *k, cJSON *v) { return v && cJSON_AddItemToObject(o, k, v); }

static cJSON *step_json(const db_step *s, int timeline) {
    cJSON *o = cJSON_CreateObject();
    int ok = o && add(o, "name", cJSON_CreateString(s->name)) &&
             add(o, "type", cJSON_CreateString(state_kind_name(s->kind))) &&
             add(o, "status", cJSON_CreateString(state_step_name(s->status)));
    if (timeline) {
        ok = ok && add(o, "startedAt", time_or_null(s->started_at)) &&
             add(o, "duration", time_or_null(s->duration)) &&
             add(o, "attempts", cJSON_CreateNumber(s->attempts)) &&
             add(o, "error", text_or_null(s->error)) &&
             add(o, "retryHistory", raw_or_null(s->history));
    } else {
        ok = ok && add(o, "attempts", cJSON_CreateNumber(s->attempts)) &&
             add(o, "result", raw_or_null(s->status == STEP_COMPLETED ? s->result : NULL)) &&
             add(o, "error", text_or_null(s->error)) &&
             add(o, "startedAt", time_or_null(s->started_at)) &&
             add(o, "completedAt", time_or_null(s->completed_at)) &&
             add(o, "duration", time_or_null(s->duration)) &&
             add(o, "wakeAt", time_or_null(s->wake_at)) &&
             add(o, "retryHistory", raw_or_null(s->history));
    }
    /* An I/O step shows what it asked for, as stored: placeholders kept. */
    if (ok && state_kind_io(s->kind)) ok = add(o, "request", raw_or_null(s->request));
    return ok ? o : NULL;
}

cJSON *eng_status_json(cx *X, const db_instance *in, db_step *const *steps, int n) {
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_CreateArray();
    int shown = n < ENG_STEPS_PAGE ? n : ENG_STEPS_PAGE;
    int ok = o && list && add(o, "id", cJSON_CreateString(in->id)) &&
             add(o, "type", cJSON_CreateString(in->type)) &&
             add(o, "status", cJSON_CreateString(state_inst_name(in->status))) &&
             add(o, "payload", raw_or_null(in->payload)) &&
             add(o, "result", raw_or_null(in->result)) &&
             add(o, "error", text_or_null(in->error)) &&
             add(o, "errorCode", text_or_null(in->error_code)) && add(o, "steps", list) &&
             add(o, "createdAt", cJSON_CreateNumber(in->created_at)) &&
             add(o, "updatedAt", cJSON_CreateNumber(in->updated_at));
    for (int i = 0; ok && i < shown; i++) ok = cJSON_AddItemToArray(list, step_json(steps[i], 0));
    if (ok && n > shown) {
        char *next = sb_fmt(X, "%d", steps[shown - 1]->ord);
        ok = next && add(o, "stepsNext", cJSON_CreateString(next));
    }
    return ok ? o : NULL;
}

cJSON *eng_timeline_json(cx *X, const db_instance *in, db_step *const *steps, int n) {
    cJSON *o = cJSON_CreateObject();
    cJSON *tl = cJSON_CreateArray();
    int shown = n < ENG_STEPS_PAGE ? n : ENG_STEPS_PAGE;
    int ok = o && tl && add(o, "id", cJSON_CreateString(in->id)) &&
             add(o, "type", cJSON_CreateString(in->type)) &&
             add(o, "status", cJSON_CreateString(state_inst_name(in->status))) && add(o, "timeline", tl);
    for (int i = 0; ok && i < shown; i++) ok = cJSON_AddItemToArray(tl, step_json(steps[i], 1));
    if (ok && n > shown) {
        const db_step *last = steps[shown - 1];
        char *next = sb_fmt(X, "%.0f~%d", last->started_at, last->ord);
        ok = next && add(o, "next", cJSON_CreateString(next));
    }
    return ok ? o : NULL;
}

void eng_entry_of(const db_instance *in, db_entry *e) {
    e->id = in->id;
    e->type = in->type;
    e->status = in->status;
    e->created_at = in->created_at;
    e->updated_at = in->updated_at;
}

cJSON *eng_entry_json(cx *X, const db_entry *e) {
    (void)X;
    cJSON *o = cJSON_CreateObject();
    int ok = o && add(o, "id", cJSON_CreateString(e->id)) &&
             add(o, "type", cJSON_CreateString(e->type)) &&
             add(o, "status", cJSON_CreateString(state_inst_name(e->status))) &&
             add(o, "createdAt", cJSON_CreateNumber(e->created_at)) &&
             add(o, "updatedAt", cJSON_CreateNumber(e->updated_at));
    return ok ? o : NULL;
}

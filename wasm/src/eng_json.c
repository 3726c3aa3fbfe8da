/* eng_json.c — the JSON shapes the API answers with: Status, StepInfo, the
 * timeline and IndexEntry (docs/http-api.md). Stored JSON (payload, results,
 * retry history) is embedded as raw text, without a parse and re-print. */
#include <stdlib.h>
#include <string.h>

#include "eng.h"

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
    return ok ? o : NULL;
}

cJSON *eng_status_json(cx *X, const eng_state *st) {
    (void)X; /* cJSON allocates from X through the hook trampoline */
    const db_instance *in = st->inst;
    cJSON *o = cJSON_CreateObject();
    cJSON *steps = cJSON_CreateArray();
    int ok = o && steps && add(o, "id", cJSON_CreateString(in->id)) &&
             add(o, "type", cJSON_CreateString(in->type)) &&
             add(o, "status", cJSON_CreateString(state_inst_name(in->status))) &&
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

cJSON *eng_timeline_json(cx *X, const eng_state *st) {
    const db_instance *in = st->inst;
    const db_step **sorted = cx_alloc(X, sizeof *sorted * (size_t)(st->nsteps + 1));
    cJSON *o = cJSON_CreateObject();
    cJSON *tl = cJSON_CreateArray();
    if (sorted == NULL || o == NULL || tl == NULL) return NULL;
    int n = 0;
    /* Only steps that started executing a body belong on the timeline. */
    for (int i = 0; i < st->nsteps; i++)
        if (st->steps[i]->kind == KIND_DO && st->steps[i]->started_at != DB_NULL_TIME)
            sorted[n++] = st->steps[i];
    qsort(sorted, (size_t)n, sizeof *sorted, by_started);
    int ok = add(o, "id", cJSON_CreateString(in->id)) && add(o, "type", cJSON_CreateString(in->type)) &&
             add(o, "status", cJSON_CreateString(state_inst_name(in->status))) && add(o, "timeline", tl);
    for (int i = 0; ok && i < n; i++) ok = cJSON_AddItemToArray(tl, step_json(sorted[i], 1));
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

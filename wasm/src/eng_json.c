/* eng_json.c — the JSON shapes the API answers with: Status, StepInfo, the
 * timeline and IndexEntry (docs/http-api.md). Stored JSON (payload, results,
 * retry history) is embedded as raw text, without a parse and re-print. */
#include <stdlib.h>
#include <string.h>

#include "eng.h"
#include "json.h"
#include "sb.h"

static cJSON *text_or_null(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

static cJSON *raw_or_null(const char *json) { return json ? cJSON_CreateRaw(json) : cJSON_CreateNull(); }

static int add(cJSON *o, const char *k, cJSON *v) { return v && cJSON_AddItemToObject(o, k, v); }

/* --- StepInfo, written straight as text ------------------------------------
 * A page holds up to 1,000 steps; as a tree each would be a dozen cJSON
 * nodes with copied keys and strings, which cost more than everything else
 * in the answer. The fields and their order are StepInfo's (timeline: the
 * timeline entry's). */

/* key is the text before the value: ",\"name\":" */
static void put_time(sb *b, const char *key, double t) {
    sb_puts(b, key);
    if (t == DB_NULL_TIME) sb_puts(b, "null");
    else json_put_number(b, t);
}

static void put_int(sb *b, const char *key, int v) {
    sb_puts(b, key);
    json_put_number(b, v);
}

static void put_text(sb *b, const char *key, const char *text) {
    sb_puts(b, key);
    if (text) json_put_string(b, text);
    else sb_puts(b, "null");
}

static void put_raw(sb *b, const char *key, const char *json) {
    sb_puts(b, key);
    sb_puts(b, json ? json : "null");
}

static void put_step(sb *b, const db_step *s, int timeline) {
    put_text(b, "{\"name\":", s->name);
    put_text(b, ",\"type\":", state_kind_name(s->kind));
    put_text(b, ",\"status\":", state_step_name(s->status));
    if (timeline) {
        put_time(b, ",\"startedAt\":", s->started_at);
        put_time(b, ",\"duration\":", s->duration);
        put_int(b, ",\"attempts\":", s->attempts);
        put_text(b, ",\"error\":", s->error);
        put_raw(b, ",\"retryHistory\":", s->history);
    } else {
        put_int(b, ",\"attempts\":", s->attempts);
        put_raw(b, ",\"result\":", s->status == STEP_COMPLETED ? s->result : NULL);
        put_text(b, ",\"error\":", s->error);
        put_time(b, ",\"startedAt\":", s->started_at);
        put_time(b, ",\"completedAt\":", s->completed_at);
        put_time(b, ",\"duration\":", s->duration);
        put_time(b, ",\"wakeAt\":", s->wake_at);
        put_raw(b, ",\"retryHistory\":", s->history);
    }
    /* An I/O step shows what it asked for, as stored: placeholders kept. */
    if (state_kind_io(s->kind)) put_raw(b, ",\"request\":", s->request);
    sb_puts(b, "}");
}

/* The first n steps as a JSON array (raw text in the tree). */
static cJSON *steps_json(cx *X, db_step *const *steps, int n, int timeline) {
    sb b;
    sb_init(X, &b);
    sb_puts(&b, "[");
    for (int i = 0; i < n; i++) {
        if (i) sb_puts(&b, ",");
        put_step(&b, steps[i], timeline);
    }
    sb_puts(&b, "]");
    char *text = sb_str(&b);
    return text ? cJSON_CreateRaw(text) : NULL;
}

cJSON *eng_status_json(cx *X, const db_instance *in, db_step *const *steps, int n) {
    int shown = n < ENG_STEPS_PAGE ? n : ENG_STEPS_PAGE;
    cJSON *o = cJSON_CreateObject();
    cJSON *list = steps_json(X, steps, shown, 0);
    int ok = o && list && add(o, "id", cJSON_CreateString(in->id)) &&
             add(o, "type", cJSON_CreateString(in->type)) &&
             add(o, "status", cJSON_CreateString(state_inst_name(in->status))) &&
             add(o, "payload", raw_or_null(in->payload)) &&
             add(o, "result", raw_or_null(in->result)) &&
             add(o, "error", text_or_null(in->error)) &&
             add(o, "errorCode", text_or_null(in->error_code)) && add(o, "steps", list) &&
             add(o, "createdAt", cJSON_CreateNumber(in->created_at)) &&
             add(o, "updatedAt", cJSON_CreateNumber(in->updated_at));
    if (ok && n > shown) {
        char *next = sb_fmt(X, "%d", steps[shown - 1]->ord);
        ok = next && add(o, "stepsNext", cJSON_CreateString(next));
    }
    return ok ? o : NULL;
}

cJSON *eng_timeline_json(cx *X, const db_instance *in, db_step *const *steps, int n) {
    int shown = n < ENG_STEPS_PAGE ? n : ENG_STEPS_PAGE;
    cJSON *o = cJSON_CreateObject();
    cJSON *tl = steps_json(X, steps, shown, 1);
    int ok = o && tl && add(o, "id", cJSON_CreateString(in->id)) &&
             add(o, "type", cJSON_CreateString(in->type)) &&
             add(o, "status", cJSON_CreateString(state_inst_name(in->status))) && add(o, "timeline", tl);
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

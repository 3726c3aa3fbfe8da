/* eng_json.c — the JSON shapes the API answers with: Status, StepInfo, the
 * timeline and IndexEntry (docs/http-api.md). Stored JSON (payload, results,
 * retry history) is embedded as raw text, without a parse and re-print. */
#include <stdlib.h>
#include <string.h>

#include "eng.h"
#include "json.h"
#include "sb.h"

static int add(cJSON *o, const char *k, cJSON *v) { return v && cJSON_AddItemToObject(o, k, v); }

/* --- StepInfo, written straight as text ------------------------------------
 * A page holds up to 1,000 steps; as a tree each would be a dozen cJSON
 * nodes with copied keys and strings, which cost more than everything else
 * in the answer. The fields and their order are StepInfo's (timeline: the
 * timeline entry's). */

/* key is the text before the value, a literal: ",\"name\":" */
#define put_time(b, key, t) put_time_((b), "" key, sizeof(key) - 1, (t))
#define put_int(b, key, v) put_int_((b), "" key, sizeof(key) - 1, (v))
#define put_text(b, key, text) put_text_((b), "" key, sizeof(key) - 1, (text))
#define put_raw(b, key, json) put_raw_((b), "" key, sizeof(key) - 1, (json))

static void put_time_(sb *b, const char *key, size_t klen, double t) {
    sb_append(b, key, klen);
    if (t == DB_NULL_TIME) sb_lit(b, "null");
    else json_put_number(b, t);
}

static void put_int_(sb *b, const char *key, size_t klen, int v) {
    sb_append(b, key, klen);
    json_put_number(b, v);
}

static void put_text_(sb *b, const char *key, size_t klen, const char *text) {
    sb_append(b, key, klen);
    if (text) json_put_string(b, text);
    else sb_lit(b, "null");
}

static void put_raw_(sb *b, const char *key, size_t klen, const char *json) {
    sb_append(b, key, klen);
    if (json) sb_puts(b, json);
    else sb_lit(b, "null");
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
    sb_lit(b, "}");
}

/* The first n steps as a JSON array. */
static void put_steps(sb *b, db_step *const *steps, int n, int timeline) {
    sb_lit(b, "[");
    for (int i = 0; i < n; i++) {
        if (i) sb_lit(b, ",");
        put_step(b, steps[i], timeline);
    }
    sb_lit(b, "]");
}

/* The Status, written as one text (a raw node: json_print copies it once
 * into an answer that holds it, http_json_value answers with it as it is):
 * its steps are most of it, and a tree would only be printed back into the
 * same text. */
cJSON *eng_status_json(cx *X, const db_instance *in, db_step *const *steps, int n) {
    int shown = n < ENG_STEPS_PAGE ? n : ENG_STEPS_PAGE;
    sb b;
    sb_init(X, &b);
    put_text(&b, "{\"id\":", in->id);
    put_text(&b, ",\"type\":", in->type);
    put_text(&b, ",\"status\":", state_inst_name(in->status));
    put_raw(&b, ",\"payload\":", in->payload);
    put_raw(&b, ",\"result\":", in->result);
    put_text(&b, ",\"error\":", in->error);
    put_text(&b, ",\"errorCode\":", in->error_code);
    sb_lit(&b, ",\"steps\":");
    put_steps(&b, steps, shown, 0);
    sb_lit(&b, ",\"createdAt\":");
    json_put_number(&b, in->created_at);
    sb_lit(&b, ",\"updatedAt\":");
    json_put_number(&b, in->updated_at);
    if (n > shown) {
        sb_lit(&b, ",\"stepsNext\":\"");
        json_put_number(&b, steps[shown - 1]->ord);
        sb_lit(&b, "\"");
    }
    sb_lit(&b, "}");
    return json_raw_of(sb_str(&b));
}

/* The first n steps as a JSON array (raw text in the tree). */
static cJSON *steps_json(cx *X, db_step *const *steps, int n, int timeline) {
    sb b;
    sb_init(X, &b);
    put_steps(&b, steps, n, timeline);
    return json_raw_of(sb_str(&b));
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

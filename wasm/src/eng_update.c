/* eng_update.c — live updates: ab_emit (persisted, gets a seq) and
 * ab_broadcast (live only), fired exactly once per call site. A call site is
 * named by the last step reached before it and its position after that step
 * (anchor, n); the sites that fired are loaded once per pass. */
#include <string.h>

#include "eng_int.h"
#include "host.h"
#include "json.h"
#include "lim.h"
#include "sb.h"
#include "schema.h"

static const ab_message_def *find_message(const ab_message_def *defs, const char *name) {
    for (; defs && defs->name; defs++)
        if (strcmp(defs->name, name) == 0) return defs;
    return NULL;
}

char *eng_frame_update(cx *X, const char *name, const char *data, int64_t seq) {
    sb f;
    sb_init(X, &f);
    sb_puts(&f, "{\"event\":");
    json_put_string(&f, name);
    sb_puts(&f, ",\"data\":");
    json_put_string(&f, data);
    if (seq >= 0) sb_printf(&f, ",\"seq\":%lld", (long long)seq);
    sb_puts(&f, "}");
    return sb_str(&f);
}

ab_rc eng_send_update(ab_ctx *c, const char *name, const cJSON *value, int persist) {
    cx *X = c->X;
    int rc;
    if (c->mode == MODE_STEP)
        return eng_fail(c, ERR_VALIDATION_ERROR, "Update \"%s\" was sent inside a step body",
                        name ? name : "");
    if (c->stopped_at != NULL)
        return eng_fail(c, ERR_VALIDATION_ERROR,
                        "Update \"%s\" was sent after step \"%s\" stopped the pass: return the "
                        "status of every step call (wrap it in AB_TRY)",
                        name ? name : "", c->stopped_at);
    char *key = sb_fmt(X, "%s\x1f%d", c->anchor ? c->anchor : "", c->emit_n++);
    if (key == NULL) return eng_abort(c, CX_NOMEM);
    if (smap_get(&c->fired, key) != NULL) return AB_OK; /* fired on an earlier pass */
    const ab_message_def *def = name ? find_message(c->wf->updates, name) : NULL;
    if (def == NULL)
        return eng_fail(c, ERR_VALIDATION_ERROR, "Update \"%s\" is not declared by workflow \"%s\"",
                        name ? name : "(null)", c->wf->type);
    cJSON *issues = NULL;
    cJSON *null_value = value ? NULL : cJSON_CreateNull();
    int bad = schema_check(X, def->schema, value ? value : null_value, &issues);
    if (bad < 0) return eng_abort(c, bad);
    if (bad)
        return eng_fail(c, ERR_VALIDATION_ERROR, "Update \"%s\" is invalid: %s", name,
                        schema_first_issue(X, issues));
    char *data = value ? json_print(X, value) : "null";
    if (data == NULL) return eng_abort(c, CX_NOMEM);
    if (strlen(data) > LIM_VALUE_MAX)
        return eng_fail(c, ERR_VALIDATION_ERROR, "Update \"%s\" of %zu bytes exceeds the 1 MiB limit of a value",
                        name, strlen(data));
    if (!persist && (rc = db_fired_add(X, key)) != CX_OK) return eng_abort(c, rc);
    if (smap_put(&c->fired, key, key) != CX_OK) return eng_abort(c, CX_NOMEM);
    int64_t seq = -1;
    if (persist && (rc = db_update_add(X, name, data, c->now, key, &seq)) != CX_OK)
        return eng_abort(c, rc);
    char *frame = eng_frame_update(X, name, data, seq);
    if (frame == NULL) return eng_abort(c, CX_NOMEM);
    host_ws_send_all(frame, (int32_t)strlen(frame));
    return AB_OK;
}

ab_rc ab_emit(ab_ctx *c, const char *update, const cJSON *value) {
    return eng_send_update(c, update, value, 1);
}

ab_rc ab_broadcast(ab_ctx *c, const char *update, const cJSON *value) {
    return eng_send_update(c, update, value, 0);
}

void eng_close_clients(void) {
    static const char end[] = ENG_FRAME_END;
    host_ws_send_all(end, (int32_t)sizeof end - 1);
    host_ws_close_all(1000, "workflow ended", 14);
}

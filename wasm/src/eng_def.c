/* eng_def.c — checks workflow definitions the way the build does, so that an
 * author's mistake in a definition fails `ablauf build` with the workflow
 * named, instead of surfacing at run time (or never). */
#include <string.h>

#include "eng.h"
#include "lim.h"
#include "sb.h"
#include "schema.h"

typedef struct checker {
    cx *X;
    cJSON *errors;
    const char *type;
    int index; /* the definition's place in the registry, for the build's messages */
    int n;
} checker;

static int problem(checker *k, const char *msg) {
    cJSON *e = cJSON_CreateObject();
    if (msg == NULL || e == NULL || !cJSON_AddStringToObject(e, "workflow", k->type ? k->type : "") ||
        !cJSON_AddNumberToObject(e, "index", k->index) ||
        !cJSON_AddStringToObject(e, "message", msg) || !cJSON_AddItemToArray(k->errors, e))
        return CX_NOMEM;
    k->n++;
    return CX_OK;
}

/* A schema given as text: JSON, and a schema the validator understands. */
static int check_schema(checker *k, const char *which, const char *text) {
    if (text == NULL) return CX_OK;
    cJSON *s = cJSON_Parse(text);
    if (s == NULL) {
        if (k->X->rc == CX_NOMEM) return CX_NOMEM;
        const char *at = cJSON_GetErrorPtr();
        return problem(k, sb_fmt(k->X, "%s schema is not valid JSON (near \"%.20s\")", which,
                                 at ? at : ""));
    }
    cJSON *issues = cJSON_CreateArray();
    if (issues == NULL) return CX_NOMEM;
    int n = schema_lint(s, issues);
    if (n < 0) return CX_NOMEM;
    for (const cJSON *i = issues->child; i; i = i->next) {
        sb p;
        sb_init(k->X, &p);
        const cJSON *seg;
        cJSON_ArrayForEach(seg, cJSON_GetObjectItem(i, "path")) {
            if (cJSON_IsString(seg)) sb_printf(&p, "/%s", seg->valuestring);
            else sb_printf(&p, "/%d", seg->valueint);
        }
        char *path = sb_str(&p);
        int rc = problem(k, sb_fmt(k->X, "%s schema at \"%s\": %s", which, path && *path ? path : "/",
                                   cJSON_GetStringValue(cJSON_GetObjectItem(i, "message"))));
        if (rc != CX_OK) return rc;
    }
    return CX_OK;
}

static int check_messages(checker *k, const char *kind, const ab_message_def *defs) {
    int rc;
    for (const ab_message_def *d = defs; d && d->name; d++) {
        if (!lim_valid_name(d->name)) {
            if ((rc = problem(k, sb_fmt(k->X, "%s name \"%s\" is not 1 to 128 bytes of printable "
                                              "UTF-8", kind, d->name))) != CX_OK)
                return rc;
            continue;
        }
        for (const ab_message_def *e = defs; e != d; e++)
            if (strcmp(e->name, d->name) == 0 &&
                (rc = problem(k, sb_fmt(k->X, "%s \"%s\" is declared twice", kind, d->name))) != CX_OK)
                return rc;
        /* The end frame of a live-update stream is {"event":"close"}. */
        if (strcmp(kind, "update") == 0 && strcmp(d->name, "close") == 0 &&
            (rc = problem(k, "update name \"close\" is reserved for the end frame of live updates")) != CX_OK)
            return rc;
        char *which = sb_fmt(k->X, "%s \"%s\"", kind, d->name);
        if (which == NULL) return CX_NOMEM;
        if ((rc = check_schema(k, which, d->schema)) != CX_OK) return rc;
    }
    return CX_OK;
}

/* Secret names are environment names; ABLAUF_* are the engine's own (the
 * API token must never be sent anywhere by a workflow). */
static int check_secrets(checker *k, const char *const *secrets) {
    int rc;
    for (const char *const *s = secrets; s && *s; s++) {
        const char *n = *s;
        int ok = (n[0] == '_' || (n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= 'a' && n[0] <= 'z')) &&
                 strlen(n) <= 128;
        for (const char *p = n; ok && *p; p++)
            ok = *p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                 (*p >= '0' && *p <= '9');
        if (!ok && (rc = problem(k, sb_fmt(k->X, "secret name \"%s\" must be letters, digits and _, "
                                                 "not starting with a digit", n))) != CX_OK)
            return rc;
        if (ok && strncmp(n, "ABLAUF_", 7) == 0 &&
            (rc = problem(k, sb_fmt(k->X, "secret name \"%s\": ABLAUF_* are the engine's own "
                                          "settings", n))) != CX_OK)
            return rc;
    }
    return CX_OK;
}

static int check_one(checker *k, const ab_workflow *w) {
    int64_t v;
    int rc;
    const ab_retry *r = &w->retry;
    if (w->run == NULL && (rc = problem(k, "has no run function")) != CX_OK) return rc;
    if ((rc = check_schema(k, "input", w->input_schema)) != CX_OK) return rc;
    if ((rc = check_schema(k, "result", w->result_schema)) != CX_OK) return rc;
    if ((rc = check_messages(k, "event", w->events)) != CX_OK) return rc;
    if ((rc = check_messages(k, "update", w->updates)) != CX_OK) return rc;
    if ((rc = check_secrets(k, w->secrets)) != CX_OK) return rc;
    if (r->limit < 0 && (rc = problem(k, "retry.limit must be >= 1 (0 inherits the default)")) != CX_OK)
        return rc;
    if (r->delay && lim_parse_duration(r->delay, &v) != 0 &&
        (rc = problem(k, sb_fmt(k->X, "retry.delay \"%s\" is not a duration like \"500ms\" or \"1s\"",
                                r->delay))) != CX_OK)
        return rc;
    if (r->backoff && strcmp(r->backoff, "fixed") && strcmp(r->backoff, "linear") &&
        strcmp(r->backoff, "exponential") &&
        (rc = problem(k, sb_fmt(k->X, "retry.backoff \"%s\" is not fixed, linear or exponential",
                                r->backoff))) != CX_OK)
        return rc;
    if (w->result_size_limit && lim_parse_size(w->result_size_limit, &v) != 0 &&
        (rc = problem(k, sb_fmt(k->X, "result_size_limit \"%s\" is not a size like \"64mb\"",
                                w->result_size_limit))) != CX_OK)
        return rc;
    if (w->on_overflow && strcmp(w->on_overflow, "fail") && strcmp(w->on_overflow, "retry") &&
        (rc = problem(k, sb_fmt(k->X, "on_overflow \"%s\" is not fail or retry", w->on_overflow))) != CX_OK)
        return rc;
    return CX_OK;
}

int eng_check_defs(cx *X, const ab_workflow *const *defs, cJSON *errors) {
    checker k = {X, errors, NULL, 0, 0};
    int rc;
    for (const ab_workflow *const *w = defs; *w; w++) {
        k.type = (*w)->type;
        k.index = (int)(w - defs);
        if (!lim_valid_name(k.type)) {
            if ((rc = problem(&k, "type name must be 1 to 128 bytes of printable UTF-8")) != CX_OK) return rc;
            continue;
        }
        for (const ab_workflow *const *e = defs; e != w; e++)
            if (strcmp((*e)->type, k.type) == 0 &&
                (rc = problem(&k, "type is registered twice")) != CX_OK)
                return rc;
        if ((rc = check_one(&k, *w)) != CX_OK) return rc;
    }
    return k.n;
}

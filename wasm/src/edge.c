/* edge.c — see edge.h. */
#include "edge.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ablauf.h"
#include "eng.h"
#include "host.h"
#include "json.h"
#include "lim.h"
#include "route.h"
#include "sb.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

/* Is origin one of the comma-separated allowed origins ("*" allows all)? */
static int origin_allowed(const char *list, const char *origin) {
    if (list == NULL || origin == NULL) return 0;
    size_t olen = strlen(origin);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *end = p;
        while (*end && *end != ',') end++;
        const char *e = end;
        while (e > p && e[-1] == ' ') e--;
        size_t n = (size_t)(e - p);
        if ((n == 1 && *p == '*') || (n == olen && n > 0 && memcmp(p, origin, n) == 0)) return 1;
        p = end;
    }
    return 0;
}

static void cors(cx *X, const http_request *req, http_response *res) {
    const char *origin = http_header(req, "origin");
    if (!origin_allowed(req->cors, origin)) return;
    http_set_header(X, res, "access-control-allow-origin", origin);
    http_set_header(X, res, "vary", "Origin");
    http_set_header(X, res, "access-control-allow-methods", "GET, POST, OPTIONS");
    http_set_header(X, res, "access-control-allow-headers", "authorization, content-type");
    http_set_header(X, res, "access-control-max-age", "86400");
}

/* Bearer token from the header, or ?access_token= on WebSocket routes. */
static int authorized(cx *X, const http_request *req, int ws) {
    if (req->token == NULL || req->token[0] == '\0') return 1;
    const char *given = NULL;
    const char *auth = http_header(req, "authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) given = auth + 7;
    if (given == NULL && ws) given = http_query(X, req, "access_token", NULL);
    if (given == NULL) given = "";
    return lim_secure_equal(given, strlen(given), req->token, strlen(req->token));
}

static cJSON *schema_or_any(const char *text) {
    cJSON *s = text ? cJSON_Parse(text) : cJSON_CreateObject();
    return s ? s : cJSON_CreateObject();
}

static cJSON *messages_json(const ab_message_def *defs) {
    cJSON *o = cJSON_CreateObject();
    for (; o && defs && defs->name; defs++) cJSON_AddItemToObject(o, defs->name, schema_or_any(defs->schema));
    return o;
}

cJSON *edge_types_json(cx *X) {
    (void)X; /* cJSON allocates from X through the hook trampoline */
    cJSON *root = cJSON_CreateObject();
    cJSON *types = cJSON_AddArrayToObject(root, "types");
    if (types == NULL) return NULL;
    for (const ab_workflow *const *w = ab_registry; *w; w++) {
        cJSON *t = cJSON_CreateObject();
        if (t == NULL || !cJSON_AddStringToObject(t, "type", (*w)->type) ||
            !cJSON_AddItemToObject(t, "input", schema_or_any((*w)->input_schema)) ||
            !cJSON_AddItemToObject(t, "result", schema_or_any((*w)->result_schema)) ||
            !cJSON_AddItemToObject(t, "events", messages_json((*w)->events)) ||
            !cJSON_AddItemToObject(t, "updates", messages_json((*w)->updates)) ||
            !cJSON_AddItemToArray(types, t))
            return NULL;
    }
    return root;
}

static int forward(cx *X, http_response *res, const char *object, const char *create_id) {
    res->meta = cJSON_CreateObject();
    if (res->meta == NULL || !cJSON_AddStringToObject(res->meta, "forward", object))
        return http_oom(res);
    /* The host keeps the request's own headers and adds these. */
    if (create_id) {
        cJSON *h = cJSON_AddObjectToObject(res->meta, "requestHeaders");
        if (h == NULL || !cJSON_AddStringToObject(h, "x-ablauf-id", create_id)) return http_oom(res);
    }
    return res->status;
}

/* Validates the list query; fills the shard query path. */
static int list(cx *X, const http_request *req, http_response *res) {
    int bad = 0;
    const char *type = http_query(X, req, "type", &bad);
    const char *status = http_query(X, req, "status", &bad);
    const char *limit = http_query(X, req, "limit", &bad);
    const char *cursor = http_query(X, req, "cursor", &bad);
    if (bad) return http_error(X, res, ERR_VALIDATION_ERROR, "Malformed query string", NULL);
    long n = LIST_DEFAULT;
    if (limit) {
        /* digits only: strtol would take " 10", "+10" and "0x10" */
        n = (long)lim_parse_digits(limit, strlen(limit), LIST_MAX);
        if (n < 1) return http_error(X, res, ERR_VALIDATION_ERROR, "limit must be an integer from 1 to 1000", NULL);
    }
    inst_status st;
    if (status && state_inst_parse(status, &st) != 0)
        return http_error(X, res, ERR_VALIDATION_ERROR, sb_fmt(X, "Unknown status \"%s\"", status), NULL);
    sb path;
    sb_init(X, &path);
    sb_printf(&path, "/__index/list?limit=%ld", n + 1);
    if (cursor) {
        /* cursor = "<updatedAt>~<id>", from a previous page */
        const char *tilde = strchr(cursor, '~');
        long long at = tilde ? lim_parse_digits(cursor, (size_t)(tilde - cursor), (int64_t)9e15) : -1;
        if (at < 0 || !lim_valid_id(tilde + 1))
            return http_error(X, res, ERR_VALIDATION_ERROR, "Malformed cursor: pass nextCursor back as it came", NULL);
        sb_printf(&path, "&cursorAt=%lld&cursorId=%s", at, tilde + 1);
    }
    /* type and status are plain words or validated above; encode type anyway */
    if (type) {
        sb_puts(&path, "&type=");
        for (const unsigned char *p = (const unsigned char *)type; *p; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                *p == '-' || *p == '_' || *p == '.')
                sb_append(&path, (const char *)p, 1);
            else
                sb_printf(&path, "%%%02X", *p);
        }
    }
    if (status) sb_printf(&path, "&status=%s", status);
    char *p = sb_str(&path);
    res->meta = cJSON_CreateObject();
    cJSON *names = cJSON_AddArrayToObject(res->meta, "fanout");
    if (p == NULL || names == NULL || !cJSON_AddStringToObject(res->meta, "path", p)) return http_oom(res);
    for (int i = 0; i < LIM_INDEX_SHARDS; i++) {
        char *name = lim_shard_name(X, i);
        if (name == NULL || !cJSON_AddItemToArray(names, cJSON_CreateString(name))) return http_oom(res);
    }
    return res->status;
}

static int by_recent(const void *a, const void *b) {
    const db_entry *x = a, *y = b;
    if (x->updated_at != y->updated_at) return x->updated_at > y->updated_at ? -1 : 1;
    return -strcmp(x->id, y->id);
}

/* A shard's IndexEntry as a typed row; 0 if it is not one. */
static int entry_from_json(const cJSON *j, db_entry *e) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "createdAt");
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "updatedAt");
    e->id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
    e->type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "type"));
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "status"));
    if (!e->id || !e->type || state_inst_parse(status, &e->status) != 0 || !cJSON_IsNumber(c) ||
        !cJSON_IsNumber(u))
        return 0;
    e->created_at = c->valuedouble;
    e->updated_at = u->valuedouble;
    return 1;
}

int edge_merge(cx *X, const http_request *req, const char *bodies, size_t len, http_response *res) {
    int bad = 0;
    const char *limit = http_query(X, req, "limit", &bad);
    long n = limit ? strtol(limit, NULL, 10) : LIST_DEFAULT;
    if (n < 1 || n > LIST_MAX) n = LIST_DEFAULT;
    cJSON *shards = cJSON_ParseWithLength(bodies, len);
    if (!cJSON_IsArray(shards)) {
        if (X->rc == CX_NOMEM) return http_oom(res);
        return http_error(X, res, ERR_INTERNAL_ERROR, "Malformed index response", NULL);
    }
    int total = 0;
    for (cJSON *s = shards->child; s; s = s->next) total += cJSON_GetArraySize(s);
    db_entry *rows = cx_alloc(X, sizeof *rows * (size_t)(total + 1));
    if (rows == NULL) return http_oom(res);
    int k = 0;
    for (cJSON *s = shards->child; s; s = s->next)
        for (cJSON *r = cJSON_IsArray(s) ? s->child : NULL; r; r = r->next)
            k += entry_from_json(r, &rows[k]);
    qsort(rows, (size_t)k, sizeof *rows, by_recent);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "workflows");
    if (list == NULL) return http_oom(res);
    int shown = k < n ? k : (int)n;
    for (int i = 0; i < shown; i++)
        if (!cJSON_AddItemToArray(list, eng_entry_json(X, &rows[i]))) return http_oom(res);
    if (k > n) {
        const db_entry *last = &rows[n - 1];
        char *cur = sb_fmt(X, "%.0f~%s", last->updated_at, last->id);
        if (cur == NULL || !cJSON_AddStringToObject(out, "nextCursor", cur)) return http_oom(res);
    } else {
        cJSON_AddNullToObject(out, "nextCursor");
    }
    return http_json_value(X, res, 200, out);
}

void edge_handle(cx *X, const http_request *req, http_response *res) {
    route_match m;
    const char *why;
    if (strcmp(req->method, "OPTIONS") == 0 && strncmp(req->path, "/__ablauf", 9) == 0 &&
        (req->path[9] == '\0' || req->path[9] == '/')) {
        res->status = 204;
        res->body = "";
        res->body_len = 0;
        cors(X, req, res);
        return;
    }
    err_code e = route_parse(X, req, 0, &m, &why);
    if (e == ERR_NONE && (m.id == R_DASHBOARD || m.id == R_CLIENT_JS)) {
        /* Static files carry no data; the page asks for the token itself. */
        res->status = 200;
        res->meta = cJSON_CreateObject();
        if (res->meta) cJSON_AddStringToObject(res->meta, "asset", m.id == R_DASHBOARD ? "dashboard" : "client");
        return;
    }
    if (e == ERR_RESOURCE_NOT_FOUND && strncmp(req->path, "/__ablauf", 9) != 0) {
        http_error(X, res, e, "Not found", NULL);
        return;
    }
    if (req->token_empty) {
        /* Set but empty is neither "open" nor a token: fail closed, loudly. */
        static const char why[] = "ABLAUF_API_TOKEN is set but empty: every request is refused. Set a "
                                  "token, or remove the variable for an open local server";
        host_log(3, why, (int32_t)sizeof why - 1);
        http_error(X, res, ERR_INTERNAL_ERROR, why, NULL);
    } else if (!authorized(X, req, m.id == R_WS)) {
        http_error(X, res, ERR_UNAUTHORIZED, "Missing or invalid bearer token", NULL);
    } else if (e != ERR_NONE) {
        http_error(X, res, e, why ? why : e == ERR_METHOD_NOT_ALLOWED ? "Method not allowed" : "Not found", NULL);
    } else if (req->body_too_large || req->body_len > LIM_BODY_MAX) {
        http_error(X, res, ERR_PAYLOAD_TOO_LARGE, "Request body exceeds 1 MiB", NULL);
    } else if (m.id == R_TYPES) {
        cJSON *t = edge_types_json(X);
        if (t == NULL) http_oom(res);
        else http_json_value(X, res, 200, t);
    } else if (m.id == R_LIST) {
        list(X, req, res);
    } else if (m.id == R_CREATE) {
        /* The instance's object is named by its id, so the id is needed here:
         * read it (or make one) and let the object validate the rest. */
        cJSON *body;
        cJSON *details;
        e = http_parse_body(X, req, 0, &body, &why, &details);
        if (e != ERR_NONE) {
            http_error(X, res, e, why, details);
            cors(X, req, res);
            return;
        }
        const char *type, *id;
        if (http_create_envelope(X, res, body, &type, &id) == 0) {
            const char *gen = id ? NULL : lim_uuid(X);
            forward(X, res, id ? id : gen, gen);
        }
    } else {
        forward(X, res, m.instance, NULL);
    }
    cors(X, req, res);
}

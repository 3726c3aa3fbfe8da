/* exports.c — see exports.h. Each export brackets its work with
 * cx_enter/cx_leave so that cJSON allocates from this call's handle. */
#include "exports.h"

#include <string.h>

#include "api.h"
#include "db.h"
#include "edge.h"
#include "eng.h"
#include "http.h"
#include "json.h"
#include "lim.h"
#include "sb.h"

#ifdef AB_WASM
#define AB_EXPORT(name) __attribute__((export_name(name)))
#else
#define AB_EXPORT(name)
#endif

AB_EXPORT("ab_open") cx *ab_open(void) { return cx_open(); }

AB_EXPORT("ab_close") void ab_close(cx *h) {
    cx_leave();
    cx_close(h);
}

AB_EXPORT("ab_malloc") void *ab_malloc(cx *h, uint32_t n) { return h ? cx_alloc(h, n) : NULL; }

static const char *env_str(const cJSON *env, const char *k) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, k));
    return (s && *s) ? s : NULL;
}

/* Fills req from the host's description; -1 if it is unusable. */
static int parse_request(const char *meta, uint32_t meta_len, const char *body, uint32_t body_len,
                         http_request *req, const cJSON **m_out) {
    static const cJSON empty = {0};
    memset(req, 0, sizeof *req);
    cJSON *m = cJSON_ParseWithLength(meta, meta_len);
    if (m == NULL) return -1;
    req->method = cJSON_GetStringValue(cJSON_GetObjectItem(m, "method"));
    req->path = cJSON_GetStringValue(cJSON_GetObjectItem(m, "path"));
    req->query = cJSON_GetStringValue(cJSON_GetObjectItem(m, "query"));
    req->headers = cJSON_GetObjectItem(m, "headers");
    if (req->headers == NULL) req->headers = &empty;
    req->body_too_large = cJSON_IsTrue(cJSON_GetObjectItem(m, "bodyTooLarge"));
    const cJSON *env = cJSON_GetObjectItem(m, "env");
    req->token = env_str(env, "ABLAUF_API_TOKEN");
    const char *raw = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "ABLAUF_API_TOKEN"));
    req->token_empty = raw != NULL && *raw == '\0';
    req->cors = env_str(env, "ABLAUF_CORS_ORIGINS");
    const char *hooks = env_str(env, "ABLAUF_TEST_HOOKS");
    req->hooks = hooks && strcmp(hooks, "1") == 0;
    req->body = body ? body : "";
    req->body_len = body ? body_len : 0;
    if (m_out) *m_out = m;
    if (req->method == NULL || req->path == NULL) return -1;
    if (req->query == NULL) req->query = "";
    return 0;
}

/* Lays the response out for the host, in the handle. A refusal (4xx)
 * concluded after an allocation failed is not trusted: a name that could not
 * be decoded or a query that could not be copied looks malformed, so such an
 * answer becomes 500 "Out of memory". Successes stay successes: their work is
 * done. */
static ab_output *finish(cx *h, http_response *res) {
    if (h->rc == CX_NOMEM && res->status >= 400 && res->status < 500) {
        res->meta = NULL;
        http_oom(res);
    }
    if (res->meta == NULL) res->meta = cJSON_CreateObject();
    char *meta = NULL;
    if (res->meta != NULL) {
        cJSON_DeleteItemFromObject(res->meta, "status");
        if (cJSON_AddNumberToObject(res->meta, "status", res->status) != NULL)
            meta = json_print(h, res->meta);
    }
    if (meta == NULL) {
        /* Nothing left to build a description with: a fixed one. */
        meta = "{\"status\":500}";
        http_oom(res);
    }
    ab_output *out = &h->out;
    out->meta = meta;
    out->meta_len = (uint32_t)strlen(meta);
    out->body = res->body ? res->body : "";
    out->body_len = res->body ? (uint32_t)res->body_len : 0;
    out->meta_ptr = (uint32_t)(uintptr_t)out->meta;
    out->body_ptr = (uint32_t)(uintptr_t)out->body;
    cx_leave();
    return out;
}

/* The host's description could not be read: out of memory, or malformed. */
static ab_output *bad_request(cx *h) {
    http_response res = {0};
    if (h->rc == CX_NOMEM) http_oom(&res);
    else http_error(h, &res, ERR_INTERNAL_ERROR, "Malformed request description from the host", NULL);
    return finish(h, &res);
}

/* The generation a request or settle description carries (0 if none). */
static int64_t gen_of(const cJSON *m) {
    double gen = cJSON_GetNumberValue(cJSON_GetObjectItem(m, "gen"));
    return gen == gen ? (int64_t)gen : 0;
}

AB_EXPORT("ab_edge")
ab_output *ab_edge(cx *h, const char *meta, uint32_t meta_len, const char *body, uint32_t body_len) {
    http_request req;
    http_response res = {0};
    cx_enter(h);
    if (parse_request(meta, meta_len, body, body_len, &req, NULL) != 0) return bad_request(h);
    edge_handle(h, &req, &res);
    return finish(h, &res);
}

AB_EXPORT("ab_merge")
ab_output *ab_merge(cx *h, const char *meta, uint32_t meta_len, const char *bodies, uint32_t len) {
    http_request req;
    http_response res = {0};
    cx_enter(h);
    if (parse_request(meta, meta_len, NULL, 0, &req, NULL) != 0) return bad_request(h);
    edge_merge(h, &req, bodies, len, &res);
    return finish(h, &res);
}

AB_EXPORT("ab_serve")
ab_output *ab_serve(cx *h, const char *meta, uint32_t meta_len, const char *body, uint32_t body_len) {
    http_request req;
    http_response res = {0};
    const cJSON *m = NULL;
    cx_enter(h);
    if (parse_request(meta, meta_len, body, body_len, &req, &m) != 0) return bad_request(h);
    api_handle(h, &req, gen_of(m), &res);
    return finish(h, &res);
}

AB_EXPORT("ab_settle")
ab_output *ab_settle(cx *h, const char *meta, uint32_t meta_len, const char *prev, uint32_t len) {
    http_response res = {0};
    cx_enter(h);
    cJSON *m = cJSON_ParseWithLength(meta, meta_len);
    double status = cJSON_GetNumberValue(cJSON_GetObjectItem(m, "status"));
    if (m == NULL || status != status) return bad_request(h);
    int run = !cJSON_IsFalse(cJSON_GetObjectItem(m, "run"));
    api_settle(h, gen_of(m), (int)status, run, prev, len, &res);
    return finish(h, &res);
}

AB_EXPORT("ab_io")
ab_output *ab_io(cx *h, const char *meta, uint32_t meta_len, const char *body, uint32_t len) {
    http_response res = {0};
    cx_enter(h);
    cJSON *m = cJSON_ParseWithLength(meta, meta_len);
    if (m == NULL) return bad_request(h);
    api_io(h, gen_of(m), body, len, &res);
    return finish(h, &res);
}

AB_EXPORT("ab_check") ab_output *ab_check(cx *h) {
    http_response res = {0};
    cx_enter(h);
    cJSON *o = cJSON_CreateObject();
    cJSON *errors = cJSON_AddArrayToObject(o, "errors");
    int n = errors ? eng_check_defs(h, ab_registry, errors) : CX_NOMEM;
    if (n < 0) http_oom(&res);
    else http_json_value(h, &res, n == 0 ? 200 : 500, o);
    return finish(h, &res);
}

AB_EXPORT("ab_begin") double ab_begin(cx *h) {
    int64_t gen = 0;
    cx_enter(h);
    if (db_migrate(h) != CX_OK || eng_begin(h, &gen) != CX_OK) gen = 0;
    cx_leave();
    return (double)gen;
}

AB_EXPORT("ab_alarm") void ab_alarm(cx *h, double gen) {
    cx_enter(h);
    api_alarm(h, (int64_t)gen);
    cx_leave();
}

AB_EXPORT("ab_recover") void ab_recover(cx *h, const char *step, int32_t len, int32_t attempt) {
    cx_enter(h);
    char *name = len >= 0 ? sb_fmt(h, "%.*s", (int)len, step ? step : "") : NULL;
    api_recover(h, name, attempt);
    cx_leave();
}

AB_EXPORT("ab_ack") void ab_ack(cx *h, const char *body, uint32_t len) {
    cx_enter(h);
    api_ack(h, body, len);
    cx_leave();
}

AB_EXPORT("ab_ws_close_code") int32_t ab_ws_close_code(int32_t code) { return api_ws_close_code(code); }

/* A constant block, so no handle and no state: on wasm32 a pointer is a u32,
 * and the host reads the seven fields as u32s. */
static const struct {
    const char *head;
    uint32_t head_len;
    const char *tuple;
    uint32_t tuple_len;
    const char *tail;
    uint32_t tail_len;
    uint32_t max_rows;
} rows_sql = {DB_ROWS_HEAD, sizeof DB_ROWS_HEAD - 1, DB_ROWS_TUPLE, sizeof DB_ROWS_TUPLE - 1,
              DB_ROWS_TAIL, sizeof DB_ROWS_TAIL - 1, DB_ROWS_MAX};

AB_EXPORT("ab_rows_sql") const void *ab_rows_sql(void) { return &rows_sql; }

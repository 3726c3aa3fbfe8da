/* exports.c — see exports.h. */
#include "exports.h"

#include <string.h>

#include "api.h"
#include "arena.h"
#include "edge.h"
#include "eng.h"
#include "http.h"
#include "lim.h"

#ifdef AB_WASM
#define AB_EXPORT(name) __attribute__((export_name(name)))
#else
#define AB_EXPORT(name)
#endif

static ab_output out;
static int hooks_installed;

AB_EXPORT("ab_reset") void ab_reset(void) {
    arena_reset();
    if (!hooks_installed) {
        arena_install_cjson_hooks();
        hooks_installed = 1;
    }
}

AB_EXPORT("ab_malloc") void *ab_malloc(uint32_t n) { return arena_alloc(n); }

static const char *env_str(const cJSON *env, const char *k) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, k));
    return (s && *s) ? s : NULL;
}

/* Fills req from the host's description; -1 if it is unusable. */
static int parse_request(const char *meta, uint32_t meta_len, const char *body, uint32_t body_len,
                         http_request *req) {
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
    req->cors = env_str(env, "ABLAUF_CORS_ORIGINS");
    const char *hooks = env_str(env, "ABLAUF_TEST_HOOKS");
    req->hooks = hooks && strcmp(hooks, "1") == 0;
    req->body = body ? body : "";
    req->body_len = body ? body_len : 0;
    if (req->method == NULL || req->path == NULL) return -1;
    if (req->query == NULL) req->query = "";
    return 0;
}

static ab_output *finish(http_response *res) {
    if (res->meta == NULL) res->meta = cJSON_CreateObject();
    char *meta = NULL;
    if (res->meta != NULL) {
        cJSON_DeleteItemFromObject(res->meta, "status");
        cJSON_AddNumberToObject(res->meta, "status", res->status);
        meta = cJSON_PrintUnformatted(res->meta);
    }
    if (meta == NULL) {
        /* Nothing left to build a description with: a fixed one. */
        meta = "{\"status\":500}";
        http_oom(res);
    }
    out.meta = meta;
    out.meta_len = (uint32_t)strlen(meta);
    out.body = res->body ? res->body : "";
    out.body_len = res->body ? (uint32_t)res->body_len : 0;
    out.meta_ptr = (uint32_t)(uintptr_t)out.meta;
    out.body_ptr = (uint32_t)(uintptr_t)out.body;
    return &out;
}

static ab_output *bad_request(void) {
    http_response res = {0};
    http_error(&res, ERR_INTERNAL_ERROR, "Malformed request description from the host", NULL);
    return finish(&res);
}

AB_EXPORT("ab_edge")
ab_output *ab_edge(const char *meta, uint32_t meta_len, const char *body, uint32_t body_len) {
    http_request req;
    http_response res = {0};
    if (parse_request(meta, meta_len, body, body_len, &req) != 0) return bad_request();
    edge_handle(&req, &res);
    return finish(&res);
}

AB_EXPORT("ab_merge")
ab_output *ab_merge(const char *meta, uint32_t meta_len, const char *bodies, uint32_t len) {
    http_request req;
    http_response res = {0};
    if (parse_request(meta, meta_len, NULL, 0, &req) != 0) return bad_request();
    edge_merge(&req, bodies, len, &res);
    return finish(&res);
}

AB_EXPORT("ab_fetch")
ab_output *ab_fetch(const char *meta, uint32_t meta_len, const char *body, uint32_t body_len) {
    http_request req;
    http_response res = {0};
    if (parse_request(meta, meta_len, body, body_len, &req) != 0) return bad_request();
    cJSON *m = cJSON_ParseWithLength(meta, meta_len);
    double gen = cJSON_GetNumberValue(cJSON_GetObjectItem(m, "gen"));
    api_handle(&req, gen == gen ? (int64_t)gen : 0, &res);
    return finish(&res);
}

AB_EXPORT("ab_settle")
ab_output *ab_settle(const char *meta, uint32_t meta_len, const char *prev, uint32_t len) {
    http_response res = {0};
    cJSON *m = cJSON_ParseWithLength(meta, meta_len);
    double gen = cJSON_GetNumberValue(cJSON_GetObjectItem(m, "gen"));
    double status = cJSON_GetNumberValue(cJSON_GetObjectItem(m, "status"));
    if (m == NULL || status != status) return bad_request();
    api_settle(gen == gen ? (int64_t)gen : 0, (int)status, prev, len, &res);
    return finish(&res);
}

AB_EXPORT("ab_begin") double ab_begin(void) {
    int64_t gen = 0;
    if (db_migrate() != 0 || eng_begin(&gen) != 0) return 0;
    return (double)gen;
}

AB_EXPORT("ab_alarm") void ab_alarm(double gen) { api_alarm((int64_t)gen); }

AB_EXPORT("ab_recover") void ab_recover(void) { api_recover(); }

AB_EXPORT("ab_ws_close_code") int32_t ab_ws_close_code(int32_t code) { return api_ws_close_code(code); }

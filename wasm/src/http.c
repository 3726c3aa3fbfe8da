/* http.c — see http.h. */
#include "http.h"

#include <string.h>

#include "lim.h"
#include "sb.h"

static const struct {
    const char *name;
    int status;
    const char *source;
} catalog[] = {
    [ERR_NONE] = {"", 200, "api"},
    [ERR_WORKFLOW_NOT_FOUND] = {"WORKFLOW_NOT_FOUND", 404, "api"},
    [ERR_WORKFLOW_ALREADY_EXISTS] = {"WORKFLOW_ALREADY_EXISTS", 409, "api"},
    [ERR_WORKFLOW_TYPE_UNKNOWN] = {"WORKFLOW_TYPE_UNKNOWN", 400, "api"},
    [ERR_VALIDATION_ERROR] = {"VALIDATION_ERROR", 400, "validation"},
    [ERR_EVENT_INVALID] = {"EVENT_INVALID", 400, "validation"},
    [ERR_WORKFLOW_NOT_RUNNING] = {"WORKFLOW_NOT_RUNNING", 409, "engine"},
    [ERR_STEP_FAILED] = {"STEP_FAILED", 500, "step"},
    [ERR_STEP_RETRY_EXHAUSTED] = {"STEP_RETRY_EXHAUSTED", 500, "step"},
    [ERR_EVENT_TIMEOUT] = {"EVENT_TIMEOUT", 408, "engine"},
    [ERR_UPDATE_TIMEOUT] = {"UPDATE_TIMEOUT", 408, "engine"},
    [ERR_RESOURCE_NOT_FOUND] = {"RESOURCE_NOT_FOUND", 404, "api"},
    [ERR_METHOD_NOT_ALLOWED] = {"METHOD_NOT_ALLOWED", 405, "api"},
    [ERR_UNAUTHORIZED] = {"UNAUTHORIZED", 401, "api"},
    [ERR_PAYLOAD_TOO_LARGE] = {"PAYLOAD_TOO_LARGE", 413, "api"},
    [ERR_INTERNAL_ERROR] = {"INTERNAL_ERROR", 500, "engine"},
};

const char *err_name(err_code code) { return catalog[code].name; }
int err_status(err_code code) { return catalog[code].status; }
const char *err_source(err_code code) { return catalog[code].source; }

const char *http_header(const http_request *req, const char *name) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req->headers, name));
}

const char *http_query(const http_request *req, const char *name, int *bad) {
    size_t nlen = strlen(name);
    const char *p = req->query;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        if (klen == nlen && memcmp(p, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : p + len;
            size_t vlen = (size_t)(p + len - v);
            /* '+' means space in query strings */
            char *raw = str_ndup(v, vlen);
            if (raw == NULL) {
                if (bad) *bad = 1;
                return NULL;
            }
            for (char *q = raw; *q; q++)
                if (*q == '+') *q = ' ';
            char *dec = lim_url_decode(raw, vlen);
            if (dec == NULL && bad) *bad = 1;
            return dec;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

int http_json(http_response *res, int status, const char *body) {
    res->status = status;
    res->body = body;
    res->body_len = body ? strlen(body) : 0;
    return status;
}

int http_oom(http_response *res) {
    res->status = 500;
    res->body = "{\"error\":{\"code\":\"INTERNAL_ERROR\",\"message\":\"Out of memory\","
                "\"status\":500,\"source\":\"engine\"}}";
    res->body_len = strlen(res->body);
    return 500;
}

int http_json_value(http_response *res, int status, const cJSON *v) {
    char *text = v ? cJSON_PrintUnformatted(v) : NULL;
    if (text == NULL) return http_oom(res);
    return http_json(res, status, text);
}

int http_error(http_response *res, err_code code, const char *message, cJSON *details) {
    return http_error_status(res, err_status(code), code, message, details);
}

int http_error_status(http_response *res, int status, err_code code, const char *message,
                       cJSON *details) {
    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    if (err == NULL || !cJSON_AddStringToObject(err, "code", err_name(code)) ||
        !cJSON_AddStringToObject(err, "message", message ? message : err_name(code)) ||
        !cJSON_AddNumberToObject(err, "status", status) ||
        !cJSON_AddStringToObject(err, "source", err_source(code)))
        return http_oom(res);
    if (details != NULL) cJSON_AddItemToObject(err, "details", details);
    return http_json_value(res, status, root);
}

void http_set_header(http_response *res, const char *name, const char *value) {
    if (res->meta == NULL) res->meta = cJSON_CreateObject();
    cJSON *h = cJSON_GetObjectItemCaseSensitive(res->meta, "headers");
    if (h == NULL) h = cJSON_AddObjectToObject(res->meta, "headers");
    if (h != NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(h, name);
        cJSON_AddStringToObject(h, name, value);
    }
}

void http_issue(cJSON *issues, const char *path0, const char *message) {
    cJSON *issue = cJSON_CreateObject();
    cJSON *path = cJSON_AddArrayToObject(issue, "path");
    if (path0 != NULL) cJSON_AddItemToArray(path, cJSON_CreateString(path0));
    cJSON_AddStringToObject(issue, "message", message);
    cJSON_AddItemToArray(issues, issue);
}

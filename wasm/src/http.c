/* http.c — see http.h. */
#include "http.h"

#include <string.h>

#include "lim.h"
#include "host.h"
#include "json.h"
#include "sb.h"


const char *http_header(const http_request *req, const char *name) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req->headers, name));
}

const char *http_query(cx *X, const http_request *req, const char *name, int *bad) {
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
            char *raw = sb_ndup(X, v, vlen);
            if (raw == NULL) {
                if (bad) *bad = 1;
                return NULL;
            }
            for (char *q = raw; *q; q++)
                if (*q == '+') *q = ' ';
            char *dec = lim_url_decode(X, raw, vlen);
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

int http_json_value(cx *X, http_response *res, int status, const cJSON *v) {
    /* a raw root is already its text (the Status: eng_json.c) */
    if (v && cJSON_IsRaw(v) && v->valuestring) return http_json(res, status, v->valuestring);
    char *text = v ? json_print(X, v) : NULL;
    if (text == NULL) return http_oom(res);
    return http_json(res, status, text);
}

int http_error(cx *X, http_response *res, err_code code, const char *message, cJSON *details) {
    return http_error_status(X, res, err_status(code), code, message, details);
}

int http_error_status(cx *X, http_response *res, int status, err_code code, const char *message,
                       cJSON *details) {
    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    if (err == NULL || !cJSON_AddStringToObject(err, "code", err_name(code)) ||
        !cJSON_AddStringToObject(err, "message", message ? message : err_name(code)) ||
        !cJSON_AddNumberToObject(err, "status", status) ||
        !cJSON_AddStringToObject(err, "source", err_source(code)))
        return http_oom(res);
    if (details != NULL) cJSON_AddItemToObject(err, "details", details);
    return http_json_value(X, res, status, root);
}

void http_set_header(cx *X, http_response *res, const char *name, const char *value) {
    if (res->meta == NULL) res->meta = cJSON_CreateObject();
    cJSON *h = cJSON_GetObjectItemCaseSensitive(res->meta, "headers");
    if (h == NULL) h = cJSON_AddObjectToObject(res->meta, "headers");
    if (h != NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(h, name);
        cJSON_AddStringToObject(h, name, value);
    }
}

void http_issue(cx *X, cJSON *issues, const char *path0, const char *message) {
    cJSON *issue = cJSON_CreateObject();
    cJSON *path = cJSON_AddArrayToObject(issue, "path");
    if (path0 != NULL) cJSON_AddItemToArray(path, cJSON_CreateString(path0));
    cJSON_AddStringToObject(issue, "message", message);
    cJSON_AddItemToArray(issues, issue);
}

int http_create_envelope(cx *X, http_response *res, const cJSON *body, const char **type,
                         const char **id) {
    if (!cJSON_IsObject(body)) {
        http_error(X, res, ERR_VALIDATION_ERROR, "Request body must be a JSON object", NULL);
        return -1;
    }
    const cJSON *jtype = cJSON_GetObjectItemCaseSensitive(body, "type");
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(body, "id");
    cJSON *issues = cJSON_CreateArray();
    if (issues == NULL) {
        http_oom(res);
        return -1;
    }
    if (!cJSON_IsString(jtype)) http_issue(X, issues, "type", "must be string");
    if (jid && !cJSON_IsNull(jid) && (!cJSON_IsString(jid) || !lim_valid_id(jid->valuestring)))
        http_issue(X, issues, "id", "must be " LIM_ID_RULE);
    if (cJSON_GetArraySize(issues) > 0) {
        cJSON *d = cJSON_CreateObject();
        if (d == NULL || !cJSON_AddItemToObject(d, "issues", issues)) {
            http_oom(res);
            return -1;
        }
        http_error(X, res, ERR_VALIDATION_ERROR, "Invalid create request", d);
        return -1;
    }
    *type = jtype->valuestring;
    *id = cJSON_IsString(jid) ? jid->valuestring : NULL;
    return 0;
}

int http_fail(cx *X, http_response *res) {
    const char *msg;
    switch (X->rc) {
    case CX_STORAGE:
        msg = sb_fmt(X, "Storage error: %s", cx_message(X));
        if (msg != NULL) host_log(3, msg, (int32_t)strlen(msg)); /* for the operator's logs */
        break;
    case CX_BADDEF: msg = cx_message(X); break;
    case CX_NOMEM:
    case CX_OK:
    default: return http_oom(res);
    }
    if (msg == NULL) return http_oom(res);
    return http_error(X, res, ERR_INTERNAL_ERROR, msg, NULL);
}

err_code http_parse_body(cx *X, const http_request *req, int allow_empty, cJSON **out,
                         const char **why, cJSON **details) {
    *out = NULL;
    if (details) *details = NULL;
    if (req->body_too_large || req->body_len > LIM_BODY_MAX) {
        *why = "Request body exceeds 1 MiB";
        return ERR_PAYLOAD_TOO_LARGE;
    }
    size_t i = 0;
    while (i < req->body_len && strchr(" \t\r\n", req->body[i])) i++;
    if (i == req->body_len) {
        if (allow_empty) return ERR_NONE;
        *why = "Request body must be JSON";
        return ERR_VALIDATION_ERROR;
    }
    /* The strict reader (docs/json.md): RFC 8259, UTF-8, no duplicate keys,
     * no \u0000, finite numbers, at most 64 levels. */
    json_error err;
    cJSON *v;
    int rc = json_parse(X, req->body, req->body_len, &v, &err);
    if (rc == CX_NOMEM) {
        *why = "Out of memory";
        return ERR_INTERNAL_ERROR;
    }
    if (rc == JSON_INVALID) {
        cJSON *issue = json_issue(X, &err);
        if (details && issue) {
            *details = cJSON_CreateObject();
            cJSON *issues = cJSON_AddArrayToObject(*details, "issues");
            if (issues) cJSON_AddItemToArray(issues, issue);
        }
        *why = sb_fmt(X, "Malformed JSON body: %s (at byte %zu)", err.message, err.offset);
        if (*why == NULL) *why = "Malformed JSON body";
        return ERR_VALIDATION_ERROR;
    }
    *out = v;
    return ERR_NONE;
}

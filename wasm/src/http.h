/* http.h — requests and responses as the engine sees them.
 *
 * The host hands every request over as a small JSON description (method,
 * path, query, the few headers the engine reads, configuration) plus the raw
 * body; the engine answers with a JSON description (status, headers, and for
 * the host to act on: a WebSocket to accept, an object to forward to) plus a
 * body. Both live in the call arena.
 */
#ifndef AB_HTTP_H
#define AB_HTTP_H

#include <stddef.h>

#include "cJSON.h"
#include "cx.h"
#include "err.h"

typedef struct http_request {
    const char *method;
    const char *path;    /* raw (still percent-encoded), without the query */
    const char *query;   /* raw query string without '?', "" if none */
    const cJSON *headers; /* object, lower-case names */
    const char *body;
    size_t body_len;
    int body_too_large;  /* the host saw more than LIM_BODY_MAX bytes */
    /* configuration (wrangler vars) */
    const char *token;   /* ABLAUF_API_TOKEN or NULL */
    int token_empty;     /* ABLAUF_API_TOKEN is set but empty: a misconfiguration */
    const char *cors;    /* ABLAUF_CORS_ORIGINS or NULL */
    int hooks;           /* ABLAUF_TEST_HOOKS == "1" */
} http_request;

typedef struct http_response {
    int status;
    cJSON *meta;  /* extra fields for the host: headers, websocket, forward, ... */
    const char *body;
    size_t body_len;
} http_response;


/* Reads a header (lower-case name); NULL if absent. */
const char *http_header(const http_request *req, const char *name);

/* Reads a query parameter, percent-decoded; NULL if absent. *bad is set when
 * present but undecodable. */
const char *http_query(cx *X, const http_request *req, const char *name, int *bad);

/* Parses the request body as JSON with the strict reader (json.h). Empty ->
 * *out = NULL, ERR_NONE only if allow_empty. Otherwise VALIDATION_ERROR
 * (malformed; *details, if given, = {"issues": [{"path", "message"}]}),
 * PAYLOAD_TOO_LARGE, or INTERNAL_ERROR (out of memory), with *why set. Used by both doors: the worker entry
 * (edge) reads a create's id, the object (api) everything. */
err_code http_parse_body(cx *X, const http_request *req, int allow_empty, cJSON **out,
                         const char **why, cJSON **details);

/* The envelope of a create body {"type", "id"?, "payload"?}, checked the
 * same way at both doors (the worker entry needs the id to route, the object
 * checks again because it answers for what it stores). Returns 0 with *type
 * and *id (NULL when the body names none), or answers 400 in res and returns
 * -1. */
int http_create_envelope(cx *X, http_response *res, const cJSON *body, const char **type,
                         const char **id);

/* Responses. Each returns the HTTP status it set, so handlers can end with
 * `return http_error(...)`. body is taken as is (arena). */
int http_json(http_response *res, int status, const char *body);
/* Serializes v (cJSON) as the body; 500 on allocation failure. */
int http_json_value(cx *X, http_response *res, int status, const cJSON *v);
int http_error(cx *X, http_response *res, err_code code, const char *message, cJSON *details);
/* The same with an HTTP status outside the catalog (426 Upgrade Required). */
int http_error_status(cx *X, http_response *res, int status, err_code code, const char *message,
                       cJSON *details);
/* Adds a response header for the host to set. */
void http_set_header(cx *X, http_response *res, const char *name, const char *value);
/* Marks the response as out of memory (500) — the last resort path: a fixed
 * body, no allocation. */
int http_oom(http_response *res);
/* Answers the failure the handle recorded: 500 "Out of memory" for CX_NOMEM,
 * 500 "Storage error: <why>" for CX_STORAGE (also logged for the operator),
 * 500 with the definition's message for CX_BADDEF. */
int http_fail(cx *X, http_response *res);

/* A validation issue {"path": [...], "message"} appended to issues. */
void http_issue(cx *X, cJSON *issues, const char *path0, const char *message);

#endif

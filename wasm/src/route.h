/* route.h — the URL space of docs/http-api.md, parsed once for the worker entry
 * (edge.c) and the Durable Object (api.c) alike.
 *
 * Ownership: strings in a route_match live in the call arena. */
#ifndef AB_ROUTE_H
#define AB_ROUTE_H

#include "http.h"

typedef enum route_id {
    R_NONE = 0,
    R_DASHBOARD,  /* GET /__ablauf, /__ablauf/ */
    R_CLIENT_JS,  /* GET /__ablauf/client.js */
    R_TYPES,      /* GET /__ablauf/types */
    R_CREATE,     /* POST /__ablauf/workflows */
    R_LIST,       /* GET /__ablauf/workflows */
    R_STATUS,     /* GET /__ablauf/workflows/{id} */
    R_TIMELINE,   /* GET .../{id}/timeline */
    R_EVENT,      /* POST .../{id}/events/{event} */
    R_PAUSE,      /* POST .../{id}/pause */
    R_RESUME,     /* POST .../{id}/resume */
    R_TERMINATE,  /* POST .../{id}/terminate */
    R_UPDATES,    /* GET .../{id}/updates */
    R_WS,         /* GET .../{id}/ws */
    R_ADVANCE,    /* POST .../{id}/_advance (test hook) */
    R_EXPORT,     /* GET .../{id}/export (the instance's whole storage) */
    /* reachable only on the object itself, never through the worker */
    R_OBJECT_WS,  /* GET /ws (docs/client.md) */
    R_INDEX_PUT,  /* POST /__index/put */
    R_INDEX_LIST  /* GET /__index/list */
} route_id;

typedef struct route_match {
    route_id id;
    const char *instance; /* decoded instance id, for {id} routes */
    const char *event;    /* decoded event name, for R_EVENT */
} route_match;

/* Parses req's method and path. Returns ERR_NONE with *m filled, or the
 * error to answer: RESOURCE_NOT_FOUND, METHOD_NOT_ALLOWED, or
 * VALIDATION_ERROR for a malformed id or event name (*why says which).
 * internal = 1 also accepts the object-only routes. */
err_code route_parse(cx *X, const http_request *req, int internal, route_match *m, const char **why);

#endif

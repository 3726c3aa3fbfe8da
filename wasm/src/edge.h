/* edge.h — the worker entry's decisions, before any Durable Object is
 * involved: CORS, authentication, routing, the type catalogue, and the
 * listing fan-out over the index shards and its merge.
 *
 * The answer is either a response, or an instruction for the host in
 * res->meta: {"forward": "<object name>", "headers": {...}} (send the request
 * to that object), {"fanout": [...names], "path": "..."} (ask every index
 * shard, then call edge_merge with their bodies) or {"asset": "dashboard" |
 * "client"} (serve a bundled file). */
#ifndef AB_EDGE_H
#define AB_EDGE_H

#include "http.h"

void edge_handle(cx *X, const http_request *req, http_response *res);

/* bodies: a JSON array of the shards' list responses (arrays of IndexEntry),
 * in any order.
 * Returns the HTTP status of the answer. */
int edge_merge(cx *X, const http_request *req, const char *bodies, size_t len, http_response *res);

/* {"types": [...]} of docs/http-api.md (also used by the build to generate types). */
cJSON *edge_types_json(cx *X);

#endif

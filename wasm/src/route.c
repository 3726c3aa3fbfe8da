/* route.c — see route.h. */
#include "route.h"

#include <string.h>

#include "lim.h"
#include "sb.h"

#define MAX_SEGMENTS 8

/* Splits the path into raw segments (percent-encoded still). */
static int split(const char *path, const char **seg, size_t *len) {
    int n = 0;
    const char *p = path;
    if (*p == '/') p++;
    while (*p) {
        if (n == MAX_SEGMENTS) return -1;
        const char *slash = strchr(p, '/');
        size_t l = slash ? (size_t)(slash - p) : strlen(p);
        seg[n] = p;
        len[n] = l;
        n++;
        if (!slash) break;
        p = slash + 1;
        if (*p == '\0') break; /* one trailing slash is ignored */
    }
    return n;
}

static int is(const char *s, size_t n, const char *lit) {
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static err_code method(const http_request *req, const char *want, route_match *m, route_id id) {
    m->id = id;
    return strcmp(req->method, want) == 0 ? ERR_NONE : ERR_METHOD_NOT_ALLOWED;
}

err_code route_parse(cx *X, const http_request *req, int internal, route_match *m, const char **why) {
    const char *seg[MAX_SEGMENTS];
    size_t len[MAX_SEGMENTS];
    memset(m, 0, sizeof *m);
    *why = NULL;
    int n = split(req->path, seg, len);
    if (n < 0) return ERR_RESOURCE_NOT_FOUND;

    if (internal) {
        if (n == 1 && is(seg[0], len[0], "ws")) return method(req, "GET", m, R_OBJECT_WS);
        if (n == 2 && is(seg[0], len[0], "__index")) {
            if (is(seg[1], len[1], "put")) return method(req, "POST", m, R_INDEX_PUT);
            if (is(seg[1], len[1], "list")) return method(req, "GET", m, R_INDEX_LIST);
        }
    }
    if (n == 0 || !is(seg[0], len[0], "__ablauf")) return ERR_RESOURCE_NOT_FOUND;
    if (n == 1) return method(req, "GET", m, R_DASHBOARD);
    if (n == 2 && is(seg[1], len[1], "types")) return method(req, "GET", m, R_TYPES);
    if (n == 2 && is(seg[1], len[1], "client.js")) return method(req, "GET", m, R_CLIENT_JS);
    if (n == 2 && is(seg[1], len[1], "index.html")) return method(req, "GET", m, R_DASHBOARD);
    if (!is(seg[1], len[1], "workflows")) return ERR_RESOURCE_NOT_FOUND;
    if (n == 2) {
        m->id = strcmp(req->method, "POST") == 0 ? R_CREATE : R_LIST;
        return (strcmp(req->method, "POST") == 0 || strcmp(req->method, "GET") == 0)
                   ? ERR_NONE : ERR_METHOD_NOT_ALLOWED;
    }

    /* /__ablauf/workflows/{id}... : work out the route before judging the id,
     * so an unknown route is a 404 whatever the id looks like. */
    route_id id = R_NONE;
    const char *want = NULL;
    if (n == 3) {
        id = R_STATUS;
        want = "GET";
    } else if (n == 4) {
        static const struct { const char *name; route_id id; const char *method; } sub[] = {
            {"timeline", R_TIMELINE, "GET"}, {"pause", R_PAUSE, "POST"},
            {"resume", R_RESUME, "POST"},    {"terminate", R_TERMINATE, "POST"},
            {"updates", R_UPDATES, "GET"},   {"ws", R_WS, "GET"},
            {"_advance", R_ADVANCE, "POST"}, {"export", R_EXPORT, "GET"},
        };
        for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
            if (is(seg[3], len[3], sub[i].name)) {
                id = sub[i].id;
                want = sub[i].method;
            }
        if (id == R_ADVANCE && !req->hooks) id = R_NONE;
    } else if (n == 5 && is(seg[3], len[3], "events")) {
        id = R_EVENT;
        want = "POST";
    }
    if (id == R_NONE) return ERR_RESOURCE_NOT_FOUND;

    char *inst = lim_url_decode(X, seg[2], len[2]);
    if (inst == NULL || !lim_valid_id(inst)) {
        *why = sb_fmt(X, "Invalid workflow id \"%s\": " LIM_ID_RULE, inst ? inst : "(malformed encoding)");
        return ERR_VALIDATION_ERROR;
    }
    m->instance = inst;
    if (id == R_EVENT) {
        char *ev = lim_url_decode(X, seg[4], len[4]);
        if (ev == NULL || !lim_valid_name(ev)) {
            *why = "Invalid event name: 1 to 128 bytes of printable UTF-8";
            return ERR_VALIDATION_ERROR;
        }
        m->event = ev;
    }
    return method(req, want, m, id);
}

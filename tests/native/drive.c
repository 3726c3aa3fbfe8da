/* drive.c — see drive.h. */
#include "drive.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx.h"
#include "exports.h"

/* --- the pool ---------------------------------------------------------------- */

static char **pool;
static size_t npool, cappool;
static int delivered; /* index puts already delivered to their shards */
static long fail_at = -1; /* allocation failure injected into every call (dr_fail_at) */
static int fail_once;
static cx *jh;            /* the handle jget() parses in, closed by the next call */
static int deliver_always = 1; /* deliver and ack index puts after every object event, as runner.js does */

void dr_deliver_after_events(int on) { deliver_always = on; }

static void jh_close(void) {
    ab_close(jh);
    jh = NULL;
}

void dr_fail_at(long n, int once) {
    fail_at = n;
    fail_once = once;
}

const char *dr_keep(char *s) {
    if (s == NULL) return NULL;
    if (npool == cappool) {
        cappool = cappool ? cappool * 2 : 256;
        char **p = realloc(pool, sizeof *pool * cappool);
        if (p == NULL) abort();
        pool = p;
    }
    pool[npool++] = s;
    return s;
}

static const char *keep_n(const char *s, size_t n) {
    char *c = malloc(n + 1);
    if (c == NULL) abort();
    if (n) memcpy(c, s, n);
    c[n] = '\0';
    return dr_keep(c);
}

static void pool_free(void) {
    for (size_t i = 0; i < npool; i++) free(pool[i]);
    free(pool);
    pool = NULL;
    npool = cappool = 0;
}

const char *dr_printf(const char *fmt, ...) {
    va_list ap, cp;
    va_start(ap, fmt);
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    char *s = malloc((size_t)n + 1);
    if (s == NULL) abort();
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return dr_keep(s);
}

void dr_reset(void) {
    pool_free();
    hn_reset();
    delivered = 0;
    deliver_always = 1;
    dr_fail_at(-1, 0);
    jh_close();
}

void dr_shutdown(void) {
    pool_free();
    hn_shutdown();
    dr_fail_at(-1, 0);
    jh_close();
}

/* --- request descriptions ------------------------------------------------------ */

/* Appends s as a JSON string literal (malloc buffer). */
typedef struct mb {
    char *p;
    size_t len, cap;
} mb;

static void mb_add(mb *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void mb_puts(mb *b, const char *s) { mb_add(b, s, strlen(s)); }

static void mb_str(mb *b, const char *s) {
    mb_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[8];
        if (*p == '"' || *p == '\\') {
            e[0] = '\\';
            e[1] = (char)*p;
            mb_add(b, e, 2);
        } else if (*p < 0x20) {
            snprintf(e, sizeof e, "\\u%04x", *p);
            mb_add(b, e, 6);
        } else {
            mb_add(b, (const char *)p, 1);
        }
    }
    mb_add(b, "\"", 1);
}

static const char *describe(const dr_req *r, double gen) {
    mb b = {0};
    mb_puts(&b, "{\"method\":");
    mb_str(&b, r->method);
    mb_puts(&b, ",\"path\":");
    mb_str(&b, r->path);
    mb_puts(&b, ",\"query\":");
    mb_str(&b, r->query ? r->query : "");
    mb_puts(&b, ",\"headers\":");
    mb_puts(&b, r->headers ? r->headers : "{\"content-type\":\"application/json\"}");
    mb_puts(&b, ",\"env\":");
    mb_puts(&b, r->env ? r->env : "{\"ABLAUF_TEST_HOOKS\":\"1\"}");
    mb_puts(&b, r->body_too_large ? ",\"bodyTooLarge\":true" : ",\"bodyTooLarge\":false");
    if (gen != 0) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, ",\"gen\":%.17g", gen);
        mb_puts(&b, tmp);
    }
    mb_puts(&b, "}");
    return dr_keep(b.p);
}

/* --- calls ---------------------------------------------------------------------- */

typedef enum { CALL_FETCH, CALL_SETTLE, CALL_IO, CALL_EDGE, CALL_MERGE, CALL_CHECK, CALL_BEGIN, CALL_ALARM, CALL_RECOVER, CALL_ACK } call_kind;

typedef struct call {
    call_kind kind;
    const char *meta, *body;
    size_t body_len;
    double gen;
    double begin_result;
} call;

static dr_resp trapped_resp(void) {
    dr_resp r = {500, "", "{\"error\":{\"code\":\"INTERNAL_ERROR\",\"message\":\"engine trapped\","
                          "\"status\":500,\"source\":\"engine\"}}", 1};
    return r;
}

/* Status from the meta: finish() appends it last. */
static int meta_status(const char *meta) {
    const char *last = NULL;
    for (const char *p = strstr(meta, "\"status\":"); p; p = strstr(p + 1, "\"status\":")) last = p;
    return last ? atoi(last + 9) : -1;
}

/* One call in a handle of its own, copied out and closed (host.js does the
 * same). The request is copied into the handle with ab_malloc. */
static int run_call(call *c, dr_resp *out) {
    static jmp_buf env;
    static cx *h; /* static: still known after the longjmp */
    hn_pending saved = hn_pending_save();
    memset(out, 0, sizeof *out);
    jh_close();
    if (setjmp(env) != 0) {
        /* The simulated trap: the shim throws the instance away, drops what
         * the call queued, and runs ab_recover on a fresh one. */
        hn_trap_set_env(NULL);
        hn_pending_discard(saved);
        hn_rows_flush(); /* the rows queued before the trap are stored */
        ab_close(h);
        h = ab_open();
        const char *step;
        int attempt, len = hn_body(&step, &attempt);
        ab_recover(h, step, len, attempt);
        ab_close(h);
        h = NULL;
        *out = trapped_resp();
        return -1;
    }
    h = ab_open();
    if (h == NULL) abort();
    uint32_t mlen = c->meta ? (uint32_t)strlen(c->meta) : 0;
    char *meta = mlen ? ab_malloc(h, mlen) : NULL;
    char *body = c->body_len ? ab_malloc(h, (uint32_t)c->body_len) : NULL;
    if ((mlen && meta == NULL) || (c->body_len && body == NULL)) abort();
    if (mlen) memcpy(meta, c->meta, mlen);
    if (c->body_len) memcpy(body, c->body, c->body_len);
    if (fail_at >= 0) cx_fail_at(h, fail_at, fail_once);
    hn_trap_set_env(&env);
    ab_output *o = NULL;
    switch (c->kind) {
    case CALL_FETCH: o = ab_serve(h, meta, mlen, body, (uint32_t)c->body_len); break;
    case CALL_SETTLE: o = ab_settle(h, meta, mlen, body, (uint32_t)c->body_len); break;
    case CALL_IO: o = ab_io(h, meta, mlen, body, (uint32_t)c->body_len); break;
    case CALL_EDGE: o = ab_edge(h, meta, mlen, body, (uint32_t)c->body_len); break;
    case CALL_MERGE: o = ab_merge(h, meta, mlen, body, (uint32_t)c->body_len); break;
    case CALL_CHECK: o = ab_check(h); break;
    case CALL_BEGIN: c->begin_result = ab_begin(h); break;
    case CALL_ALARM: ab_alarm(h, c->gen); break;
    case CALL_RECOVER: ab_recover(h, NULL, -1, 0); break;
    case CALL_ACK: ab_ack(h, body, (uint32_t)c->body_len); break;
    }
    hn_trap_set_env(NULL);
    hn_rows_flush(); /* what the call queued last (host.js: call()) */
    if (o != NULL) {
        out->meta = keep_n(o->meta, o->meta_len);
        out->body = keep_n(o->body, o->body_len);
        out->status = meta_status(out->meta);
    }
    ab_close(h);
    h = NULL;
    return 0;
}

dr_resp dr_check(void) {
    call c = {.kind = CALL_CHECK};
    dr_resp out;
    run_call(&c, &out);
    return out;
}

double dr_begin(void) {
    call c = {.kind = CALL_BEGIN};
    dr_resp r;
    if (run_call(&c, &r) != 0) return -1;
    return c.begin_result;
}

/* An answer whose meta says "settle": the shim commits and settles in new
 * events (runner.js settleLoop), then delivers the index writes. */
static dr_resp settled(dr_resp out) {
    for (int i = 0; i < 64 && jis_true(out.meta, "settle"); i++) {
        double g = dr_begin();
        if (g < 0) return trapped_resp();
        call s = {.kind = CALL_SETTLE, .meta = dr_printf("{\"gen\":%.17g,\"status\":%d}", g, out.status),
                  .body = out.body, .body_len = strlen(out.body)};
        if (run_call(&s, &out) != 0) return out;
    }
    if (deliver_always) dr_deliver_index();
    return out;
}

dr_resp dr_fetch_req(const dr_req *r) {
    double gen = 0;
    if (strcmp(r->method, "GET") != 0 && !r->no_begin) {
        gen = dr_begin();
        if (gen < 0) return trapped_resp();
    }
    call c = {.kind = CALL_FETCH, .meta = describe(r, gen), .body = r->body ? r->body : "",
              .body_len = r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0};
    dr_resp out;
    if (run_call(&c, &out) != 0) return out;
    /* After a crash the pass may stop at an armed step: the shim commits its
     * marker in a new event and settles. */
    return settled(out);
}

dr_resp dr_fetch(const char *method, const char *path, const char *body) {
    const char *q = strchr(path, '?');
    dr_req r = {.method = method, .path = q ? keep_n(path, (size_t)(q - path)) : path,
                .query = q ? q + 1 : "", .body = body};
    return dr_fetch_req(&r);
}

dr_resp dr_io_many(const char *outcomes) {
    for (int i = 0, n = jlen(outcomes, ""); i < n; i++) {
        const char *t = jstr(outcomes, dr_printf("%d.token", i));
        if (t) hn_io_forget(t);
    }
    double gen = dr_begin();
    if (gen < 0) return trapped_resp();
    call c = {.kind = CALL_IO, .meta = dr_printf("{\"gen\":%.17g}", gen), .body = outcomes,
              .body_len = strlen(outcomes)};
    dr_resp out;
    if (run_call(&c, &out) != 0) return out;
    return settled(out);
}

dr_resp dr_io(const char *token, const char *outcome) {
    return dr_io_many(dr_printf("[{\"token\":\"%s\",\"outcome\":%s}]", token, outcome));
}

void dr_alarm(void) {
    hn_set_alarm(-1); /* the platform consumes the alarm as it fires */
    double gen = dr_begin();
    if (gen < 0) return;
    call c = {.kind = CALL_ALARM, .gen = gen};
    dr_resp out;
    run_call(&c, &out);
    if (deliver_always) dr_deliver_index();
}

int dr_fire(void) {
    double at = hn_alarm();
    if (at < 0) return 0;
    if (at > hn_now()) hn_set_now(at);
    dr_alarm();
    return 1;
}

int dr_settle(int max) {
    int n = 0;
    while (n < max && dr_fire()) n++;
    return n;
}

void dr_recover(void) {
    call c = {.kind = CALL_RECOVER};
    dr_resp out;
    run_call(&c, &out);
}

dr_resp dr_edge_req(const dr_req *r) {
    call c = {.kind = CALL_EDGE, .meta = describe(r, 0), .body = r->body ? r->body : "",
              .body_len = r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0};
    dr_resp out;
    run_call(&c, &out);
    return out;
}

dr_resp dr_merge_req(const dr_req *r, const char *bodies) {
    call c = {.kind = CALL_MERGE, .meta = describe(r, 0), .body = bodies, .body_len = strlen(bodies)};
    dr_resp out;
    run_call(&c, &out);
    return out;
}

void dr_ack(const char *shard, const char *entry) {
    mb ack = {0};
    mb_puts(&ack, "[[");
    mb_str(&ack, shard);
    mb_puts(&ack, ",");
    mb_str(&ack, entry);
    mb_puts(&ack, "]]");
    call c = {.kind = CALL_ACK, .body = dr_keep(ack.p), .body_len = ack.len};
    dr_resp out;
    run_call(&c, &out);
}

void dr_deliver_index(void) {
    const char *back = dr_printf("%s", hn_current());
    while (delivered < hn_index_put_count()) {
        const hn_index_put *p = hn_index_put_at(delivered++);
        const char *from = dr_printf("%s", p->from);
        const char *shard = dr_printf("%s", p->shard), *entry = dr_printf("%s", p->entry);
        hn_use(shard);
        dr_resp r = dr_fetch("POST", "/__index/put", entry);
        if (r.status != 200) continue; /* stays in the outbox: the alarm offers it again */
        hn_use(from); /* the shim acknowledges what arrived (runner.js apply) */
        dr_ack(shard, entry);
    }
    hn_use(back);
}

dr_resp dr_worker(const char *method, const char *target, const char *body) {
    const char *back = dr_printf("%s", hn_current());
    const char *q = strchr(target, '?');
    dr_req r = {.method = method, .path = q ? keep_n(target, (size_t)(q - target)) : target,
                .query = q ? q + 1 : "", .body = body};
    dr_resp e = dr_edge_req(&r);
    if (e.trapped) return e;
    const char *fwd = jstr(e.meta, "forward");
    int nfan = jlen(e.meta, "fanout");
    if (fwd != NULL) {
        const char *xid = jstr(e.meta, "requestHeaders.x-ablauf-id");
        dr_req f = r;
        if (xid)
            f.headers = dr_printf("{\"content-type\":\"application/json\",\"x-ablauf-id\":\"%s\"}", xid);
        hn_use(fwd);
        dr_resp res = dr_fetch_req(&f);
        hn_use(back);
        dr_deliver_index();
        return res;
    }
    if (nfan >= 0) {
        const char *path = jstr(e.meta, "path");
        const char **names = malloc(sizeof *names * (size_t)(nfan + 1));
        if (names == NULL) abort();
        for (int i = 0; i < nfan; i++) names[i] = jstr(e.meta, dr_printf("fanout.%d", i));
        mb all = {0};
        mb_puts(&all, "[");
        for (int i = 0; i < nfan; i++) {
            hn_use(names[i]);
            dr_resp s = dr_fetch("GET", path, NULL);
            if (i) mb_puts(&all, ",");
            mb_puts(&all, s.body);
        }
        mb_puts(&all, "]");
        free(names);
        hn_use(back);
        return dr_merge_req(&r, dr_keep(all.p));
    }
    return e;
}

dr_resp dr_create(const char *type, const char *id, const char *payload_json) {
    mb b = {0};
    mb_puts(&b, "{\"type\":");
    mb_str(&b, type);
    if (id) {
        mb_puts(&b, ",\"id\":");
        mb_str(&b, id);
    }
    if (payload_json) {
        mb_puts(&b, ",\"payload\":");
        mb_puts(&b, payload_json);
    }
    mb_puts(&b, "}");
    return dr_fetch("POST", "/__ablauf/workflows", dr_keep(b.p));
}

dr_resp dr_get(const char *id) { return dr_fetch("GET", dr_printf("/__ablauf/workflows/%s", id), NULL); }

dr_resp dr_post(const char *id, const char *sub, const char *body) {
    return dr_fetch("POST", dr_printf("/__ablauf/workflows/%s/%s", id, sub), body);
}

/* --- JSON reading ------------------------------------------------------------------ */

const cJSON *jget(const char *json, const char *path) {
    if (json == NULL) return NULL;
    if (jh == NULL && (jh = ab_open()) == NULL) abort();
    cx_enter(jh);
    const cJSON *v = cJSON_Parse(json);
    const char *p = path;
    while (v && p && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char seg[256];
        if (n >= sizeof seg) return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        char *end;
        long idx = strtol(seg, &end, 10);
        if (seg[0] == '@') {
            const cJSON *found = NULL, *e;
            cJSON_ArrayForEach(e, v) {
                const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
                if (name && strcmp(name, seg + 1) == 0) found = e;
            }
            v = found;
        } else if (cJSON_IsArray(v) && n > 0 && *end == '\0') {
            v = cJSON_GetArrayItem(v, (int)idx);
        } else {
            v = cJSON_GetObjectItemCaseSensitive(v, seg);
        }
        p = dot ? dot + 1 : NULL;
    }
    return v;
}

const char *jstr(const char *json, const char *path) {
    const char *s = cJSON_GetStringValue(jget(json, path));
    return s ? keep_n(s, strlen(s)) : NULL;
}

const char *jtext(const char *json, const char *path) {
    const cJSON *v = jget(json, path);
    if (v == NULL) return NULL;
    char *t = cJSON_PrintUnformatted(v);
    return t ? keep_n(t, strlen(t)) : NULL;
}

double jnum(const char *json, const char *path) {
    const cJSON *v = jget(json, path);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

int jlen(const char *json, const char *path) {
    const cJSON *v = jget(json, path);
    return (cJSON_IsArray(v) || cJSON_IsObject(v)) ? cJSON_GetArraySize(v) : -1;
}

int jis_null(const char *json, const char *path) { return cJSON_IsNull(jget(json, path)); }
int jis_true(const char *json, const char *path) { return cJSON_IsTrue(jget(json, path)); }

const char *jcompact(const char *json) { return jtext(json, ""); }

/* fuzz_api.c — libFuzzer target: untrusted bytes through the engine's
 * request paths, the way the shim delivers them (tests/native/drive.c over
 * the native host). Properties checked for every input:
 *
 *   - no crash, no sanitizer report (ASan + UBSan);
 *   - the answer is a status of SPEC §2/§5 — never 500: bad input is the
 *     caller's error, not the engine's;
 *   - every error answer is a well-formed §5 body whose status matches;
 *   - a rejected create stores nothing; a rejected event changes nothing.
 *
 * Input: byte 0 picks the path, the rest is the body (or path + query).
 * Run by scripts/test.sh with a fixed seed and run count. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drive.h"

static int initialised;
static unsigned long inputs, fresh;

static void die(const char *what, dr_resp r) {
    fprintf(stderr, "fuzz_api: %s: HTTP %d\nmeta: %s\nbody: %s\n", what, r.status, r.meta, r.body);
    abort();
}

/* The body must be JSON; an error body must have the §5 shape. */
static void check_body(dr_resp r) {
    if (r.status == 101 || r.status == 204) return;
    const cJSON *b = jget(r.body, ""); /* parsed in the driver's own handle */
    if (b == NULL) die("answer is not JSON", r);
    if (r.status >= 400) {
        const cJSON *e = cJSON_GetObjectItem(b, "error");
        const cJSON *code = cJSON_GetObjectItem(e, "code"), *status = cJSON_GetObjectItem(e, "status");
        if (!cJSON_IsString(code) || !cJSON_IsString(cJSON_GetObjectItem(e, "message")) ||
            !cJSON_IsNumber(status) || (int)status->valuedouble != r.status ||
            !cJSON_IsString(cJSON_GetObjectItem(e, "source")))
            die("malformed error body", r);
    }
}

static void check_status(dr_resp r, const int *allowed) {
    for (const int *a = allowed; *a; a++) {
        if (r.status == *a) {
            check_body(r);
            return;
        }
    }
    die("unexpected status", r);
}

/* Objects: "fz-wait" holds a multi-event instance waiting for first-approval;
 * creates go to a fresh object each time one succeeds. The native host holds
 * at most 64 objects ("default", "fz-wait" and fz-new-0 .. fz-new-<fresh>),
 * so the world starts again before a create could need a 65th: a corpus
 * that evolved many successful creates (replayed with -runs=0 or resumed)
 * used to abort with "host_native: too many objects" before the periodic
 * reset came round. */
#define FRESH_MAX 48
static void setup(void) {
    dr_reset();
    hn_use("fz-wait");
    dr_resp r = dr_create("multi-event", "fz-wait", "{\"name\":\"Fuzz\"}");
    if (r.status != 201) die("setup", r);
    fresh = 0;
    initialised = 1;
}

static const char *fresh_object(void) { return dr_printf("fz-new-%lu", fresh); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Every 2,000 inputs the driver's string pool is freed too (dr_reset). */
    if (!initialised || ++inputs % 2000 == 0 || fresh >= FRESH_MAX) setup();
    if (size == 0) return 0;
    unsigned mode = data[0] % 4;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;

    switch (mode) {
    case 0: { /* create with an arbitrary body */
        static const int ok[] = {200, 201, 400, 409, 413, 0};
        hn_use(fresh_object());
        dr_req q = {.method = "POST", .path = "/__ablauf/workflows", .body = len ? body : "",
                    .body_len = len ? len : 0};
        if (len == 0) q.body = "";
        dr_resp r = dr_fetch_req(&q);
        check_status(r, ok);
        long long stored = hn_query_int("SELECT count(*) FROM ab_instance");
        if (r.status >= 400 && stored > 0) die("a rejected create stored an instance", r);
        if (r.status < 300) fresh++;
        break;
    }
    case 1: { /* an event with an arbitrary payload */
        static const int ok[] = {202, 400, 409, 413, 0};
        hn_use("fz-wait");
        long long before = hn_query_int("SELECT count(*) FROM ab_events") * 1000 +
                           hn_query_int("SELECT count(*) FROM ab_steps WHERE status = 'completed'");
        dr_req q = {.method = "POST", .path = "/__ablauf/workflows/fz-wait/events/first-approval",
                    .body = len ? body : "", .body_len = len};
        dr_resp r = dr_fetch_req(&q);
        check_status(r, ok);
        long long after = hn_query_int("SELECT count(*) FROM ab_events") * 1000 +
                          hn_query_int("SELECT count(*) FROM ab_steps WHERE status = 'completed'");
        if (r.status >= 400 && after != before) die("a rejected event changed the instance", r);
        if (r.status == 202) setup(); /* the wait is over: start again */
        break;
    }
    case 2:
    case 3: { /* an arbitrary method, path and query through the worker's edge and an object */
        static const int ok[] = {101, 200, 201, 202, 204, 400, 401, 404, 405, 409, 413, 426, 0};
        static const char *const methods[] = {"GET", "POST", "PUT", "OPTIONS"};
        char *target = malloc(len + 2);
        if (target == NULL) return 0;
        target[0] = '/';
        memcpy(target + 1, body, len);
        target[len + 1] = '\0';
        if (strlen(target) != len + 1) { free(target); return 0; } /* NUL inside */
        char *q = strchr(target, '?');
        if (q) *q++ = '\0';
        dr_req r = {.method = methods[(data[0] >> 2) % 4], .path = dr_keep(target),
                    .query = q ? q : "", .headers = "{\"upgrade\":\"websocket\"}"};
        dr_resp e = dr_edge_req(&r);
        /* The edge either answers or instructs the host (forward, fan-out). */
        if (!strstr(e.meta, "\"forward\"") && !strstr(e.meta, "\"fanout\"") && !strstr(e.meta, "\"asset\""))
            check_status(e, ok);
        hn_use("fz-wait");
        r.no_begin = 1;
        dr_resp o = dr_fetch_req(&r);
        check_status(o, ok);
        break;
    }
    }
    return 0;
}

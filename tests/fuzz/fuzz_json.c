/* fuzz_json.c — libFuzzer target: untrusted bytes through the strict reader
 * and the exact printer (wasm/src/json.c). Properties checked for every
 * input:
 *
 *   - no crash, no sanitizer report (ASan + UBSan);
 *   - json_parse answers CX_OK or JSON_INVALID, never CX_NOMEM (nothing
 *     here exhausts a handle's 48 MiB);
 *   - a refusal says why: a message, an offset inside the text (or at its
 *     end), a path that is an array of strings and numbers;
 *   - an accepted text nests at most 64 levels (as lim_json_depth counts),
 *     prints (json_print) as text json_parse accepts again, which prints the
 *     same (a fixed point), and the two trees are equal: the same shapes,
 *     keys and string bytes, every number the same double bit for bit.
 *
 * Every input runs in a handle of its own, as every engine call does.
 * Seeds: build.sh fuzz writes build/fuzz/json-seeds (the differential
 * corpus, tests/fuzz/gen-json-corpus.mjs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx.h"
#include "json.h"
#include "lim.h"

static void die(const char *what, const uint8_t *data, size_t size, const char *out) {
    fprintf(stderr, "fuzz_json: %s\ninput (%zu bytes): %.*s\nprinted: %s\n", what, size, (int)size,
            (const char *)data, out ? out : "-");
    abort();
}

/* a and b are the same value, numbers bit for bit (b was read from a's print). */
static int same(const cJSON *a, const cJSON *b) {
    if ((a->type & 0xFF) != (b->type & 0xFF)) return 0;
    switch (a->type & 0xFF) {
    case cJSON_Number: return memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) == 0;
    case cJSON_String: return strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array:
    case cJSON_Object: {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next) {
            if ((a->type & 0xFF) == cJSON_Object && strcmp(x->string, y->string) != 0) return 0;
            if (!same(x, y)) return 0; /* at most 64 levels: the reader said so */
        }
        return x == NULL && y == NULL;
    }
    default: return 1;
    }
}

static int path_ok(const cJSON *path) {
    if (!cJSON_IsArray(path)) return 0;
    for (const cJSON *p = path->child; p; p = p->next)
        if (!cJSON_IsString(p) && !cJSON_IsNumber(p)) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cx *X = cx_open();
    if (X == NULL) return 0;
    cx_enter(X);
    json_error e;
    cJSON *v = NULL;
    int rc = json_parse(X, (const char *)data, size, &v, &e);
    if (rc == JSON_INVALID) {
        if (v != NULL || e.message == NULL || e.offset > size || !path_ok(e.path))
            die("a refusal that does not say why", data, size, NULL);
        if (json_issue(X, &e) == NULL) die("json_issue failed", data, size, NULL);
    } else if (rc != CX_OK || v == NULL) {
        die("json_parse failed", data, size, NULL);
    } else {
        if (lim_json_depth(v, LIM_JSON_DEPTH) > LIM_JSON_DEPTH) die("accepted deeper than 64", data, size, NULL);
        const char *out = json_print(X, v);
        if (out == NULL) die("json_print failed", data, size, NULL);
        cJSON *w = NULL;
        if (json_parse(X, out, strlen(out), &w, &e) != CX_OK) die("its print is not read back", data, size, out);
        const char *again = json_print(X, w);
        if (again == NULL || strcmp(again, out) != 0) die("print, read, print is no fixed point", data, size, out);
        if (!same(v, w)) die("the value changed on the way (a number's bits?)", data, size, out);
    }
    cx_leave();
    cx_close(X);
    return 0;
}

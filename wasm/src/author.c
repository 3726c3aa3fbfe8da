/* author.c — the author helpers of ablauf.h: reading JSON without crashing
 * on a wrong shape, building results, returning them.
 *
 * Written against the public API only (ablauf.h and cJSON): it is what an
 * author could have written, and nothing here knows the engine's insides.
 * cJSON allocates from the call arena through the engine's hooks.
 *
 * ab_obj, ab_num and ab_bool never touch their ab_ctx (cJSON needs none);
 * tests/native/test_author.c relies on that to test them outside a pass. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "ablauf.h"

/* --- reading ------------------------------------------------------------------ */

const cJSON *ab_get(const cJSON *obj, const char *key) {
    if (!cJSON_IsObject(obj) || key == NULL) return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const char *ab_get_str(const cJSON *obj, const char *key) {
    const cJSON *v = ab_get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double ab_get_num(const cJSON *obj, const char *key, double dflt) {
    const cJSON *v = ab_get(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int ab_get_int(const cJSON *obj, const char *key, int dflt) {
    const cJSON *v = ab_get(obj, key);
    if (!cJSON_IsNumber(v)) return dflt;
    double d = v->valuedouble;
    /* The range check comes first: converting an out-of-range double to int
     * is undefined. NaN fails it too. */
    if (!(d >= (double)INT_MIN && d <= (double)INT_MAX)) return dflt;
    int i = (int)d;
    return (double)i == d ? i : dflt;
}

int ab_get_bool(const cJSON *obj, const char *key, int dflt) {
    const cJSON *v = ab_get(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

const cJSON *ab_get_obj(const cJSON *obj, const char *key) {
    const cJSON *v = ab_get(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *ab_get_arr(const cJSON *obj, const char *key) {
    const cJSON *v = ab_get(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

/* --- building ----------------------------------------------------------------- */

/* The function itself, not the checking macro of ablauf.h. */
cJSON *(ab_obj)(ab_ctx *c, ...) {
    va_list ap;
    cJSON *o = cJSON_CreateObject();
    va_start(ap, c);
    for (;;) {
        const char *key = va_arg(ap, const char *);
        if (key == NULL) break; /* AB_END */
        cJSON *v = va_arg(ap, cJSON *);
        /* A NULL value stops here: what follows is not read (an odd
         * argument list would end the same way, on AB_END as a value). */
        if (v == NULL) {
            o = NULL;
            break;
        }
        /* cJSON links every member of an object or array through prev (a
         * lone member points at itself); a free-standing value has none. */
        if (v->prev != NULL) v = cJSON_Duplicate(v, 1);
        if (o == NULL || v == NULL || !cJSON_AddItemToObject(o, key, v)) {
            o = NULL;
            break;
        }
    }
    va_end(ap);
    return o;
}

static cJSON *vstr(ab_ctx *c, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return NULL;
    char *s = ab_alloc(c, (size_t)n + 1);
    if (s == NULL) return NULL;
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return cJSON_CreateString(s);
}

cJSON *ab_str(ab_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cJSON *v = vstr(c, fmt, ap);
    va_end(ap);
    return v;
}

cJSON *ab_num(ab_ctx *c, double d) { return cJSON_CreateNumber(d); }

cJSON *ab_bool(ab_ctx *c, int b) { return cJSON_CreateBool(b != 0); }

/* --- returning ---------------------------------------------------------------- */

ab_rc ab_ok(ab_ctx *c, cJSON **out, cJSON *value) {
    if (out) *out = value;
    if (value == NULL) return ab_fail(c, "out of memory");
    return AB_OK;
}

ab_rc ab_ok_str(ab_ctx *c, cJSON **out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cJSON *v = vstr(c, fmt, ap);
    va_end(ap);
    return ab_ok(c, out, v);
}

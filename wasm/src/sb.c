/* sb.c — see sb.h. */
#include "sb.h"

#include <stdio.h>
#include <string.h>


void sb_init(cx *X, sb *s) {
    s->X = X;
    s->buf = NULL;
    s->len = s->cap = 0;
    s->oom = 0;
}

static int sb_reserve(sb *s, size_t extra) {
    if (s->oom) return 0;
    if (s->len + extra + 1 <= s->cap) return 1;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < s->len + extra + 1) cap *= 2;
    char *p = cx_realloc(s->X, s->buf, s->cap, cap);
    if (p == NULL) {
        s->oom = 1;
        return 0;
    }
    s->buf = p;
    s->cap = cap;
    return 1;
}

void sb_append(sb *s, const char *data, size_t n) {
    if (!sb_reserve(s, n)) return;
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

void sb_puts(sb *s, const char *str) { sb_append(s, str, strlen(str)); }

void sb_vprintf(sb *s, const char *fmt, va_list ap) {
    /* One pass when the text fits the room there is (a step name, most
     * messages); a second, into room grown to its size, when it did not. */
    if (!sb_reserve(s, 63)) return;
    size_t room = s->cap - s->len;
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(s->buf + s->len, room, fmt, cp);
    va_end(cp);
    if (n < 0) return;
    if ((size_t)n >= room) {
        if (!sb_reserve(s, (size_t)n)) return;
        vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
    }
    s->len += (size_t)n;
}

void sb_printf(sb *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(s, fmt, ap);
    va_end(ap);
}

char *sb_str(sb *s) {
    if (s->oom) return NULL;
    if (s->buf == NULL && !sb_reserve(s, 0)) return NULL;
    s->buf[s->len] = '\0';
    return s->buf;
}

char *sb_vfmt(cx *X, const char *fmt, va_list ap) {
    sb s;
    sb_init(X, &s);
    sb_vprintf(&s, fmt, ap);
    return sb_str(&s);
}

char *sb_fmt(cx *X, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *r = sb_vfmt(X, fmt, ap);
    va_end(ap);
    return r;
}

char *sb_ndup(cx *X, const char *s, size_t n) {
    char *p = cx_alloc(X, n + 1);
    if (p == NULL) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *sb_dup(cx *X, const char *s) { return s ? sb_ndup(X, s, strlen(s)) : NULL; }

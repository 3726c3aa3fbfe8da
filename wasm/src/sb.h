/* sb.h — growable strings in the call arena.
 *
 * Ownership: the buffer lives in the handle's arena; sb_str() hands out the
 * pointer without copying. A failed allocation sets sb.oom (and the handle's
 * record) and turns later appends into no-ops, so callers check once at the
 * end instead of after every call.
 */
#ifndef AB_SB_H
#define AB_SB_H

#include <stdarg.h>
#include <stddef.h>

#include "cx.h"

typedef struct sb {
    cx *X;
    char *buf;
    size_t len, cap;
    int oom;
} sb;

void sb_init(cx *X, sb *s);
void sb_append(sb *s, const char *data, size_t n);
void sb_puts(sb *s, const char *str);
/* Appends a string literal, its length known at compile time. */
#define sb_lit(s, lit) sb_append((s), "" lit, sizeof(lit) - 1)
void sb_printf(sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(sb *s, const char *fmt, va_list ap);
/* NUL-terminated contents, or NULL after an allocation failure. */
char *sb_str(sb *s);

/* printf into a fresh arena string; NULL on allocation failure. */
char *sb_fmt(cx *X, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_vfmt(cx *X, const char *fmt, va_list ap);
char *sb_dup(cx *X, const char *s);
char *sb_ndup(cx *X, const char *s, size_t n);

#endif

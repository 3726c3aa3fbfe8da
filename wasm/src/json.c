/* json.c — see json.h.
 *
 * The reader is one iterative pass over the bytes with an explicit stack of
 * at most LIM_JSON_DEPTH frames (no recursion, so hostile nesting costs no C
 * stack). It keeps what a refusal needs to say where it is: per open
 * container the current index or key. Keys are decoded onto a stack of their
 * own (the open objects' keys, popped when an object ends), because
 * duplicates are equal *decoded* keys: {"a":1,"\u0061":2} repeats "a".
 *
 * The printer walks the tree iteratively too and formats numbers the way
 * JavaScript does (json_number), so what a client sends comes back in the
 * form its own JSON.stringify would have written. */
#include "json.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lim.h"
#include "sb.h"

#define XSTR(x) #x
#define STR(x) XSTR(x)

/* --- UTF-8 ------------------------------------------------------------------
 * Well-formed sequences per RFC 3629 (Unicode's table 3-7): the ranges of the
 * second byte exclude overlong forms (E0 80..9F, F0 80..8F), UTF-16
 * surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF). */

/* The length (1..4) of the well-formed sequence at p[0..n), or 0 with *bad
 * the length of the maximal ill-formed subpart there (>= 1): the lead byte
 * and the continuation bytes that still fit, which a WHATWG decoder turns
 * into one U+FFFD. */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *bad) {
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c == 0xE0) need = 3, lo = 0xA0;
    else if (c == 0xED) need = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) need = 3;
    else if (c == 0xF0) need = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) need = 4;
    else if (c == 0xF4) need = 4, hi = 0x8F;
    else {
        *bad = 1;
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80, hi = 0xBF;
    }
    return need;
}

/* --- the reader ------------------------------------------------------------- */

typedef struct frame {
    char kind;       /* '[' or '{' */
    char in_value;   /* inside the current member's value (it belongs in a path) */
    size_t count;    /* arrays: index of the current element; objects: keys read */
    size_t rec_base; /* objects: this object's first key in rd.recs */
    size_t key_base; /* objects: where its decoded keys start in rd.keys */
} frame;

typedef struct keyrec {
    size_t off, len; /* the decoded key in rd.keys (NUL-terminated there) */
    size_t at;       /* offset of its opening quote in the text */
    const char *s;   /* rd.keys.buf + off; set only for sorting (the buffer moves as it grows) */
} keyrec;

typedef struct rd {
    cx *X;
    const unsigned char *t;
    size_t len, pos;
    json_error *err; /* NULL: the caller does not want to know why */
    frame fr[LIM_JSON_DEPTH];
    int depth;
    sb keys;       /* the decoded keys of the open objects, a stack */
    keyrec *recs;  /* one per key in keys, the same stack */
    size_t nrec, caprec;
    sb num;        /* one number's text, NUL-terminated for strtod */
} rd;

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static void skip_ws(rd *r) {
    while (r->pos < r->len) {
        unsigned char c = r->t[r->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        r->pos++;
    }
}

static int peek(const rd *r) { return r->pos < r->len ? r->t[r->pos] : -1; }

/* The key of object frame f's current member. */
static const char *cur_key(const rd *r, const frame *f) {
    return r->keys.buf + r->recs[f->rec_base + f->count - 1].off;
}

/* Refuses the text: why (msg; NULL means an allocation already failed) and
 * where (at, and the path of the open containers). last_key, when given,
 * ends the path instead of the innermost frame's own position (a duplicate
 * key is found when its object ends, no longer at the key). Returns
 * JSON_INVALID, or CX_NOMEM when the description could not be built: a
 * refusal that cannot say why is an engine failure, not the client's. */
static int refuse_at(rd *r, size_t at, const char *msg, const char *last_key) {
    if (msg == NULL) return cx_nomem(r->X);
    if (r->err == NULL) return JSON_INVALID;
    cJSON *path = cJSON_CreateArray();
    if (path == NULL) return cx_nomem(r->X);
    for (int i = 0; i < r->depth; i++) {
        const frame *f = &r->fr[i];
        int innermost = i == r->depth - 1;
        cJSON *item = NULL;
        if (innermost && last_key != NULL) item = cJSON_CreateString(last_key);
        else if (innermost && !f->in_value) break;
        else if (f->kind == '[') item = cJSON_CreateNumber((double)f->count);
        else item = cJSON_CreateString(cur_key(r, f));
        if (item == NULL || !cJSON_AddItemToArray(path, item)) return cx_nomem(r->X);
    }
    r->err->offset = at;
    r->err->message = msg;
    r->err->path = path;
    return JSON_INVALID;
}

static int refuse(rd *r, size_t at, const char *msg) { return refuse_at(r, at, msg, NULL); }

/* "<expected>, found 'x'" (or a byte in hex, or the end of the text). */
static int refuse_found(rd *r, size_t at, const char *expected) {
    const char *msg;
    if (at >= r->len) msg = sb_fmt(r->X, "%s, found the end of the text", expected);
    else if (r->t[at] >= 0x20 && r->t[at] < 0x7F) msg = sb_fmt(r->X, "%s, found '%c'", expected, r->t[at]);
    else msg = sb_fmt(r->X, "%s, found byte 0x%02X", expected, r->t[at]);
    return refuse(r, at, msg);
}

static int hex4(const char *t, size_t len, size_t at, unsigned *v) {
    if (at > len || len - at < 4) return 0;
    unsigned x = 0;
    for (size_t i = at; i < at + 4; i++) {
        unsigned char c = (unsigned char)t[i];
        x <<= 4;
        if (is_digit(c)) x |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') x |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') x |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *v = x;
    return 1;
}

void json_put_utf8(sb *s, unsigned cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) b[0] = (char)cp, n = 1;
    else if (cp < 0x800) b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    sb_append(s, b, n);
}

size_t json_escape(const char *t, size_t len, size_t at, unsigned *cp, size_t *bad,
                   json_esc_fault *why) {
    if (at + 1 >= len) return *bad = at, *why = JSON_ESC_END, 0;
    switch (t[at + 1]) {
    case '"': *cp = '"'; return 2;
    case '\\': *cp = '\\'; return 2;
    case '/': *cp = '/'; return 2;
    case 'b': *cp = '\b'; return 2;
    case 'f': *cp = '\f'; return 2;
    case 'n': *cp = '\n'; return 2;
    case 'r': *cp = '\r'; return 2;
    case 't': *cp = '\t'; return 2;
    case 'u': {
        unsigned c, lo;
        size_t n = 6;
        if (!hex4(t, len, at + 2, &c)) return *bad = at, *why = JSON_ESC_HEX, 0;
        /* cJSON's strings end at the first NUL: "a\u0000b" would quietly
         * become "a". Refusing is the only rule that never changes what
         * was sent. */
        if (c == 0) return *bad = at, *why = JSON_ESC_NUL, 0;
        if (c >= 0xD800 && c <= 0xDBFF && at + 7 < len && t[at + 6] == '\\' && t[at + 7] == 'u') {
            if (!hex4(t, len, at + 8, &lo)) return *bad = at + 6, *why = JSON_ESC_HEX, 0;
            if (lo >= 0xDC00 && lo <= 0xDFFF) c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00), n = 12;
        }
        *cp = c;
        /* A lone half of a surrogate pair is no character: UTF-8 cannot
         * hold it (JavaScript strings, being UTF-16, can). */
        if (c >= 0xD800 && c <= 0xDFFF) return *bad = at, *why = JSON_ESC_LONE, 0;
        return n;
    }
    default: return *bad = at + 1, *why = JSON_ESC_BAD, 0;
    }
}

cJSON *json_int_value(const char *t) {
    const char *p = t + (*t == '-');
    int64_t v = 0;
    int n = 0;
    for (; *p >= '0' && *p <= '9'; p++, n++) {
        if (n == 15 || (n == 1 && v == 0)) return NULL; /* too long to be exact; a leading zero */
        v = v * 10 + (*p - '0');
    }
    if (n == 0 || *p != '\0') return NULL;
    return cJSON_CreateNumber(*t == '-' ? -(double)v : (double)v); /* "-0" is -0, as parsed */
}

/* The escape at r->pos (its backslash) in the string that starts at start;
 * decoded into dec unless NULL. */
static int escape(rd *r, size_t start, sb *dec) {
    unsigned cp = 0;
    size_t bad = 0;
    json_esc_fault why = JSON_ESC_BAD;
    size_t n = json_escape((const char *)r->t, r->len, r->pos, &cp, &bad, &why);
    if (n == 0) {
        switch (why) {
        case JSON_ESC_END: return refuse(r, start, "unterminated string");
        case JSON_ESC_HEX: return refuse(r, bad, "invalid \\u escape (it needs four hex digits)");
        case JSON_ESC_NUL: return refuse(r, bad, "\\u0000 is not allowed (strings cannot hold NUL)");
        case JSON_ESC_LONE: return refuse(r, bad, sb_fmt(r->X, "unpaired surrogate \\u%04X", cp));
        case JSON_ESC_BAD: break;
        }
        return refuse_found(r, bad, "invalid escape");
    }
    if (dec) json_put_utf8(dec, cp);
    r->pos += n;
    return CX_OK;
}

/* The string at r->pos (its opening quote), decoded into dec unless NULL
 * (only keys are decoded: values need only be checked). */
static int string(rd *r, sb *dec) {
    size_t start = r->pos++;
    for (;;) {
        size_t run = r->pos;
        while (r->pos < r->len) {
            unsigned char c = r->t[r->pos];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
            r->pos++;
        }
        if (dec && r->pos > run) sb_append(dec, (const char *)r->t + run, r->pos - run);
        if (r->pos == r->len) return refuse(r, start, "unterminated string");
        unsigned char c = r->t[r->pos];
        if (c == '"') break;
        if (c < 0x20)
            return refuse(r, r->pos, sb_fmt(r->X, "control character 0x%02X in a string (it must be escaped)", c));
        if (c >= 0x80) {
            size_t bad, n = utf8_seq(r->t + r->pos, r->len - r->pos, &bad);
            if (n == 0) return refuse(r, r->pos, "invalid UTF-8 in a string");
            if (dec) sb_append(dec, (const char *)r->t + r->pos, n);
            r->pos += n;
            continue;
        }
        int rc = escape(r, start, dec);
        if (rc != CX_OK) return rc;
    }
    r->pos++;
    return dec && dec->oom ? CX_NOMEM : CX_OK;
}

/* The number at r->pos: RFC 8259's grammar, then the value must be a finite
 * double (JSON.parse would turn 1e400 into Infinity, which JSON cannot
 * write back). */
static int number(rd *r) {
    const unsigned char *t = r->t;
    size_t s = r->pos, p = s, n = r->len, int_digits;
    int exp = 0;
    if (t[p] == '-') {
        p++;
        if (p == n || !is_digit(t[p])) return refuse_found(r, p, "expected a digit after '-'");
    }
    size_t d0 = p;
    if (t[p] == '0') {
        p++;
        if (p < n && is_digit(t[p])) return refuse(r, s, "leading zeros are not allowed in numbers");
    } else {
        while (p < n && is_digit(t[p])) p++;
    }
    int_digits = p - d0;
    if (p < n && t[p] == '.') {
        p++;
        if (p == n || !is_digit(t[p])) return refuse_found(r, p, "expected a digit after the decimal point");
        while (p < n && is_digit(t[p])) p++;
    }
    if (p < n && (t[p] == 'e' || t[p] == 'E')) {
        exp = 1;
        p++;
        if (p < n && (t[p] == '+' || t[p] == '-')) p++;
        if (p == n || !is_digit(t[p])) return refuse_found(r, p, "expected a digit in the exponent");
        while (p < n && is_digit(t[p])) p++;
    }
    if (p < n && (is_digit(t[p]) || ((t[p] | 0x20) >= 'a' && (t[p] | 0x20) <= 'z') || t[p] == '.' ||
                  t[p] == '+' || t[p] == '-' || t[p] == '_'))
        return refuse_found(r, p, "invalid character in a number");
    /* Without an exponent, fewer than 309 integer digits stay below
     * DBL_MAX (1.8e308): no need to ask strtod. */
    if (exp || int_digits > 308) {
        r->num.len = 0;
        sb_append(&r->num, (const char *)t + s, p - s);
        const char *z = sb_str(&r->num);
        if (z == NULL) return CX_NOMEM;
        if (isinf(strtod(z, NULL))) return refuse(r, s, "number out of range (not a finite double)");
    }
    r->pos = p;
    return CX_OK;
}

static int literal(rd *r, const char *word, const char *msg) {
    size_t n = strlen(word);
    if (r->len - r->pos < n || memcmp(r->t + r->pos, word, n) != 0) return refuse(r, r->pos, msg);
    r->pos += n;
    return CX_OK;
}

/* The key at r->pos (its opening quote) of object frame f, decoded and
 * pushed with its record. */
static int key(rd *r, frame *f) {
    size_t at = r->pos, off = r->keys.len;
    int rc = string(r, &r->keys);
    if (rc != CX_OK) return rc;
    size_t len = r->keys.len - off;
    sb_append(&r->keys, "", 1); /* a terminator of its own: more keys follow */
    if (r->keys.oom) return CX_NOMEM;
    if (r->nrec == r->caprec) {
        size_t cap = r->caprec ? r->caprec * 2 : 32;
        keyrec *p = cx_realloc(r->X, r->recs, r->caprec * sizeof *p, cap * sizeof *p);
        if (p == NULL) return CX_NOMEM;
        r->recs = p;
        r->caprec = cap;
    }
    r->recs[r->nrec++] = (keyrec){.off = off, .len = len, .at = at};
    f->count++;
    return CX_OK;
}

/* Equal keys next to each other, each group in text order. */
static int key_cmp(const void *a, const void *b) {
    const keyrec *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    if (c != 0) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Object frame f (the innermost) has ended: refuse a repeated key, then
 * pop its keys. Sorting costs n log n whatever the keys are, where a hash
 * table would let crafted colliding keys cost n². The repetition reported
 * is the earliest in the text. */
static int end_object(rd *r, frame *f) {
    size_t n = r->nrec - f->rec_base;
    if (n >= 2) {
        keyrec *k = r->recs + f->rec_base;
        const keyrec *dup = NULL;
        for (size_t i = 0; i < n; i++) k[i].s = r->keys.buf + k[i].off;
        qsort(k, n, sizeof *k, key_cmp);
        for (size_t i = 1; i < n; i++)
            if (k[i].len == k[i - 1].len && memcmp(k[i].s, k[i - 1].s, k[i].len) == 0 &&
                (dup == NULL || k[i].at < dup->at))
                dup = &k[i];
        if (dup != NULL) return refuse_at(r, dup->at, "duplicate key", dup->s);
    }
    r->nrec = f->rec_base;
    r->keys.len = f->key_base;
    return CX_OK;
}

/* What the reader expects next. */
enum { VALUE, KEY, AFTER };

static int validate(rd *r) {
    int state = VALUE, rc = CX_OK;
    if (r->len >= 3 && memcmp(r->t, "\xEF\xBB\xBF", 3) == 0)
        return refuse(r, 0, "a byte order mark is not allowed");
    skip_ws(r);
    for (;;) {
        frame *f = r->depth ? &r->fr[r->depth - 1] : NULL;
        switch (state) {
        case VALUE: {
            int c = peek(r);
            state = AFTER;
            switch (c) {
            case '{':
            case '[':
                if (r->depth == LIM_JSON_DEPTH)
                    return refuse(r, r->pos, "nesting deeper than " STR(LIM_JSON_DEPTH) " levels");
                f = &r->fr[r->depth++];
                *f = (frame){.kind = (char)c, .rec_base = r->nrec, .key_base = r->keys.len};
                r->pos++;
                skip_ws(r);
                if (peek(r) == (c == '[' ? ']' : '}')) {
                    r->pos++;
                    r->depth--;
                } else if (c == '[') {
                    f->in_value = 1;
                    state = VALUE;
                } else {
                    state = KEY;
                }
                break;
            case '"': rc = string(r, NULL); break;
            case 't': rc = literal(r, "true", "invalid literal, expected 'true'"); break;
            case 'f': rc = literal(r, "false", "invalid literal, expected 'false'"); break;
            case 'n': rc = literal(r, "null", "invalid literal, expected 'null'"); break;
            case '+': return refuse(r, r->pos, "numbers cannot start with '+'");
            case '.': return refuse(r, r->pos, "numbers need a digit before the decimal point");
            default:
                if (c == '-' || is_digit(c)) rc = number(r);
                else return refuse_found(r, r->pos, "expected a value");
            }
            if (rc != CX_OK) return rc;
            break;
        }
        case KEY:
            if (peek(r) != '"') return refuse_found(r, r->pos, "expected a string key");
            if ((rc = key(r, f)) != CX_OK) return rc;
            skip_ws(r);
            if (peek(r) != ':') return refuse_found(r, r->pos, "expected ':' after the key");
            r->pos++;
            skip_ws(r);
            f->in_value = 1;
            state = VALUE;
            break;
        case AFTER: {
            skip_ws(r);
            if (f == NULL) {
                if (r->pos != r->len)
                    return refuse_found(r, r->pos, "expected the end of the text after the value");
                return CX_OK;
            }
            char close = f->kind == '[' ? ']' : '}';
            int c = peek(r);
            f->in_value = 0;
            if (c == ',') {
                r->pos++;
                skip_ws(r);
                if (peek(r) == close) return refuse(r, r->pos, "trailing comma");
                if (f->kind == '[') {
                    f->count++;
                    f->in_value = 1;
                    state = VALUE;
                } else {
                    state = KEY;
                }
            } else if (c == close) {
                if (f->kind == '{' && (rc = end_object(r, f)) != CX_OK) return rc;
                r->pos++;
                r->depth--;
            } else {
                return refuse_found(r, r->pos, f->kind == '[' ? "expected ',' or ']'" : "expected ',' or '}'");
            }
            break;
        }
        }
        skip_ws(r);
    }
}

int json_parse(cx *X, const char *text, size_t len, cJSON **out, json_error *err) {
    assert(X != NULL && out != NULL && (text != NULL || len == 0));
    *out = NULL;
    if (err != NULL) *err = (json_error){0};
    rd r = {.X = X, .t = (const unsigned char *)(text ? text : ""), .len = len, .err = err};
    sb_init(X, &r.keys);
    sb_init(X, &r.num);
    int rc = validate(&r);
    if (rc != CX_OK) return rc;
    cJSON *v = cJSON_ParseWithLength(text, len);
    /* The text is JSON cJSON reads (the reader accepts less than cJSON
     * does, never more), so NULL means its allocation failed. */
    assert(v != NULL || X->rc == CX_NOMEM);
    if (v == NULL) return cx_nomem(X);
    *out = v;
    return CX_OK;
}

cJSON *json_issue(cx *X, const json_error *err) {
    cJSON *issue = cJSON_CreateObject();
    cJSON *path = err->path ? cJSON_Duplicate(err->path, 1) : cJSON_CreateArray();
    const char *msg = sb_fmt(X, "%s (at byte %zu)", err->message ? err->message : "invalid JSON", err->offset);
    if (issue == NULL || path == NULL || msg == NULL || !cJSON_AddItemToObject(issue, "path", path) ||
        cJSON_AddStringToObject(issue, "message", msg) == NULL) {
        cx_nomem(X);
        return NULL;
    }
    return issue;
}

/* --- the printer ---------------------------------------------------------------- */

/* Does the decimal m * 10^e read back (strtod) as exactly x? */
static int reads_back(uint64_t m, int e, double x) {
    char t[48];
    snprintf(t, sizeof t, "%llue%d", (unsigned long long)m, e);
    double y = strtod(t, NULL);
    return memcmp(&x, &y, sizeof x) == 0;
}

/* The shortest decimal that reads back as x (finite, > 0), as ECMA-262's
 * Number::toString chooses it: the fewest significant digits, and of those
 * the nearest to x. Writes the k digits (no trailing zeros) and n, the
 * exponent of 0.d1..dk (x = 0.d1..dk * 10^n).
 *
 * At each precision the correctly rounded digits (printf's %.*e) are the
 * nearest candidate, so the first precision whose rounding reads back is
 * the answer, with two refinements:
 *   - a normal double is within 2^-53 of any decimal that reads back as
 *     it, so a form of 15 digits or fewer, if one exists, is what 15 digits
 *     round to (DBL_DIG): the search starts at 15. A subnormal has fewer
 *     bits (5e-324 is 4.94065645841247e-324 to 15 digits), so it starts at 1;
 *   - a power of two has twice as much room above as below before the next
 *     double, so the candidate just above can read back where the nearest,
 *     below, does not.
 * 17 digits always read back. */
static void shortest(double x, char digits[20], int *k, int *n) {
    uint64_t m = 0;
    int prec, e = 0, frexp_e;
    int pow2 = frexp(x, &frexp_e) == 0.5;
    for (prec = x < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        char t[48];
        snprintf(t, sizeof t, "%.*e", prec - 1, x); /* d.ddde[+-]xx */
        const char *p = t;
        m = 0;
        for (; *p != 'e'; p++)
            if (*p != '.') m = m * 10 + (uint64_t)(*p - '0');
        e = (int)strtol(p + 1, NULL, 10) - (prec - 1); /* x ~ m * 10^e */
        if (prec == 17 || reads_back(m, e, x)) break;
        if (pow2) {
            uint64_t up = m + 1;
            int eu = e;
            uint64_t p10 = 1;
            for (int i = 0; i < prec; i++) p10 *= 10;
            if (up == p10) up /= 10, eu++; /* 9.99 -> 10.0 */
            if (reads_back(up, eu, x)) {
                m = up, e = eu;
                break;
            }
        }
    }
    int len = snprintf(digits, 20, "%llu", (unsigned long long)m);
    *n = e + len;
    while (len > 1 && digits[len - 1] == '0') len--;
    *k = len;
}

size_t json_number(char buf[JSON_NUMBER_MAX], double x) {
    if (!isfinite(x)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    if (x == 0) {
        const char *z = signbit(x) ? "-0" : "0";
        memcpy(buf, z, strlen(z) + 1);
        return strlen(z);
    }
    /* Integers below 2^53 are exact and need every digit. They are most of
     * what the engine prints (timestamps, counts, ords), so they are written
     * here: printf's machinery cost more than the rest of a step's JSON. */
    if (fabs(x) < 9007199254740992.0 && x == (double)(long long)x) {
        char t[20], *o = buf;
        unsigned long long u = (unsigned long long)fabs(x);
        int len = 0;
        do t[len++] = (char)('0' + u % 10); while ((u /= 10) != 0);
        if (x < 0) *o++ = '-';
        while (len > 0) *o++ = t[--len];
        *o = '\0';
        return (size_t)(o - buf);
    }

    int k, n;
    char digits[20];
    shortest(fabs(x), digits, &k, &n);

    /* ECMA-262 Number::toString, step by step. */
    char *o = buf;
    if (signbit(x)) *o++ = '-';
    if (k <= n && n <= 21) { /* 123456789012345680000 */
        memcpy(o, digits, (size_t)k), o += k;
        memset(o, '0', (size_t)(n - k)), o += n - k;
    } else if (0 < n && n <= 21) { /* 1.5 */
        memcpy(o, digits, (size_t)n), o += n;
        *o++ = '.';
        memcpy(o, digits + n, (size_t)(k - n)), o += k - n;
    } else if (-6 < n && n <= 0) { /* 0.000001 */
        *o++ = '0', *o++ = '.';
        memset(o, '0', (size_t)-n), o += -n;
        memcpy(o, digits, (size_t)k), o += k;
    } else { /* 1e+21, 1.5e-7 */
        *o++ = digits[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)(k - 1)), o += k - 1;
        }
        o += snprintf(o, (size_t)(buf + JSON_NUMBER_MAX - o), "e%c%d", n - 1 >= 0 ? '+' : '-',
                      n - 1 >= 0 ? n - 1 : 1 - n);
    }
    *o = '\0';
    return (size_t)(o - buf);
}

/* s as a JSON string, escaped as JSON.stringify escapes. */
void json_put_string(sb *s, const char *str) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)(str ? str : "");
    const unsigned char *end = p + strlen((const char *)p);
    sb_append(s, "\"", 1);
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
        sb_append(s, (const char *)run, (size_t)(p - run));
        if (p == end) break;
        unsigned char c = *p;
        if (c >= 0x80) {
            size_t bad, n = utf8_seq(p, (size_t)(end - p), &bad);
            if (n > 0) sb_append(s, (const char *)p, n);
            else sb_append(s, "\xEF\xBF\xBD", 3); /* U+FFFD */
            p += n > 0 ? n : bad;
            continue;
        }
        switch (c) {
        case '"': sb_append(s, "\\\"", 2); break;
        case '\\': sb_append(s, "\\\\", 2); break;
        case '\b': sb_append(s, "\\b", 2); break;
        case '\f': sb_append(s, "\\f", 2); break;
        case '\n': sb_append(s, "\\n", 2); break;
        case '\r': sb_append(s, "\\r", 2); break;
        case '\t': sb_append(s, "\\t", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sb_append(s, u, 6);
        }
        }
        p++;
    }
    sb_append(s, "\"", 1);
}

void json_put_number(sb *s, double x) {
    char num[JSON_NUMBER_MAX];
    sb_append(s, num, json_number(num, x));
}

/* A value that is not a non-empty container. */
static void put_leaf(sb *s, const cJSON *v) {
    switch (v->type & 0xFF) {
    case cJSON_False: sb_puts(s, "false"); break;
    case cJSON_True: sb_puts(s, "true"); break;
    case cJSON_Number: json_put_number(s, v->valuedouble); break;
    case cJSON_String: json_put_string(s, v->valuestring); break;
    case cJSON_Raw: sb_puts(s, v->valuestring ? v->valuestring : "null"); break;
    case cJSON_Array: sb_puts(s, "[]"); break;
    case cJSON_Object: sb_puts(s, "{}"); break;
    case cJSON_NULL:
    default: sb_puts(s, "null"); break;
    }
}

static int is_container(const cJSON *v) {
    int type = v->type & 0xFF;
    return (type == cJSON_Array || type == cJSON_Object) && v->child != NULL;
}

static int is_object(const cJSON *v) { return (v->type & 0xFF) == cJSON_Object; }

char *json_print(cx *X, const cJSON *v) {
    assert(v != NULL);
    sb s;
    sb_init(X, &s);
    /* The open containers, outermost first. v's own siblings (v->next) are
     * not v's to print. */
    const cJSON **open = NULL;
    size_t depth = 0, cap = 0;
    for (;;) {
        if (is_container(v)) {
            if (depth == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                const cJSON **p = cx_realloc(X, (void *)open, cap * sizeof *open, ncap * sizeof *open);
                if (p == NULL) return NULL;
                open = p;
                cap = ncap;
            }
            open[depth++] = v;
            sb_append(&s, is_object(v) ? "{" : "[", 1);
            v = v->child;
        } else {
            put_leaf(&s, v);
            /* Climb to the next sibling, closing what has ended. */
            while (depth > 0 && v->next == NULL) {
                v = open[--depth];
                sb_append(&s, is_object(v) ? "}" : "]", 1);
            }
            if (depth == 0) break;
            sb_append(&s, ",", 1);
            v = v->next;
        }
        if (is_object(open[depth - 1])) {
            json_put_string(&s, v->string);
            sb_append(&s, ":", 1);
        }
    }
    return sb_str(&s); /* NULL after a failed allocation, which recorded CX_NOMEM */
}

cJSON *json_raw_of(char *text) {
    cJSON *r = text ? cJSON_CreateRaw("") : NULL;
    if (r) r->valuestring = text; /* the "" copy stays in the arena, unused */
    return r;
}

/* lim.c — see lim.h. */
#include "lim.h"

#include <string.h>

#include "sb.h"
#include "host.h"

/* Parses "<digits><unit>" where unit is one of units[i] with factor[i]. */
static int parse_unit(const char *s, const char *const *units, const int64_t *factor,
                      int nunits, int64_t *out) {
    if (s == NULL || *s < '0' || *s > '9') return -1;
    int64_t v = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9') {
        if (v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (*p - '0');
        p++;
    }
    for (int i = 0; i < nunits; i++) {
        if (strcmp(p, units[i]) == 0) {
            if (v > INT64_MAX / factor[i]) return -1;
            *out = v * factor[i];
            return 0;
        }
    }
    return -1;
}

int lim_parse_duration(const char *s, int64_t *ms) {
    static const char *const units[] = {"ms", "s", "m", "h", "d"};
    static const int64_t factor[] = {1, 1000, 60000, 3600000, 86400000};
    int64_t v;
    if (parse_unit(s, units, factor, 5, &v) != 0) return -1;
    /* Beyond ~285,000 years an epoch-ms double stops being exact. */
    if (v > ((int64_t)1 << 53)) return -1;
    *ms = v;
    return 0;
}

int lim_parse_size(const char *s, int64_t *bytes) {
    static const char *const units[] = {"b", "kb", "mb", "gb"};
    static const int64_t factor[] = {1, 1024, 1024 * 1024, 1024 * 1024 * 1024};
    return parse_unit(s, units, factor, 4, bytes);
}

int lim_valid_id(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > LIM_NAME_MAX) return 0;
    if (s[0] == '_' && s[1] == '_') return 0;
    /* URL normalisation would send every route of these elsewhere */
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '@' || c == '-'))
            return 0;
    }
    return 1;
}

int lim_valid_name(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > LIM_NAME_MAX) return 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) return 0;
            p++;
            continue;
        }
        int len;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07;
        else return 0;
        if (end - p < len) return 0;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        /* Overlong forms, surrogates, beyond Unicode, C1 controls. */
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp <= 0x9f))
            return 0;
        p += len;
    }
    return 1;
}

int lim_json_depth(const cJSON *v, int limit) {
    /* Iterative walk with an explicit stack bounded by the limit: the input
     * is untrusted, so its depth must not decide our stack use. Depth counts
     * containers: a scalar is 0, [] is 1, [[1]] is 2. */
    const cJSON *stack[LIM_JSON_DEPTH + 2];
    if (limit > LIM_JSON_DEPTH) limit = LIM_JSON_DEPTH;
    if (v == NULL || !(cJSON_IsArray(v) || cJSON_IsObject(v))) return 0;
    int depth = 1, max = 1;
    stack[1] = v;
    const cJSON *node = v->child;
    if (node == NULL) return 1;
    for (;;) {
        if (cJSON_IsArray(node) || cJSON_IsObject(node)) {
            if (depth + 1 > limit) return limit + 1;
            stack[++depth] = node;
            if (depth > max) max = depth;
            if (node->child != NULL) {
                node = node->child;
                continue;
            }
            depth--;
        }
        while (node->next == NULL) {
            node = stack[depth--];
            if (depth == 0) return max;
        }
        node = node->next;
    }
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *lim_url_decode(cx *X, const char *s, size_t n) {
    char *out = cx_alloc(X, n + 1);
    if (out == NULL) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) return NULL;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) return NULL;
            char c = (char)(hi * 16 + lo);
            if (c == '\0') return NULL;
            out[j++] = c;
            i += 2;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}

char *lim_uuid(cx *X) {
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    host_random(b, 16);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char *out = cx_alloc(X, 37);
    if (out == NULL) return NULL;
    int j = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[j++] = '-';
        out[j++] = hex[b[i] >> 4];
        out[j++] = hex[b[i] & 15];
    }
    out[j] = '\0';
    return out;
}

int lim_secure_equal(const char *a, size_t alen, const char *b, size_t blen) {
    unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < blen; i++) {
        unsigned char x = i < alen ? (unsigned char)a[i] : 0;
        diff |= (unsigned char)(x ^ (unsigned char)b[i]);
    }
    return diff == 0;
}

uint32_t lim_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

int lim_shard_of(const char *id) { return (int)(lim_hash(id, strlen(id)) % LIM_INDEX_SHARDS); }

char *lim_shard_name(cx *X, int n) { return sb_fmt(X, "__index:%d", n); }

const char *lim_clip(cx *X, const char *s, size_t max) {
    size_t n = s ? strlen(s) : 0;
    if (n <= max) return s;
    size_t cut = max - 3; /* room for the ellipsis */
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--; /* not inside a character */
    return sb_fmt(X, "%.*s\xe2\x80\xa6", (int)cut, s);
}

int64_t lim_parse_digits(const char *s, size_t n, int64_t max) {
    int64_t v = 0;
    if (n == 0) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (max - (s[i] - '0')) / 10) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

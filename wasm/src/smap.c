/* smap.c — see smap.h. Linear probing over a power-of-two table kept at most
 * half full; grows by doubling. */
#include "smap.h"

#include <assert.h>
#include <string.h>

#include "lim.h"

int smap_init(cx *X, smap *m, size_t hint) {
    size_t cap = 16;
    while (cap < hint * 2) cap *= 2;
    m->X = X;
    m->keys = cx_alloc(X, cap * sizeof *m->keys);
    m->vals = cx_alloc(X, cap * sizeof *m->vals);
    if (m->keys == NULL || m->vals == NULL) return CX_NOMEM;
    memset(m->keys, 0, cap * sizeof *m->keys);
    m->cap = cap;
    m->len = 0;
    return CX_OK;
}

smap *smap_new(cx *X, size_t hint) {
    smap *m = cx_alloc(X, sizeof *m);
    if (m == NULL || smap_init(X, m, hint) != CX_OK) return NULL;
    return m;
}

static size_t slot(const smap *m, const char *key) {
    assert(m->cap > 0 && (m->cap & (m->cap - 1)) == 0 && m->len < m->cap);
    size_t i = lim_hash(key, strlen(key)) & (m->cap - 1);
    while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0) i = (i + 1) & (m->cap - 1);
    return i;
}

void *smap_get(const smap *m, const char *key) {
    size_t i = slot(m, key);
    return m->keys[i] ? m->vals[i] : NULL;
}

int smap_put(smap *m, const char *key, void *val) {
    if ((m->len + 1) * 2 > m->cap) {
        smap old = *m;
        if (smap_init(m->X, m, old.cap) != CX_OK) {
            *m = old;
            return CX_NOMEM;
        }
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i]) {
                size_t j = slot(m, old.keys[i]);
                m->keys[j] = old.keys[i];
                m->vals[j] = old.vals[i];
                m->len++;
            }
    }
    size_t i = slot(m, key);
    if (m->keys[i] == NULL) m->len++;
    m->keys[i] = key;
    m->vals[i] = val;
    return CX_OK;
}

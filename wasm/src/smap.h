/* smap.h — a string-keyed hash map in the call arena (open addressing).
 *
 * Keys and values are borrowed: the map stores the pointers, so both must
 * live as long as the map (they do: everything is in the same call's arena).
 * Lookups compare key text; smap_put on an existing key replaces its value.
 */
#ifndef AB_SMAP_H
#define AB_SMAP_H

#include <stddef.h>

#include "cx.h"

struct smap {
    cx *X;
    const char **keys;
    void **vals;
    size_t cap, len;
};

/* Room for about `hint` keys before the first growth. CX_OK or CX_NOMEM. */
int smap_init(cx *X, smap *m, size_t hint);
/* A new map in the arena, or NULL. */
smap *smap_new(cx *X, size_t hint);
void *smap_get(const smap *m, const char *key);
int smap_put(smap *m, const char *key, void *val);

#endif

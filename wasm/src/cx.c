/* cx.c — see cx.h. Chunks come from malloc; a big request gets a chunk of
 * its own so that a 1 MiB request body does not waste a 1 MiB tail. */
#include "cx.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#define CHUNK_SIZE (64 * 1024)
#define ALIGN 8

struct cx_chunk {
    cx_chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
};

cx *cx_open(void) {
    cx *X = malloc(sizeof *X);
    if (X == NULL) return NULL;
    memset(X, 0, sizeof *X);
    X->fail_at = -1;
    return X;
}

static void arena_free(cx_arena *a) {
    cx_chunk *c = a->head;
    while (c != NULL) {
        cx_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}

void cx_close(cx *X) {
    if (X == NULL) return;
    arena_free(&X->main);
    arena_free(&X->scratch);
    free(X);
}

static cx_chunk *chunk_new(size_t size) {
    cx_chunk *c = malloc(sizeof(cx_chunk) + size);
    if (c == NULL) return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

static void *arena_alloc(cx *X, cx_arena *a, size_t n) {
    if (X->fail_at >= 0 && X->nalloc++ == X->fail_at) {
        if (!X->fail_once) X->fail_at++; /* and the next one, and so on */
        cx_nomem(X);
        return NULL;
    }
    n = (n + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    if (n == 0) n = ALIGN;
    if (n > CX_LIMIT || cx_used(X) + n > CX_LIMIT) {
        cx_nomem(X);
        return NULL;
    }
    cx_chunk *h = a->head;
    if (h == NULL || h->size - h->used < n) {
        size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
        cx_chunk *c = chunk_new(size);
        if (c == NULL) {
            cx_nomem(X);
            return NULL;
        }
        if (size == n && h != NULL) {
            /* A dedicated chunk goes behind the current one so the current
             * chunk's free tail stays usable. */
            c->next = h->next;
            h->next = c;
        } else {
            c->next = h;
            a->head = c;
        }
        c->used = n;
        a->total += n;
        return (char *)(c + 1);
    }
    void *p = (char *)(h + 1) + h->used;
    h->used += n;
    a->total += n;
    return p;
}

void *cx_alloc(cx *X, size_t n) {
    assert(X != NULL);
    return arena_alloc(X, X->in_scratch ? &X->scratch : &X->main, n);
}

void *cx_alloc_main(cx *X, size_t n) { return arena_alloc(X, &X->main, n); }

size_t cx_used(const cx *X) { return X->main.total + X->scratch.total; }

void cx_scratch_begin(cx *X) { X->in_scratch++; }

void cx_scratch_end(cx *X) {
    assert(X->in_scratch > 0);
    if (--X->in_scratch > 0) return;
    /* Keep one standard chunk: the next scratch region reuses it. */
    cx_chunk *keep = NULL, *c = X->scratch.head;
    while (c != NULL) {
        cx_chunk *next = c->next;
        if (keep == NULL && c->size == CHUNK_SIZE) {
            keep = c;
            keep->next = NULL;
            keep->used = 0;
        } else {
            free(c);
        }
        c = next;
    }
    X->scratch.head = keep;
    X->scratch.total = 0;
}

void *cx_keep(cx *X, const void *src, size_t n) {
    void *p = arena_alloc(X, &X->main, n);
    if (p != NULL && n) memcpy(p, src, n);
    return p;
}

char *cx_keep_str(cx *X, const char *s) {
    if (s == NULL) return NULL;
    return cx_keep(X, s, strlen(s) + 1);
}

void *cx_realloc(cx *X, void *p, size_t old_n, size_t new_n) {
    if (new_n <= old_n) return p;
    void *q = cx_alloc(X, new_n);
    if (q != NULL && p != NULL) memcpy(q, p, old_n);
    return q;
}

int cx_fail(cx *X, cx_rc rc, const char *msg) {
    if (X->rc == CX_OK) {
        X->rc = rc;
        X->msg = msg;
    }
    return rc;
}

int cx_nomem(cx *X) { return cx_fail(X, CX_NOMEM, NULL); }

void cx_clear(cx *X) {
    X->rc = CX_OK;
    X->msg = NULL;
}

const char *cx_message(const cx *X) {
    if (X->rc == CX_NOMEM) return "Out of memory";
    return X->msg ? X->msg : "unknown error";
}

void cx_fail_at(cx *X, long n, int once) {
    X->fail_at = n;
    X->fail_once = once;
    X->nalloc = 0;
}

/* --- the cJSON trampoline ----------------------------------------------------
 * The single mutable file-scope variable of the engine. It is safe because a
 * wasm instance runs one call at a time: the host never calls an export while
 * another is on the stack (imports are synchronous and call nothing back), and
 * every export sets it on entry and clears it on exit. Outside a call cJSON
 * cannot allocate at all, so nothing can land in a dead handle. */
static cx *current;

static void *hook_malloc(size_t n) { return current ? cx_alloc(current, n) : NULL; }
static void hook_free(void *p) { (void)p; /* released with the handle */ }

void cx_enter(cx *X) {
    assert(X != NULL);
    cJSON_Hooks hooks = {hook_malloc, hook_free};
    current = X;
    cJSON_InitHooks(&hooks);
}

void cx_leave(void) { current = NULL; }

/* arena.c — see arena.h. Chunks come from malloc; big requests get a chunk
 * of their own so that a 1 MiB request body does not waste a 1 MiB tail. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#define CHUNK_SIZE (64 * 1024)
#define ALIGN 8

typedef struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
} chunk;

static chunk *head;       /* current chunk; older chunks follow via next */
static size_t total;      /* bytes handed out since the last reset */
static long fail_after = -1;
static long alloc_count;

static chunk *chunk_new(size_t size) {
    chunk *c = malloc(sizeof(chunk) + size);
    if (c == NULL) return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void *arena_alloc(size_t n) {
    if (fail_after >= 0 && alloc_count++ >= fail_after) return NULL;
    n = (n + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    if (n == 0) n = ALIGN;
    if (n > ARENA_LIMIT || total + n > ARENA_LIMIT) return NULL;
    if (head == NULL || head->size - head->used < n) {
        size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
        chunk *c = chunk_new(size);
        if (c == NULL) return NULL;
        if (size == n && head != NULL) {
            /* A dedicated chunk goes behind the current one so the current
             * chunk's free tail stays usable. */
            c->next = head->next;
            head->next = c;
        } else {
            c->next = head;
            head = c;
        }
        c->used = n;
        total += n;
        return (char *)(c + 1);
    }
    void *p = (char *)(head + 1) + head->used;
    head->used += n;
    total += n;
    return p;
}

void *arena_realloc(void *p, size_t old_n, size_t new_n) {
    if (new_n <= old_n) return p;
    void *q = arena_alloc(new_n);
    if (q != NULL && p != NULL) memcpy(q, p, old_n);
    return q;
}

void arena_reset(void) {
    /* Keep one standard chunk to avoid a malloc per call. */
    chunk *keep = NULL;
    while (head != NULL) {
        chunk *next = head->next;
        if (keep == NULL && head->size == CHUNK_SIZE) {
            keep = head;
            keep->next = NULL;
            keep->used = 0;
        } else {
            free(head);
        }
        head = next;
    }
    head = keep;
    total = 0;
    alloc_count = 0;
}

void arena_fail_after(long n) {
    fail_after = n;
    alloc_count = 0;
}

static void *hook_malloc(size_t n) { return arena_alloc(n); }
static void hook_free(void *p) { (void)p; }

void arena_install_cjson_hooks(void) {
    cJSON_Hooks hooks = {hook_malloc, hook_free};
    cJSON_InitHooks(&hooks);
}

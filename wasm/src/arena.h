/* arena.h — per-call bump allocator.
 *
 * Every export of the engine works inside one arena that is reset when the
 * export returns: nothing allocated during a call outlives it, so the engine
 * never frees piecemeal and a workflow author never frees at all. cJSON is
 * pointed at the arena with cJSON_InitHooks, so JSON trees built during a call
 * die with it too.
 *
 * Ownership: the arena owns every block it hands out. arena_reset() releases
 * them all at once (keeping the first chunk for the next call).
 * Failure: arena_alloc() returns NULL when the call's budget (ARENA_LIMIT) or
 * the underlying malloc is exhausted; callers turn that into an error value.
 */
#ifndef AB_ARENA_H
#define AB_ARENA_H

#include <stddef.h>

/* Upper bound on what one call may allocate. Linear memory is capped at
 * 64 MiB; this leaves room for the stack, the data segment and malloc's own
 * bookkeeping. */
#define ARENA_LIMIT ((size_t)48 * 1024 * 1024)

void *arena_alloc(size_t n);
void *arena_realloc(void *p, size_t old_n, size_t new_n);
void arena_reset(void);

/* Test hook: make allocation number `n` (counted from the next reset) and
 * every later one fail. n < 0 disables it. Used by the native tests that
 * inject allocation failures. */
void arena_fail_after(long n);

/* cJSON hooks that route through the arena (free is a no-op). */
void arena_install_cjson_hooks(void);

#endif

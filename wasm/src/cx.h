/* cx.h — the call handle: everything one call into the engine owns.
 *
 * Every export of the engine runs inside one cx, in the shape of Lua's
 * lua_State: the call's memory (an arena that is released all at once when
 * the call ends), its error record, its output and its per-call caches live
 * here, and every internal module takes the cx as its first argument. Nothing
 * survives from one call to the next except what SQLite holds, so one wasm
 * instance can serve every object of an isolate: a handle cannot see another
 * call's memory or error text.
 *
 * Lifetime: cx_open() makes a handle (malloc), cx_close() frees it with every
 * block it handed out. The host opens one per export call (ab_open/ab_close in
 * exports.h) and copies the output out before closing.
 *
 * cJSON: cJSON's allocator hooks are process-wide, so they point at a
 * trampoline that allocates from the *current* handle (cx_enter/cx_leave
 * bracket every export). That pointer is the engine's only mutable
 * file-scope variable; see docs/architecture.md for why it is safe.
 *
 * Errors: cx_alloc() returns NULL when the call's budget (CX_LIMIT) or
 * malloc is exhausted and records CX_NOMEM. Functions of every module return
 * an int: CX_OK (0) or a negative cx_rc whose cause the record holds.
 */
#ifndef AB_CX_H
#define AB_CX_H

#include <stddef.h>
#include <stdint.h>

/* Upper bound on what one call may allocate. Linear memory is capped at
 * 64 MiB; this leaves room for the stack, the data segment and malloc's own
 * bookkeeping. */
#define CX_LIMIT ((size_t)48 * 1024 * 1024)

/* Internal results. Negative values are failures; the record says which. */
typedef enum cx_rc {
    CX_OK = 0,
    CX_NOMEM = -1,   /* an allocation failed (the call's budget or malloc) */
    CX_STORAGE = -2, /* SQLite refused a statement; message from the host */
    CX_BADDEF = -3   /* a workflow definition is unusable (e.g. a schema that is not JSON) */
} cx_rc;

/* The engine's answer to one export, laid out for the host: four u32
 * (meta pointer, meta length, body pointer, body length) first. */
typedef struct cx_output {
    uint32_t meta_ptr, meta_len;
    uint32_t body_ptr, body_len;
    const char *meta; /* native view of the same bytes */
    const char *body;
} cx_output;

typedef struct cx_chunk cx_chunk;
typedef struct smap smap;

/* One bump region: its current chunk (older ones follow) and its bytes. */
typedef struct cx_arena {
    cx_chunk *head;
    size_t total;
} cx_arena;

typedef struct cx {
    /* memory: the call's arena, and a scratch arena for what dies sooner
     * (statement parameters, result rows while they are copied out) */
    cx_arena main, scratch;
    int in_scratch;     /* depth of cx_scratch_begin; > 0: cx_alloc uses scratch */
    /* allocation failure injection (native tests): allocation number
     * fail_at (counted from cx_open) fails; with fail_once only that one,
     * otherwise every later one too. fail_at < 0: off. */
    long fail_at;
    int fail_once;
    long nalloc;
    /* the error record: the first failure of the call wins */
    cx_rc rc;
    const char *msg;    /* in the arena; NULL for CX_NOMEM */
    /* what the call decided: the instance's timer was planned (saved), so
     * the end of the event sets the alarm from it (eng.c) */
    int timer_planned;
    /* per-call caches */
    smap *schemas;      /* schema text -> parsed cJSON (see schema.h) */
    cx_output out;
} cx;

/* A fresh handle, or NULL if malloc fails. */
cx *cx_open(void);
/* Frees the handle and everything allocated in it. NULL is a no-op. */
void cx_close(cx *X);

/* Makes X the handle cJSON allocates from (and installs the trampoline
 * hooks); cx_leave() makes none current. Every export brackets its work. */
void cx_enter(cx *X);
void cx_leave(void);

/* 8-byte aligned memory that lives until cx_close; NULL on failure (the
 * record says CX_NOMEM). */
void *cx_alloc(cx *X, size_t n);
void *cx_realloc(cx *X, void *p, size_t old_n, size_t new_n);

/* Bytes in use in both arenas (what the call's budget counts). */
size_t cx_used(const cx *X);

/* Scratch: between cx_scratch_begin and the matching cx_scratch_end,
 * cx_alloc (and so cJSON) allocates from the scratch arena; the outermost
 * cx_scratch_end frees it all. What must survive is copied with cx_keep
 * (always the call's arena). This is how a pass that reads or writes
 * thousands of rows stays within a budget that does not grow with them. */
void cx_scratch_begin(cx *X);
void cx_scratch_end(cx *X);
/* n bytes of src copied into the call's arena (not scratch); NULL on
 * failure. cx_keep_str copies a string (NULL stays NULL). */
void *cx_keep(cx *X, const void *src, size_t n);
void *cx_alloc_main(cx *X, size_t n);
char *cx_keep_str(cx *X, const char *s);

/* Record a failure (the first one of the call is kept) and return rc, so
 * callers can `return cx_fail(X, CX_STORAGE, msg);`. */
int cx_fail(cx *X, cx_rc rc, const char *msg);
/* cx_fail(X, CX_NOMEM, NULL). */
int cx_nomem(cx *X);
/* Forget the record (a caller that handled the failure). */
void cx_clear(cx *X);
/* "Out of memory", "Storage error: ...", or the definition message. */
const char *cx_message(const cx *X);

/* Test hook: see fail_at above. */
void cx_fail_at(cx *X, long n, int once);

#endif

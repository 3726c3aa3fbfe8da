/* eng_int.h — the pass context shared by the engine's own files (eng.c, the
 * pass driver; eng_step.c, steps and retries; eng_update.c, live updates).
 * Nothing outside the engine includes it.
 *
 * An ab_ctx (the opaque handle workflow authors get) exists for one pass, on
 * the C stack of eng_run; it and everything it points to live in the call's
 * arena. It records why the pass stopped in one of three ways:
 *  - suspend: a step asked to stop here (sleep, wait, back-off, pause);
 *  - err/err_msg: the workflow failed; the instance errors with that code;
 *  - fatal: the engine failed (out of memory, storage); the pass is
 *    abandoned without changing the instance's status.
 */
#ifndef AB_ENG_INT_H
#define AB_ENG_INT_H

#include "eng.h"
#include "err.h"
#include "smap.h"

typedef enum { MODE_RUN, MODE_STEP } ctx_mode;

struct ab_ctx {
    cx *X;
    const ab_workflow *wf;
    eng_state *st;
    db_instance *inst;
    smap steps;          /* name -> db_step* */
    smap seen;           /* names reached in this pass */
    smap fired;          /* update sites that already fired */
    int steps_cap;
    int nstored;         /* st->steps[0..nstored) came from storage, in order */
    int next_stored;     /* first stored step perhaps not yet reached */
    double now;
    int64_t result_limit;
    int overflow_retry;

    ctx_mode mode;       /* inside a step body or not */
    int attempt;
    char *fail_msg;

    const char *anchor;  /* last step reached: identifies emit call sites */
    int emit_n;

    /* why the pass stops */
    const char *stopped_at; /* step whose call returned a status other than AB_OK */
    inst_status suspend_status;
    err_code err;
    char *err_msg;
    int fatal;           /* a negative cx_rc, or 0 */

    int bodies;          /* step bodies run in this pass */
    size_t exec_base;    /* memory in use when the first body ran */
    double started;      /* when the pass began (host clock) */
    double exec_started; /* when its first body ran */
    int careful;         /* this pass runs at most one body, after a committed marker */
    int died;            /* unaccounted death detected at event start */
    int changed;         /* something was written: bump updated_at */

    /* I/O steps (eng_io.c) */
    int io_out;          /* attempts the host is performing, these included */
    int io_wait;         /* the pass stopped to wait for one of them */
    int64_t io_seq;      /* the highest done_seq in the history */
    cJSON *io_jobs;      /* attempts started by this pass, for the host once it ends */
};

/* Errors the instance (the first error of the pass wins); returns AB_ERROR. */
ab_rc eng_fail(ab_ctx *c, err_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The engine failed (rc < 0, recorded in X): abandon the pass. */
ab_rc eng_abort(ab_ctx *c, int rc);
/* A step asks the pass to stop with the instance in `status`. */
ab_rc eng_suspend(ab_ctx *c, inst_status status);

/* Common entry of every step call: misuse checks, duplicate and determinism
 * detection, lookup. Returns AB_OK with *out set (new steps are created but
 * not yet saved). */
ab_rc eng_step_enter(ab_ctx *c, const char *name, step_kind kind, db_step **out);
/* Saves s (and notes that the instance changed). */
int eng_step_save(ab_ctx *c, db_step *s);
/* A step that failed for good, met again on a later pass: errors the instance. */
ab_rc eng_step_failed(ab_ctx *c, const db_step *s);
/* A step's stored result, parsed afresh (the caller may modify it). */
ab_rc eng_step_result(ab_ctx *c, db_step *s, cJSON **out);
/* Records the status of a step call for the forgotten-AB_TRY check. */
ab_rc eng_step_exit(ab_ctx *c, const char *name, ab_rc rc);

/* A step's retry policy, resolved (eng_step.c). */
typedef struct eng_retry {
    int limit;
    int64_t delay;
    char backoff; /* 'f', 'l', 'e' */
} eng_retry;

/* Resolves step -> workflow -> engine default; a bad setting errors the
 * instance (AB_ERROR). */
ab_rc eng_policy(ab_ctx *c, const char *step, const ab_retry *r, eng_retry *p);
/* Records failed attempt s->attempts (msg, how long it took) and applies the
 * rules: retry after delay_ms (< 0: the policy's back-off) with the step
 * sleeping (AB_SUSPEND), or fail the step and error the instance (AB_ERROR). */
ab_rc eng_attempt_failed(ab_ctx *c, db_step *s, const eng_retry *p, const char *msg,
                         int permanent, double duration, double delay_ms);
/* Stores res (taken over) as the step's result after both size checks (a
 * failed check is a failed attempt); *out (may be NULL) gets it. */
ab_rc eng_attempt_succeeded(ab_ctx *c, db_step *s, const eng_retry *p, cJSON *res,
                            double took, cJSON **out);

/* I/O steps (eng_io.c): what pass_open learns of the attempts the host is
 * performing, and what pass_settle hands it to perform. */
int eng_io_open(ab_ctx *c);
void eng_io_settle(ab_ctx *c, inst_status status);

/* Validates value against an update's schema and sends it (eng_update.c). */
ab_rc eng_send_update(ab_ctx *c, const char *name, const cJSON *value, int persist);

#endif

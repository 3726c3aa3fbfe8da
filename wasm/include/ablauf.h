/* ablauf.h — the public API for writing durable workflows in C.
 *
 * A workflow is a constant definition (ab_workflow) plus a run function. The
 * engine calls the run function from the top on every wake-up (a "pass");
 * steps that already completed return their stored results without running
 * again, so the run function must be deterministic apart from its steps: all
 * I/O, clocks and randomness belong inside step bodies.
 *
 * Every engine call returns an ab_rc. Anything but AB_OK means "stop the pass
 * now and return this code": AB_TRY does exactly that. The engine has already
 * recorded why (sleeping, waiting, retry back-off, paused, errored). The
 * ab_rc functions are declared AB_MUST_USE, so a call whose code is dropped
 * (a forgotten AB_TRY) is a compiler warning.
 *
 * Memory and ownership. Everything below lives in the current call's arena
 * and is released when the engine call returns; authors never free, and never
 * keep a pointer in a global or static across calls.
 *   - The payload passed to the run function is borrowed: valid for the pass,
 *     const, not to be modified. Its members may go into a result through
 *     ab_obj (which copies them) or a cJSON_Duplicate.
 *   - The arg passed to ab_do is borrowed: the body sees it as is (const), on
 *     the passes that run the body; it is never stored.
 *   - A result handed out by ab_do or ab_wait_for_event belongs to the author:
 *     a value of its own, in no other tree (on later passes a fresh parse of
 *     the stored JSON; on the pass that ran the body, the value the body
 *     returned). It may be modified or attached to the result; that changes
 *     nothing stored.
 *   - A value set in *result (by a step body or the run function) is taken
 *     over by the engine: it serialises and stores it. NULL means JSON null.
 *   - A value passed to ab_emit or ab_broadcast is borrowed: validated and
 *     serialised during the call; the author may reuse it afterwards.
 *   - cJSON allocates from the arena through hooks the engine installs: never
 *     call cJSON_InitHooks. cJSON_Delete and cJSON_free are harmless no-ops.
 *
 * Example — a workflow that greets, sleeps a day, then waits for approval:
 *
 *     static ab_rc greet(ab_ctx *c, const cJSON *in, cJSON **out) {
 *         return ab_ok_str(c, out, "Hello, %s!", ab_get_str(in, "name"));
 *     }
 *
 *     static ab_rc run(ab_ctx *c, const cJSON *payload, cJSON **result) {
 *         cJSON *greeting, *approval;
 *         AB_TRY(ab_do(c, "greet", NULL, greet, payload, &greeting));
 *         AB_TRY(ab_sleep(c, "cool-off", "1d"));
 *         AB_TRY(ab_wait_for_event(c, "approval", "7d", &approval));
 *         return ab_ok(c, result, ab_obj(c, "greeting", greeting,
 *                                        "approved", ab_bool(c, ab_get_bool(approval, "approved", 0)),
 *                                        AB_END));
 *     }
 *
 *     static const ab_event_def events[] = {
 *         {"approval", AB_JSON({"type": "object", "required": ["approved"],
 *                               "properties": {"approved": {"type": "boolean"}}})},
 *         {NULL, NULL}};
 *
 *     AB_WORKFLOW(greeter) = {
 *         .type = "greeter",
 *         .input_schema = AB_JSON({"type": "object", "required": ["name"],
 *                                  "properties": {"name": {"type": "string"}}}),
 *         .events = events,
 *         .run = run,
 *     };
 *
 * Put it in a file of the application's workflows/ directory; `ablauf build`
 * registers it (docs/cli.md).
 */
#ifndef ABLAUF_H
#define ABLAUF_H

#include <stddef.h>

#include "cJSON.h"

typedef struct ab_ctx ab_ctx;

/* Marks a function whose result must be used: every ab_rc function below. */
#define AB_MUST_USE __attribute__((warn_unused_result))
/* printf-style format checking: fmt is argument f, the values start at a. */
#define AB_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum ab_rc {
    AB_OK = 0,             /* done; results are available */
    AB_SUSPEND = 1,        /* the pass stops here: sleep, wait, back-off or pause */
    AB_ERROR = 2,          /* the instance errored; the engine recorded why */
    AB_FAIL = 3,           /* step body only: this attempt failed, retry by the rules */
    AB_FAIL_PERMANENT = 4  /* step body only: failed, never retry */
} ab_rc;

/* Returns from the enclosing function unless expr is AB_OK. */
#define AB_TRY(expr)                        \
    do {                                    \
        ab_rc ab_try_rc_ = (expr);          \
        if (ab_try_rc_ != AB_OK) return ab_try_rc_; \
    } while (0)

/* Retry policy. Zero/NULL fields inherit: step -> workflow -> engine default
 * (limit 3 attempts in all, delay "1s", backoff "exponential"). */
typedef struct ab_retry {
    int limit;           /* total attempts, the first included */
    const char *delay;   /* duration: "<int>(ms|s|m|h|d)" */
    const char *backoff; /* "fixed" | "linear" | "exponential" */
} ab_retry;

/* An event or update name with the JSON Schema (as JSON text) its payload
 * must satisfy; NULL schema accepts anything. Arrays end with {NULL, NULL}. */
typedef struct ab_message_def {
    const char *name;
    const char *schema;
} ab_message_def;
typedef ab_message_def ab_event_def;
typedef ab_message_def ab_update_def;

/* A step body. arg is what was passed to ab_do (borrowed); *result must be
 * set on AB_OK (a cJSON value, taken over; NULL means JSON null). Return
 * AB_OK — ab_ok(...) / ab_ok_str(...) set *result and return it — or
 * ab_fail(...) / ab_fail_permanent(...). */
typedef ab_rc (*ab_step_fn)(ab_ctx *c, const cJSON *arg, cJSON **result);

/* A workflow's run function: payload is the validated input (borrowed);
 * *result is the instance's result (taken over; NULL means JSON null). */
typedef ab_rc (*ab_run_fn)(ab_ctx *c, const cJSON *payload, cJSON **result);

typedef struct ab_workflow {
    const char *type;              /* unique name, e.g. "order-fulfilment" */
    const char *input_schema;      /* JSON Schema text; NULL accepts anything */
    const char *result_schema;     /* JSON Schema of the result (for generated types) */
    const ab_event_def *events;    /* events it waits for; NULL = none */
    const ab_update_def *updates;  /* updates it emits/broadcasts; NULL = none */
    ab_retry retry;                /* defaults for its steps */
    const char *result_size_limit; /* cumulative step results, e.g. "64mb" (default) */
    const char *on_overflow;       /* "fail" (default) | "retry" */
    ab_run_fn run;
    /* Names of the worker's secrets/vars its I/O steps may use as {{NAME}}
     * in a url or header value; NULL-terminated; NULL = none. */
    const char *const *secrets;
} ab_workflow;

/* Defines a workflow and registers it: `ablauf build` finds every
 * AB_WORKFLOW(name) in the application's sources and generates the registry
 * (nothing to keep by hand). name is a C identifier, unique in the
 * application; the type name the API uses is the .type field.
 *
 *     AB_WORKFLOW(greeter) = {.type = "greeter", .run = run};
 */
#define AB_WORKFLOW(name) const ab_workflow name

/* The registry, generated by the build: a NULL-terminated array of every
 * AB_WORKFLOW of the application. */
extern const ab_workflow *const ab_registry[];

/* --- steps (call from the run function) ------------------------------ */

/* Runs fn once and stores its result under `name`; later passes get the
 * stored result. retry may be NULL (workflow defaults); result may be NULL
 * when the value is not needed. */
AB_MUST_USE ab_rc ab_do(ab_ctx *c, const char *name, const ab_retry *retry,
                        ab_step_fn fn, const cJSON *arg, cJSON **result);

/* Suspends the instance for a duration ("5s", "30m", "7d"). */
AB_MUST_USE ab_rc ab_sleep(ab_ctx *c, const char *name, const char *duration);

/* Suspends the instance until epoch milliseconds `at`. */
AB_MUST_USE ab_rc ab_sleep_until(ab_ctx *c, const char *name, double at);

/* Waits for the event `event` (the step is named after it). timeout is a
 * duration or NULL for none; on expiry the instance errors with
 * EVENT_TIMEOUT. payload receives the event's payload. */
AB_MUST_USE ab_rc ab_wait_for_event(ab_ctx *c, const char *event, const char *timeout,
                                    cJSON **payload);

/* --- I/O steps: the outside world (docs/io-steps.md) ------------------------
 *
 * A step body cannot wait on the network; an I/O step can. The pass records
 * the request and goes on (the _start variants) or stops (ab_fetch, ab_call,
 * the awaits); the host performs it once what the pass wrote is committed,
 * stores the outcome, and runs the pass again, which replays to this point
 * and finds the result. A completed I/O step is never performed again; an
 * attempt is performed at least once (a death while it is out is a failed
 * attempt, retried with the same idempotency key).
 *
 * Example — charge a card, then send the receipt through a Queue:
 *
 *     static ab_rc run(ab_ctx *c, const cJSON *order, cJSON **result) {
 *         cJSON *charge, *sent;
 *         const ab_io_opts pay = {.retry = {.limit = 5, .delay = "2s"}, .timeout = "10s"};
 *         AB_TRY(ab_fetch(c, "charge", &pay,
 *                         ab_obj(c, "url", ab_str(c, "https://pay.example/v1/charges"),
 *                                "method", ab_str(c, "POST"),
 *                                "headers", ab_obj(c, "authorization",
 *                                                  ab_str(c, "Bearer {{PAY_KEY}}"), AB_END),
 *                                "body", ab_obj(c, "amount", ab_num(c, ab_get_num(order, "amount", 0)),
 *                                               AB_END),
 *                                AB_END),
 *                         &charge));
 *         AB_TRY(ab_call(c, "receipt", NULL, "queue.send",
 *                        ab_obj(c, "binding", ab_str(c, "RECEIPTS"),
 *                               "body", ab_obj(c, "charge", ab_get(ab_get(charge, "body"), "id"),
 *                                              AB_END),
 *                               AB_END),
 *                        &sent));
 *         return ab_ok(c, result, ab_obj(c, "charged", ab_get(charge, "body"), AB_END));
 *     }
 *
 *     static const char *const secrets[] = {"PAY_KEY", NULL};
 *     AB_WORKFLOW(checkout) = {.type = "checkout", .secrets = secrets, .run = run};
 *
 * fetch request (cJSON, borrowed): {"url", "method"? (GET), "headers"?:
 * {name: string}, "body"?: a string (sent as is) or any JSON value (sent as
 * JSON with content-type application/json)}. Result: {"status", "headers":
 * {lower-case name: string}, "body"} — body parsed when the response says it
 * is JSON, else its text. 2xx succeeds; network errors, timeouts, 408, 429
 * and 5xx fail the attempt (Retry-After on 429/503 sets the next delay);
 * any other status fails the step for good unless `accept` lists it.
 * Every attempt carries Idempotency-Key: <instance id>/<step name> (or
 * opts->idempotency_key) unless the request sets one itself.
 *
 * call: the activity `activity` registered with the worker (or a built-in:
 * kv.get, kv.put, kv.delete, queue.send, r2.get, r2.put, d1.query) is called
 * with args (JSON, borrowed); its return value is the result.
 */

/* Options of one I/O step; NULL or zero fields take the defaults. */
typedef struct ab_io_opts {
    ab_retry retry;              /* as ab_do's: step -> workflow -> engine default */
    const char *timeout;         /* per attempt, a duration; default "30s" */
    const char *idempotency_key; /* fetch; default "<instance id>/<step name>" */
    const int *accept;           /* fetch: more statuses that succeed, 0-terminated */
} ab_io_opts;

/* A started I/O step, valid for the pass (the call arena). */
typedef struct ab_pending ab_pending;

/* Performs the request and waits for its outcome (result may be NULL). */
AB_MUST_USE ab_rc ab_fetch(ab_ctx *c, const char *name, const ab_io_opts *opts,
                           const cJSON *request, cJSON **result);
AB_MUST_USE ab_rc ab_call(ab_ctx *c, const char *name, const ab_io_opts *opts,
                          const char *activity, const cJSON *args, cJSON **result);

/* Starts the step without waiting: *pending is its handle. Steps started
 * before the pass waits run in parallel (at most 6 of an instance at once;
 * the rest start as those end). Returns AB_OK, or AB_ERROR when the step
 * failed for good (the instance errored). */
AB_MUST_USE ab_rc ab_fetch_start(ab_ctx *c, const char *name, const ab_io_opts *opts,
                                 const cJSON *request, ab_pending **pending);
AB_MUST_USE ab_rc ab_call_start(ab_ctx *c, const char *name, const ab_io_opts *opts,
                                const char *activity, const cJSON *args, ab_pending **pending);

/* Waits until all n have completed: results[i] (results may be NULL) gets
 * the result of pending[i], as ab_do hands results out. Any of them failing
 * for good errors the instance. */
AB_MUST_USE ab_rc ab_await_all(ab_ctx *c, ab_pending *const *pending, int n, cJSON **results);

/* Waits until one of n has completed: *which (may be NULL) is its index and
 * *result (may be NULL) its result. When several have, the one that
 * completed first: every pass gives the same answer. The others go on and
 * may be awaited later. */
AB_MUST_USE ab_rc ab_await_any(ab_ctx *c, ab_pending *const *pending, int n, int *which,
                               cJSON **result);

/* --- live updates ------------------------------------------------------ */

/* Validates value against the update's schema, sends it to every connected
 * client and persists it (it gets a seq and is replayed to new clients).
 * Fires once per call site, on the first pass that reaches it. */
AB_MUST_USE ab_rc ab_emit(ab_ctx *c, const char *update, const cJSON *value);

/* Like ab_emit, but live only: never persisted. */
AB_MUST_USE ab_rc ab_broadcast(ab_ctx *c, const char *update, const cJSON *value);

/* --- inside step bodies ------------------------------------------------ */

/* Record why this attempt failed; return the result from the step body.
 * Returned from the run function instead, they error the instance
 * (STEP_FAILED) with that message. */
AB_MUST_USE ab_rc ab_fail(ab_ctx *c, const char *fmt, ...) AB_PRINTF(2, 3);
AB_MUST_USE ab_rc ab_fail_permanent(ab_ctx *c, const char *fmt, ...) AB_PRINTF(2, 3);

/* The number of the running attempt, from 1. */
int ab_attempt(const ab_ctx *c);

/* The instance id and the current time (epoch ms, from the host clock). */
const char *ab_instance_id(const ab_ctx *c);
double ab_now(const ab_ctx *c);

/* --- memory (released when the call returns) --------------------------- */

void *ab_alloc(ab_ctx *c, size_t n);
char *ab_printf(ab_ctx *c, const char *fmt, ...) AB_PRINTF(2, 3);

/* --- JSON Schemas without escaping --------------------------------------- */

/* AB_JSON(...) turns the JSON text written between its parentheses into a
 * string literal, for the schema fields:
 *
 *     .input_schema = AB_JSON({"type": "object", "required": ["name"],
 *                              "properties": {"name": {"type": "string"}}}),
 *
 * It is token stringification (#__VA_ARGS__), with its rules: the text must
 * be valid JSON (nothing checks it at compile time); white space between
 * tokens becomes one space or none, while inside strings it is kept, as are
 * JSON escapes (\", \\d, \u00e9); C comments are removed; commas need no care.
 * Write it directly inside AB_JSON or in an object-like macro
 * (#define S AB_JSON(...)): passed through a function-like macro's
 * parameter, true, false and null would be macro-expanded first if defined
 * (stdbool.h defines true and false). */
#define AB_JSON(...) #__VA_ARGS__

/* --- reading JSON: never crash on a wrong shape ---------------------------- */

/* obj's member named key (compared case-sensitively; the first if repeated),
 * or NULL when obj is NULL or not an object, key is NULL or the member is
 * missing. No allocation, no ab_ctx: they work on any cJSON value. The
 * returned pointers point into obj (borrowed as obj is). */
const cJSON *ab_get(const cJSON *obj, const char *key);
/* The member if it is a string (its text), else NULL. */
const char *ab_get_str(const cJSON *obj, const char *key);
/* The member if it is a number, else dflt. */
double ab_get_num(const cJSON *obj, const char *key, double dflt);
/* The member if it is a number with an integral value in int's range, else
 * dflt (so 2.5, 1e10 and "3" all give dflt). */
int ab_get_int(const cJSON *obj, const char *key, int dflt);
/* The member if it is true or false (1 or 0), else dflt. */
int ab_get_bool(const cJSON *obj, const char *key, int dflt);
/* The member if it is an object, else NULL. */
const cJSON *ab_get_obj(const cJSON *obj, const char *key);
/* The member if it is an array, else NULL (cJSON_ArrayForEach accepts NULL). */
const cJSON *ab_get_arr(const cJSON *obj, const char *key);

/* --- building JSON --------------------------------------------------------- */

/* Each returns a new value in the call arena, or NULL when allocation fails;
 * every builder that takes values returns NULL when one of them is NULL, so
 * a failure anywhere in a nested expression reaches the outermost builder
 * and ab_ok. */

/* The sentinel that ends ab_obj's arguments. */
#define AB_END ((const char *)0)

/* An object from key/value pairs ending with AB_END:
 *
 *     ab_obj(c, "name", ab_str(c, "%s", name), "total", ab_num(c, 42), AB_END)
 *
 * Keys are copied; keys should be distinct. Each value is taken over
 * (attached, not copied) — except a value that is already a member of another
 * object or array, such as a payload field from ab_get, which is copied so
 * that its tree stays intact. NULL if any value is NULL (JSON null is
 * cJSON_CreateNull()). ab_obj(c, AB_END) is {}. A macro checks at compile
 * time that the arguments are pointers, in pairs, plus AB_END: an odd count
 * (a missing value or AB_END) fails with "array size is negative". */
cJSON *ab_obj(ab_ctx *c, ...) __attribute__((sentinel));
#define ab_obj(c, ...)                                                             \
    ((void)sizeof(char[(sizeof((const void *[]){__VA_ARGS__}) / sizeof(void *)) % 2 \
                           ? 1 : -1]),                                               \
     ab_obj(c, __VA_ARGS__))

/* A string, printf-formatted (a string as is: ab_str(c, "%s", s)). */
cJSON *ab_str(ab_ctx *c, const char *fmt, ...) AB_PRINTF(2, 3);
/* A number (NaN and infinities print as null: JSON has neither). */
cJSON *ab_num(ab_ctx *c, double d);
/* true when b is non-zero, else false. */
cJSON *ab_bool(ab_ctx *c, int b);

/* --- returning results ------------------------------------------------------ */

/* Sets *out = value (taken over) and returns AB_OK; when value is NULL (an
 * allocation failed) returns ab_fail(c, "out of memory") instead: in a step
 * body that attempt fails and is retried by the step's policy; from the run
 * function the instance errors (STEP_FAILED). Use as
 * `return ab_ok(c, out, value);` in step bodies and run functions alike. */
AB_MUST_USE ab_rc ab_ok(ab_ctx *c, cJSON **out, cJSON *value);
/* ab_ok with ab_str(c, fmt, ...). */
AB_MUST_USE ab_rc ab_ok_str(ab_ctx *c, cJSON **out, const char *fmt, ...) AB_PRINTF(3, 4);

#endif

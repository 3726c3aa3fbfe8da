/* db.h — all persistent state, in the object's SQLite database.
 *
 * This module owns every table and every statement; nothing else writes SQL.
 * Tables carry the ab_ prefix (the platform reserves _cf_). The schema is
 * versioned in ab_meta and migrated forward at the first statement of a call.
 *
 * One object is either a workflow instance (ab_instance holds one row, with
 * its steps, buffered events, persisted updates and fired update sites) or a
 * listing-index shard (ab_index). Both use the same schema.
 *
 * Rows come back typed (statuses as enums, times as doubles). Errors: every
 * function returns CX_OK or a negative cx_rc (CX_STORAGE with the host's
 * message, CX_NOMEM) recorded in X. Rows and strings handed out live in the
 * call arena.
 */
#ifndef AB_DB_H
#define AB_DB_H

#include <stdint.h>

#include "cJSON.h"
#include "cx.h"
#include "sb.h"
#include "state.h"

#define DB_SCHEMA_VERSION 6

/* Timestamps are epoch ms; DB_NULL_TIME stands for SQL NULL. */
#define DB_NULL_TIME (-1.0)

typedef struct db_instance {
    char *id, *type;
    inst_status status;
    char *payload; /* JSON text */
    char *result;  /* JSON text or NULL */
    char *error, *error_code;
    double created_at, updated_at;
    int64_t result_bytes; /* sum of stored step results */
    int64_t event_open;   /* generation of an event that has not finished, 0 if none */
    int died;             /* a previous event died mid-way and is not yet accounted for */
    int careful;          /* run the next step body only after its marker is committed */
    int deaths;           /* consecutive unattributed deaths */
    double timer_at;      /* earliest pending timer, DB_NULL_TIME if none (the alarm's base) */
} db_instance;

typedef struct db_step {
    char *name;
    int ord;              /* first-seen order */
    step_kind kind;
    step_status status;
    int attempts;
    char *result;         /* JSON text or NULL */
    char *error;
    double started_at, completed_at, duration, wake_at; /* DB_NULL_TIME = null */
    char *history;        /* JSON array text or NULL */
    int64_t result_bytes;
    /* I/O steps (fetch, call) only; NULL/0 for the others: */
    char *request;        /* the request as the workflow gave it (placeholders kept) */
    char *io_token;       /* the attempt the host performs now; NULL when none is out */
    char *outcome;        /* the host's outcome of that attempt, not yet judged by a pass */
    int64_t done_seq;     /* order in which I/O steps ended (ab_await_any), 0 = not ended */
} db_step;

/* A persisted update (emit). */
typedef struct db_update {
    int64_t seq;
    char *name;
    char *data; /* JSON text of the value */
    double created_at;
} db_update;

/* A listing entry as an index shard stores it. */
typedef struct db_entry {
    char *id, *type;
    inst_status status;
    double created_at, updated_at;
} db_entry;

/* Creates or migrates the schema. Cheap when current (one statement). */
int db_migrate(cx *X);

/* --- instance ---------------------------------------------------------- */

/* *out = NULL when the object holds no instance. */
int db_instance_load(cx *X, db_instance **out);
int db_instance_insert(cx *X, const db_instance *in);
/* Writes every mutable column of the row (not the result: db_result_put). */
int db_instance_save(cx *X, const db_instance *in);
/* The workflow's result, in a row of its own (ab_result). */
int db_result_put(cx *X, const char *result);

/* --- steps -------------------------------------------------------------- */

/* Every upsert of a step's row (the batch below, db.c's step_save_): the
 * row is keyed by its ord (schema v6: no index on name). A write
 * that finds its ord held by another step's row is a fault, never an
 * overwrite: the update fails ("NOT NULL constraint failed: ab_steps.name"),
 * and only that path, taken by a step written before, pays for the
 * comparison. */
#define DB_ROWS_SAME_NAME                                                                 \
    "name = CASE WHEN name = excluded.name THEN name END,"

/* The statement that the rows queued by host_step_put are written with:
 * DB_ROWS_HEAD, DB_ROWS_TUPLE once per row (joined by ","), DB_ROWS_TAIL.
 * Each row binds DB_ROWS_PARAMS values in host_step_put's order: name, ord,
 * attempts, result, started_at, completed_at, duration, result_bytes. It
 * sets every column the way db_step_save would for such a row. DB_ROWS_MAX
 * rows keep a batch within the platform's 100 bound parameters. The hosts
 * (shim/host.js through ab_rows_sql, tests/native/host_native.c) build it
 * from these. */
#define DB_ROWS_HEAD                                                                      \
    "INSERT INTO ab_steps (name, ord, type, status, attempts, result, started_at,"        \
    " completed_at, duration, result_bytes) VALUES "
#define DB_ROWS_TUPLE "(?, ?, 'do', 'completed', ?, ?, ?, ?, ?, ?)"
#define DB_ROWS_TAIL                                                                      \
    " ON CONFLICT (ord) DO UPDATE SET " DB_ROWS_SAME_NAME " status = excluded.status,"    \
    " attempts = excluded.attempts, result = excluded.result, error = NULL,"              \
    " started_at = excluded.started_at, completed_at = excluded.completed_at,"            \
    " duration = excluded.duration, wake_at = NULL, history = NULL,"                      \
    " result_bytes = excluded.result_bytes, request = NULL, io_token = NULL,"             \
    " outcome = NULL, done_seq = 0"
#define DB_ROWS_PARAMS 8
#define DB_ROWS_MAX 12

/* All steps in first-seen order, in one statement. */
int db_steps_load(cx *X, db_step **steps, int *count);
/* Writes the step's row: a completed do step without history through
 * host_step_put (queued, written in batches), any other by a statement. */
int db_step_save(cx *X, const db_step *s);
/* At most limit steps with ord > after_ord, in order (a page of Status). */
int db_steps_page(cx *X, int after_ord, int limit, db_step **steps, int *count);
/* At most limit do, fetch and call steps that started, after (started_at, ord) in that order
 * (a page of the timeline; after_at DB_NULL_TIME = from the start). */
int db_timeline_page(cx *X, double after_at, int after_ord, int limit, db_step **steps,
                     int *count);
/* Makes every pending timer due at `now` (test hook). */
int db_steps_advance(cx *X, double now);

/* --- buffered events ----------------------------------------------------- */

/* *payload = NULL when nothing is buffered under name. */
int db_event_take(cx *X, const char *name, char **payload);
int db_event_put(cx *X, const char *name, const char *payload, double now);
int db_events_clear(cx *X);

/* --- updates and fired sites --------------------------------------------- */

/* Every update call site that fired: broadcasts (ab_fired) and emits (the
 * site column of ab_updates), as *n strings. */
int db_fired_load(cx *X, char ***keys, int *n);
/* Marks a broadcast's call site fired. */
int db_fired_add(cx *X, const char *key);
/* Appends a persisted update and marks its call site fired, in one statement;
 * *seq receives its number. */
int db_update_add(cx *X, const char *name, const char *data, double now, const char *site,
                  int64_t *seq);
/* Updates with seq > after, in order. */
int db_updates_after(cx *X, int64_t after, db_update **rows, int *n);

/* --- the outbox: what other objects must learn ------------------------------
 * One row per destination (the listing shard): the latest IndexEntry, written
 * in the same event as the change it reports and deleted once that exact
 * entry was delivered. */

typedef struct db_outbox {
    char *shard, *entry;
} db_outbox;

int db_outbox_put(cx *X, const char *shard, const char *entry);
int db_outbox_load(cx *X, db_outbox **rows, int *n);
/* Deletes the row if it still holds exactly `entry` (a newer one stays). */
int db_outbox_ack(cx *X, const char *shard, const char *entry);

/* --- export ---------------------------------------------------------------- */

/* Appends {"<table>": {"columns": [...], "rows": [[...], ...]}, ...} for
 * every table of an instance to out (the rows as the host returned them, not
 * re-parsed), so a tool can rebuild the database elsewhere. */
int db_export(cx *X, sb *out);

/* --- listing index shard -------------------------------------------------- */

/* Upserts entry unless the stored one is newer. */
int db_index_put(cx *X, const db_entry *e);
/* Entries newest first, at most limit, filtered by type/status (NULL = any),
 * strictly after the cursor position (cursor_at < 0 = from the top). */
int db_index_list(cx *X, const char *type, const char *status, double cursor_at,
                  const char *cursor_id, int limit, db_entry **rows, int *n);

#endif

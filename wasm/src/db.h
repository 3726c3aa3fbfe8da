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
 * Errors: functions return 0 on success and -1 on failure (SQL error or
 * allocation failure); db_error() says why. Rows and strings handed out live
 * in the call arena.
 */
#ifndef AB_DB_H
#define AB_DB_H

#include <stdint.h>

#include "cJSON.h"

#define DB_SCHEMA_VERSION 2

/* Timestamps are epoch ms; DB_NULL_TIME stands for SQL NULL. */
#define DB_NULL_TIME (-1.0)

typedef struct db_instance {
    char *id, *type, *status;
    char *payload; /* JSON text */
    char *result;  /* JSON text or NULL */
    char *error, *error_code;
    double created_at, updated_at;
    int64_t result_bytes; /* sum of stored step results */
    int64_t event_open;   /* generation of an event that has not finished, 0 if none */
    int died;             /* a previous event died mid-way and is not yet accounted for */
    int careful;          /* run the next step body only after its marker is committed */
    int deaths;           /* consecutive unattributed deaths */
} db_instance;

typedef struct db_step {
    char *name;
    int ord;              /* first-seen order */
    char *type;           /* do | sleep | sleep_until | wait_for_event */
    char *status;         /* running | completed | failed | sleeping | waiting */
    int attempts;
    char *result;         /* JSON text or NULL */
    char *error;
    double started_at, completed_at, duration, wake_at; /* DB_NULL_TIME = null */
    char *history;        /* JSON array text or NULL */
    int64_t result_bytes;
} db_step;

const char *db_error(void);

/* Creates or migrates the schema. Cheap when current (one statement). */
int db_migrate(void);

/* Low level: runs sql with params (JSON array, may be NULL); *rows (may be
 * NULL) receives the result rows as a cJSON array of arrays. */
int db_exec(const char *sql, const cJSON *params, cJSON **rows);

/* --- instance ---------------------------------------------------------- */

/* *out = NULL when the object holds no instance. */
int db_instance_load(db_instance **out);
int db_instance_insert(const db_instance *in);
/* Writes every mutable column of the row. */
int db_instance_save(const db_instance *in);

/* --- steps -------------------------------------------------------------- */

/* All steps in first-seen order, in one statement. */
int db_steps_load(db_step **steps, int *count);
int db_step_save(const db_step *s);
/* Makes every pending timer due at `now` (test hook). */
int db_steps_advance(double now);

/* --- buffered events ----------------------------------------------------- */

/* *payload = NULL when nothing is buffered under name. */
int db_event_take(const char *name, char **payload);
int db_event_put(const char *name, const char *payload, double now);
int db_events_clear(void);

/* --- updates and fired sites --------------------------------------------- */

/* Every update call site that fired: broadcasts (ab_fired) and emits (the
 * site column of ab_updates). An array of strings. */
int db_fired_load(cJSON **keys);
/* Marks a broadcast's call site fired. */
int db_fired_add(const char *key);
/* Appends a persisted update and marks its call site fired, in one statement;
 * *seq receives its number. */
int db_update_add(const char *name, const char *data, double now, const char *site, int64_t *seq);
/* Rows [seq, name, data, created_at] with seq > after, in order. */
int db_updates_after(int64_t after, cJSON **rows);

/* --- listing index shard -------------------------------------------------- */

/* Upserts entry unless the stored one is newer. */
int db_index_put(const char *id, const char *type, const char *status,
                 double created_at, double updated_at);
/* Rows [id, type, status, created_at, updated_at], newest first, at most
 * limit, filtered by type/status (NULL = any), strictly after the cursor
 * position (cursor_at < 0 = from the top). */
int db_index_list(const char *type, const char *status, double cursor_at,
                  const char *cursor_id, int limit, cJSON **rows);

#endif

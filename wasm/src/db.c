/* db.c — see db.h. */
#include "db.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "arena.h"
#include "host.h"
#include "sb.h"

static const char *last_error = "";

const char *db_error(void) { return last_error; }

static int fail(const char *msg) {
    last_error = msg;
    return -1;
}

int db_exec(const char *sql, const cJSON *params, cJSON **rows) {
    char *ptext = NULL;
    if (rows) *rows = NULL;
    if (params != NULL && (ptext = cJSON_PrintUnformatted(params)) == NULL)
        return fail("out of memory");
    int32_t n = host_sql_exec(sql, (int32_t)strlen(sql), ptext ? ptext : "[]",
                              ptext ? (int32_t)strlen(ptext) : 2);
    int32_t len = n >= 0 ? n : -n - 1;
    char *buf = arena_alloc((size_t)len + 1);
    if (buf == NULL) {
        /* Still drain the host's pending result so the next call is clean. */
        char scratch[1];
        if (len == 0) host_take(scratch);
        return fail("out of memory");
    }
    host_take(buf);
    buf[len] = '\0';
    if (n < 0) {
        last_error = buf;
        return -1;
    }
    if (rows != NULL) {
        *rows = cJSON_ParseWithLength(buf, (size_t)len);
        if (*rows == NULL) return fail("out of memory or malformed rows from host");
    }
    return 0;
}

/* --- parameters ---------------------------------------------------------- */

/* Builds a params array from a format: s = string (NULL -> null),
 * d = double (DB_NULL_TIME or NaN -> null), i = int64. */
static cJSON *params(const char *fmt, ...) {
    cJSON *a = cJSON_CreateArray();
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; a && *f; f++) {
        cJSON *v = NULL;
        if (*f == 's') {
            const char *s = va_arg(ap, const char *);
            v = s ? cJSON_CreateString(s) : cJSON_CreateNull();
        } else if (*f == 'd') {
            double d = va_arg(ap, double);
            v = (d == DB_NULL_TIME || isnan(d)) ? cJSON_CreateNull() : cJSON_CreateNumber(d);
        } else if (*f == 'i') {
            v = cJSON_CreateNumber((double)va_arg(ap, int64_t));
        }
        if (v == NULL || !cJSON_AddItemToArray(a, v)) a = NULL;
    }
    va_end(ap);
    return a;
}

#define P(...) params(__VA_ARGS__)
#define EXEC(sql, p, rows) (((p) == NULL) ? fail("out of memory") : db_exec((sql), (p), (rows)))

/* --- row access ------------------------------------------------------------ */

static char *col_str(const cJSON *row, int i) {
    const cJSON *v = cJSON_GetArrayItem(row, i);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double col_num(const cJSON *row, int i) {
    const cJSON *v = cJSON_GetArrayItem(row, i);
    return cJSON_IsNumber(v) ? v->valuedouble : DB_NULL_TIME;
}

/* --- schema ------------------------------------------------------------------ */

/* A migration is a list of statements, each of which must be safe to run
 * again: a call can fail (out of memory, storage error) after a statement and
 * before the version is recorded, and the next call starts the migration
 * over. CREATE ... IF NOT EXISTS is naturally so; a statement that is not
 * (ALTER TABLE ... ADD COLUMN) comes with a probe, a query that succeeds once
 * the statement has been applied. */
typedef struct migration_step {
    const char *probe; /* NULL: always run stmt */
    const char *stmt;
} migration_step;

static const migration_step migration_1[] = {
    {NULL,
    "CREATE TABLE IF NOT EXISTS ab_instance ("
    " id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL,"
    " payload TEXT NOT NULL, result TEXT, error TEXT, error_code TEXT,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    " result_bytes INTEGER NOT NULL DEFAULT 0,"
    " event_open INTEGER NOT NULL DEFAULT 0,"
    " died INTEGER NOT NULL DEFAULT 0,"
    " careful INTEGER NOT NULL DEFAULT 0,"
    " deaths INTEGER NOT NULL DEFAULT 0)"},
    {NULL,
    "CREATE TABLE IF NOT EXISTS ab_steps ("
    " name TEXT PRIMARY KEY, ord INTEGER NOT NULL, type TEXT NOT NULL,"
    " status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " result TEXT, error TEXT, started_at INTEGER, completed_at INTEGER,"
    " duration INTEGER, wake_at INTEGER, history TEXT,"
    " result_bytes INTEGER NOT NULL DEFAULT 0)"},
    {NULL,
    "CREATE TABLE IF NOT EXISTS ab_events ("
    " name TEXT PRIMARY KEY, payload TEXT NOT NULL, received_at INTEGER NOT NULL)"},
    {NULL,
    "CREATE TABLE IF NOT EXISTS ab_updates ("
    " seq INTEGER PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL,"
    " created_at INTEGER NOT NULL)"},
    {NULL,
    "CREATE TABLE IF NOT EXISTS ab_fired (key TEXT PRIMARY KEY)"},
    {NULL,
    "CREATE TABLE IF NOT EXISTS ab_index ("
    " id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)"},
    {NULL,
    "CREATE INDEX IF NOT EXISTS ab_index_recent ON ab_index (updated_at DESC, id DESC)"},
    {NULL, NULL}};

/* v2: an emitted update carries its call site, so persisting it and marking
 * the site fired is one statement (a trap cannot fall between the two). */
static const migration_step migration_2[] = {
    {"SELECT site FROM ab_updates LIMIT 0", "ALTER TABLE ab_updates ADD COLUMN site TEXT"},
    {NULL, NULL}};

static const migration_step *const migrations[] = {NULL, migration_1, migration_2};

int db_migrate(void) {
    cJSON *rows;
    int version = 0;
    if (db_exec("SELECT value FROM ab_meta WHERE key = 'schema_version'", NULL, &rows) == 0) {
        version = (int)col_num(cJSON_GetArrayItem(rows, 0), 0);
        if (version < 0) version = 0;
    } else if (db_exec("CREATE TABLE IF NOT EXISTS ab_meta (key TEXT PRIMARY KEY, value)",
                       NULL, NULL) != 0) {
        return -1;
    }
    if (version > DB_SCHEMA_VERSION) return fail("database schema is newer than this engine");
    for (int v = version + 1; v <= DB_SCHEMA_VERSION; v++) {
        for (const migration_step *m = migrations[v]; m->stmt; m++) {
            if (m->probe && db_exec(m->probe, NULL, NULL) == 0) continue; /* already applied */
            if (db_exec(m->stmt, NULL, NULL) != 0) return -1;
        }
        cJSON *p = P("i", (int64_t)v);
        if (EXEC("INSERT INTO ab_meta (key, value) VALUES ('schema_version', ?1)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value", p, NULL) != 0)
            return -1;
    }
    return 0;
}

/* --- instance ------------------------------------------------------------------ */

int db_instance_load(db_instance **out) {
    cJSON *rows;
    *out = NULL;
    if (db_exec("SELECT id, type, status, payload, result, error, error_code, created_at,"
                " updated_at, result_bytes, event_open, died, careful, deaths"
                " FROM ab_instance LIMIT 1", NULL, &rows) != 0)
        return -1;
    cJSON *r = cJSON_GetArrayItem(rows, 0);
    if (r == NULL) return 0;
    db_instance *in = arena_alloc(sizeof *in);
    if (in == NULL) return fail("out of memory");
    in->id = col_str(r, 0);
    in->type = col_str(r, 1);
    in->status = col_str(r, 2);
    in->payload = col_str(r, 3);
    in->result = col_str(r, 4);
    in->error = col_str(r, 5);
    in->error_code = col_str(r, 6);
    in->created_at = col_num(r, 7);
    in->updated_at = col_num(r, 8);
    in->result_bytes = (int64_t)col_num(r, 9);
    in->event_open = (int64_t)col_num(r, 10);
    in->died = (int)col_num(r, 11);
    in->careful = (int)col_num(r, 12);
    in->deaths = (int)col_num(r, 13);
    *out = in;
    return 0;
}

int db_instance_insert(const db_instance *in) {
    cJSON *p = P("ssssdd", in->id, in->type, in->status, in->payload, in->created_at,
                 in->updated_at);
    return EXEC("INSERT INTO ab_instance (id, type, status, payload, created_at, updated_at)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", p, NULL);
}

int db_instance_save(const db_instance *in) {
    cJSON *p = P("sssssdiiiii", in->status, in->result, in->error, in->error_code, in->id,
                 in->updated_at, in->result_bytes, in->event_open, (int64_t)in->died,
                 (int64_t)in->careful, (int64_t)in->deaths);
    return EXEC("UPDATE ab_instance SET status = ?1, result = ?2, error = ?3,"
                " error_code = ?4, updated_at = ?6, result_bytes = ?7, event_open = ?8,"
                " died = ?9, careful = ?10, deaths = ?11 WHERE id = ?5", p, NULL);
}

/* --- steps ----------------------------------------------------------------------- */

int db_steps_load(db_step **steps, int *count) {
    cJSON *rows;
    *steps = NULL;
    *count = 0;
    if (db_exec("SELECT name, ord, type, status, attempts, result, error, started_at,"
                " completed_at, duration, wake_at, history, result_bytes"
                " FROM ab_steps ORDER BY ord", NULL, &rows) != 0)
        return -1;
    int n = cJSON_GetArraySize(rows);
    if (n == 0) return 0;
    db_step *s = arena_alloc(sizeof *s * (size_t)n);
    if (s == NULL) return fail("out of memory");
    int i = 0;
    for (cJSON *r = rows->child; r; r = r->next, i++) {
        s[i].name = col_str(r, 0);
        s[i].ord = (int)col_num(r, 1);
        s[i].type = col_str(r, 2);
        s[i].status = col_str(r, 3);
        s[i].attempts = (int)col_num(r, 4);
        s[i].result = col_str(r, 5);
        s[i].error = col_str(r, 6);
        s[i].started_at = col_num(r, 7);
        s[i].completed_at = col_num(r, 8);
        s[i].duration = col_num(r, 9);
        s[i].wake_at = col_num(r, 10);
        s[i].history = col_str(r, 11);
        s[i].result_bytes = (int64_t)col_num(r, 12);
    }
    *steps = s;
    *count = n;
    return 0;
}

int db_step_save(const db_step *s) {
    cJSON *p = P("sississddddsi", s->name, (int64_t)s->ord, s->type, s->status,
                 (int64_t)s->attempts, s->result, s->error, s->started_at,
                 s->completed_at, s->duration, s->wake_at, s->history, s->result_bytes);
    return EXEC("INSERT INTO ab_steps (name, ord, type, status, attempts, result, error,"
                " started_at, completed_at, duration, wake_at, history, result_bytes)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                " ON CONFLICT (name) DO UPDATE SET status = excluded.status,"
                " attempts = excluded.attempts, result = excluded.result,"
                " error = excluded.error, started_at = excluded.started_at,"
                " completed_at = excluded.completed_at, duration = excluded.duration,"
                " wake_at = excluded.wake_at, history = excluded.history,"
                " result_bytes = excluded.result_bytes", p, NULL);
}

int db_steps_advance(double now) {
    cJSON *p = P("d", now);
    return EXEC("UPDATE ab_steps SET wake_at = ?1 WHERE wake_at IS NOT NULL AND wake_at > ?1"
                " AND status IN ('sleeping', 'waiting', 'running')", p, NULL);
}

/* --- events ----------------------------------------------------------------------- */

int db_event_take(const char *name, char **payload) {
    cJSON *rows;
    cJSON *p = P("s", name);
    *payload = NULL;
    if (EXEC("DELETE FROM ab_events WHERE name = ?1 RETURNING payload", p, &rows) != 0)
        return -1;
    *payload = col_str(cJSON_GetArrayItem(rows, 0), 0);
    return 0;
}

int db_event_put(const char *name, const char *payload, double now) {
    cJSON *p = P("ssd", name, payload, now);
    return EXEC("INSERT INTO ab_events (name, payload, received_at) VALUES (?1, ?2, ?3)"
                " ON CONFLICT (name) DO UPDATE SET payload = excluded.payload,"
                " received_at = excluded.received_at", p, NULL);
}

int db_events_clear(void) { return db_exec("DELETE FROM ab_events", NULL, NULL); }

/* --- updates ----------------------------------------------------------------------- */

int db_fired_load(cJSON **keys) {
    cJSON *rows;
    *keys = NULL;
    if (db_exec("SELECT key FROM ab_fired UNION ALL"
                " SELECT site FROM ab_updates WHERE site IS NOT NULL", NULL, &rows) != 0)
        return -1;
    cJSON *a = cJSON_CreateArray();
    if (a == NULL) return fail("out of memory");
    for (cJSON *r = rows->child; r; r = r->next) {
        cJSON *k = r->child;
        if (k == NULL) continue;
        cJSON_DetachItemViaPointer(r, k);
        cJSON_AddItemToArray(a, k);
    }
    *keys = a;
    return 0;
}

int db_fired_add(const char *key) {
    cJSON *p = P("s", key);
    return EXEC("INSERT OR IGNORE INTO ab_fired (key) VALUES (?1)", p, NULL);
}

int db_update_add(const char *name, const char *data, double now, const char *site, int64_t *seq) {
    cJSON *rows;
    cJSON *p = P("ssds", name, data, now, site);
    if (EXEC("INSERT INTO ab_updates (seq, name, data, created_at, site)"
             " VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM ab_updates), ?1, ?2, ?3, ?4)"
             " RETURNING seq", p, &rows) != 0)
        return -1;
    *seq = (int64_t)col_num(cJSON_GetArrayItem(rows, 0), 0);
    return 0;
}

int db_updates_after(int64_t after, cJSON **rows) {
    cJSON *p = P("i", after);
    return EXEC("SELECT seq, name, data, created_at FROM ab_updates WHERE seq > ?1 ORDER BY seq",
                p, rows);
}

/* --- index ---------------------------------------------------------------------------- */

int db_index_put(const char *id, const char *type, const char *status, double created_at,
                 double updated_at) {
    cJSON *p = P("sssdd", id, type, status, created_at, updated_at);
    /* Deliveries may arrive out of order; an older entry never wins. */
    return EXEC("INSERT INTO ab_index (id, type, status, created_at, updated_at)"
                " VALUES (?1, ?2, ?3, ?4, ?5)"
                " ON CONFLICT (id) DO UPDATE SET type = excluded.type,"
                " status = excluded.status, updated_at = excluded.updated_at"
                " WHERE excluded.updated_at >= ab_index.updated_at", p, NULL);
}

int db_index_list(const char *type, const char *status, double cursor_at, const char *cursor_id,
                  int limit, cJSON **rows) {
    cJSON *p = P("ssdsi", type, status, cursor_at, cursor_id ? cursor_id : "", (int64_t)limit);
    return EXEC("SELECT id, type, status, created_at, updated_at FROM ab_index"
                " WHERE (?1 IS NULL OR type = ?1) AND (?2 IS NULL OR status = ?2)"
                " AND (?3 IS NULL OR updated_at < ?3 OR (updated_at = ?3 AND id < ?4))"
                " ORDER BY updated_at DESC, id DESC LIMIT ?5", p, rows);
}

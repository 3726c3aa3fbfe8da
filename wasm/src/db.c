/* db.c — see db.h. */
#include "db.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "json.h"
#include "sb.h"

/* --- rows ------------------------------------------------------------------
 * A query's rows arrive in the host's binary form (host.h host_sql_query):
 * a count of rows and of columns, then each value as a tag and its bytes.
 * They are checked once on arrival, so the cursors below read them without
 * further bounds checks. Text values end in a NUL inside the buffer. */

typedef struct rowset {
    int n, ncols;
    const unsigned char *at, *end; /* the next row's first value; the end */
} rowset;

enum { V_NULL = 0, V_NUM = 1, V_TEXT = 2 };

static uint32_t u32_at(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The value at p and its end (NULL if it runs past end or is malformed). */
static const unsigned char *value_end(const unsigned char *p, const unsigned char *end) {
    if (p >= end) return NULL;
    switch (*p) {
    case V_NULL: return p + 1;
    case V_NUM: return end - p >= 9 ? p + 9 : NULL;
    case V_TEXT: {
        if (end - p < 5) return NULL;
        uint32_t len = u32_at(p + 1);
        if ((size_t)(end - p - 5) < (size_t)len + 1 || p[5 + len] != '\0') return NULL;
        return p + 5 + len + 1;
    }
    default: return NULL;
    }
}

static int rows_check(const unsigned char *buf, size_t len, rowset *out) {
    if (len < 8) return -1;
    uint32_t n = u32_at(buf), ncols = u32_at(buf + 4);
    if (n > INT32_MAX || ncols > INT32_MAX) return -1;
    const unsigned char *p = buf + 8, *end = buf + len;
    for (uint64_t i = 0, total = (uint64_t)n * ncols; i < total; i++)
        if ((p = value_end(p, end)) == NULL) return -1;
    if (p != end) return -1;
    *out = (rowset){(int)n, (int)ncols, buf + 8, end};
    return 0;
}

/* Copies the host's pending answer out: n >= 0 bytes of rows (checked into
 * *out when out is not NULL), or -n - 1 bytes of an error message. */
static int take_answer(cx *X, int32_t n, rowset *out) {
    int32_t len = n >= 0 ? n : -n - 1;
    char *buf = cx_alloc(X, (size_t)len + 1);
    if (buf == NULL) {
        /* Still drain the host's pending result so the next call is clean. */
        char scratch[1];
        if (len == 0) host_take(scratch);
        return CX_NOMEM;
    }
    host_take(buf);
    buf[len] = '\0';
    if (n < 0) return cx_fail(X, CX_STORAGE, cx_keep_str(X, buf)); /* buf may be scratch */
    if (out != NULL && rows_check((const unsigned char *)buf, (size_t)len, out) != 0)
        return cx_fail(X, CX_STORAGE, "malformed rows from the host");
    return CX_OK;
}

/* Runs sql with params (a JSON array; NULL: none). *out (may be NULL)
 * receives its rows. */
static int db_exec(cx *X, const char *sql, const cJSON *params, rowset *out) {
    char *ptext = NULL;
    if (out) *out = (rowset){0, 0, NULL, NULL};
    if (params != NULL && (ptext = json_print(X, params)) == NULL) return cx_nomem(X);
    int32_t n = host_sql_query(sql, (int32_t)strlen(sql), ptext ? ptext : "[]",
                               ptext ? (int32_t)strlen(ptext) : 2);
    return take_answer(X, n, out);
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

/* Runs sql with a params array built by params(): NULL means its
 * construction ran out of memory. */
static int exec_p(cx *X, const char *sql, cJSON *p, rowset *out) {
    if (p == NULL) return cx_nomem(X);
    return db_exec(X, sql, p, out);
}

/* --- row access ------------------------------------------------------------
 * next_row hands out a col cursor on the next row and moves past it; the
 * cursor walks the row once, column by column, in the order of the SELECT.
 * Reading past the row's last column gives NULLs. */

typedef struct col {
    cx *X;
    const unsigned char *at;
    int left; /* columns not read yet */
    int nomem;
} col;

/* The end of a value that rows_check has passed. */
static const unsigned char *skip(const unsigned char *v) {
    return v[0] == V_NULL ? v + 1 : v[0] == V_NUM ? v + 9 : v + 5 + u32_at(v + 1) + 1;
}

static int next_row(cx *X, rowset *r, col *k) {
    if (r->n <= 0) return 0;
    *k = (col){X, r->at, r->ncols, 0};
    for (int i = 0; i < r->ncols; i++) r->at = skip(r->at);
    r->n--;
    return 1;
}

/* A cursor on the first row; with no rows, one that reads NULLs. */
static col first_row(cx *X, rowset *r) {
    col k = {X, NULL, 0, 0};
    next_row(X, r, &k);
    return k;
}

/* The next value: its tag, and where its bytes begin. */
static int col_next(col *k, const unsigned char **bytes) {
    if (k->left <= 0) return V_NULL;
    const unsigned char *v = k->at;
    k->at = skip(v);
    k->left--;
    *bytes = v + 1;
    return v[0];
}

/* The rows live in scratch (see SCRATCH below); strings handed out are
 * copied into the call's arena. A failed copy sets k->nomem. */
static char *col_str(col *k) {
    const unsigned char *b;
    if (col_next(k, &b) != V_TEXT) return NULL;
    char *s = cx_keep(k->X, b + 4, (size_t)u32_at(b) + 1);
    if (s == NULL) k->nomem = 1;
    return s;
}

/* A column compared, not kept (statuses, kinds). */
static const char *col_peek(col *k) {
    const unsigned char *b;
    return col_next(k, &b) == V_TEXT ? (const char *)b + 4 : NULL;
}

static double col_num(col *k) {
    const unsigned char *b;
    if (col_next(k, &b) != V_NUM) return DB_NULL_TIME;
    double d;
    memcpy(&d, b, sizeof d);
    return d;
}

static int64_t col_int(col *k) {
    double d = col_num(k);
    return d == DB_NULL_TIME ? 0 : (int64_t)d;
}

/* --- pages of rows, rendered by SQLite ------------------------------------
 * A page of step rows (up to 2,000) crosses as one text value: SQLite renders
 * the rows with json_group_array(json_array(...)) and page_rows turns that
 * text back into the binary rowset above, so the cursors below read it like
 * any other answer. Why: the host turns each value of a row into a
 * JavaScript value and back into bytes, about 2 µs for a row of 17 columns;
 * SQLite writes the same row as text in a fraction of that (measured in
 * docs/performance.md). The text is checked as it is read: anything that is
 * not an array of arrays of exactly ncols nulls, numbers and strings is a
 * storage error, as is a string escape SQLite would not write. */

/* The string whose opening quote is at p, as a V_TEXT value; the byte after
 * its closing quote, or NULL if it is malformed. */
static const char *page_string(sb *o, const char *p, const char *end) {
    size_t at = o->len;
    uint32_t len = 0;
    sb_append(o, "\2\0\0\0\0", 5); /* V_TEXT, length patched below */
    for (p++;;) {
        const char *run = p;
        while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
        sb_append(o, run, (size_t)(p - run));
        len += (uint32_t)(p - run);
        if (p >= end || (unsigned char)*p < 0x20) return NULL;
        if (*p == '"') break;
        /* an escape as json_parse reads it (no \u0000, no lone surrogate) */
        unsigned cp;
        size_t bad;
        json_esc_fault why;
        size_t n = json_escape(p, (size_t)(end - p), 0, &cp, &bad, &why);
        if (n == 0) return NULL;
        p += n;
        size_t before = o->len;
        json_put_utf8(o, cp);
        len += (uint32_t)(o->len - before);
    }
    sb_append(o, "", 1); /* the NUL the cursors hand out */
    if (!o->oom) memcpy(o->buf + at + 1, &len, sizeof len);
    return p + 1;
}

/* The number at p (its text ends at a ',' or ']'), as a V_NUM value. */
static const char *page_number(sb *o, const char *p, const char *end) {
    const char *q = p;
    int64_t v = 0;
    int digits = 0, neg = *q == '-';
    if (neg) q++;
    while (q < end && *q >= '0' && *q <= '9' && digits < 16) v = v * 10 + (*q++ - '0'), digits++;
    double d;
    if (digits > 0 && q < end && (*q == ',' || *q == ']')) {
        /* an integer of up to 16 digits is exact in v, and the conversion
         * rounds it to the nearest double as strtod would */
        d = neg ? -(double)v : (double)v;
    } else {
        /* A real (SQLite writes it through quote(), which reads back as the
         * same double: see STEP_JSON) or a long integer: strtod. The page is
         * NUL-terminated, so strtod cannot run past it. */
        char *stop;
        d = strtod(p, &stop);
        if (stop == p || stop > end || isinf(d)) return NULL;
        q = stop;
    }
    char b[9] = {V_NUM};
    memcpy(b + 1, &d, sizeof d);
    sb_append(o, b, sizeof b);
    return q;
}

/* page_rows_'s answer for text that is not a page (positive: never a cx_rc). */
#define PAGE_BAD 1

static int page_rows_(cx *X, const char *p, const char *end, int ncols, rowset *out) {
    sb o;
    sb_init(X, &o);
    sb_append(&o, "\0\0\0\0\0\0\0\0", 8); /* row and column counts, patched below */
    uint32_t n = 0;
    if (p >= end || *p++ != '[') return PAGE_BAD;
    if (p < end && *p == ']') p++; /* no rows */
    else for (;;) {
        if (p >= end || *p++ != '[') return PAGE_BAD;
        for (int i = 0; i < ncols; i++) {
            if (i > 0 && (p >= end || *p++ != ',')) return PAGE_BAD;
            if (p >= end) return PAGE_BAD;
            if (*p == '"') p = page_string(&o, p, end);
            else if (*p == 'n' && end - p >= 4 && memcmp(p, "null", 4) == 0) sb_append(&o, "", 1), p += 4;
            else if (*p == '-' || (*p >= '0' && *p <= '9')) p = page_number(&o, p, end);
            else return PAGE_BAD;
            if (p == NULL) return PAGE_BAD;
        }
        if (p >= end || *p++ != ']') return PAGE_BAD;
        n++;
        if (p >= end || (*p != ',' && *p != ']')) return PAGE_BAD;
        if (*p++ == ']') break;
    }
    if (p != end) return PAGE_BAD;
    if (o.oom) return cx_nomem(X);
    uint32_t c = (uint32_t)ncols;
    memcpy(o.buf, &n, 4);
    memcpy(o.buf + 4, &c, 4);
    return rows_check((const unsigned char *)o.buf, o.len, out) == 0 ? CX_OK : PAGE_BAD;
}

/* The rows of a page: q is the one-row, one-text-column answer of a query
 * through json_group_array(json_array(<ncols values>)). */
static int page_rows(cx *X, rowset *q, int ncols, rowset *out) {
    col k = first_row(X, q);
    const unsigned char *b;
    if (col_next(&k, &b) != V_TEXT) return cx_fail(X, CX_STORAGE, "malformed page of rows from the host");
    const char *text = (const char *)b + 4;
    int rc = page_rows_(X, text, text + u32_at(b), ncols, out);
    if (rc == PAGE_BAD) return cx_fail(X, CX_STORAGE, "malformed page of rows from the host");
    return rc;
}

/* A stored status names an enum value; anything else is corruption. */
#define COL_ENUM(X, k, parse, out)                                                    \
    ((parse)(col_peek(k), (out)) == 0 ? CX_OK                                         \
                                      : cx_fail((X), CX_STORAGE, "unknown state in a stored row"))

/* Every public function runs its statements in scratch: parameters, the
 * host's answer and the parsed rows die when it returns; what it hands out
 * was copied into the call's arena. */
#define SCRATCH(X, call)                  \
    do {                                  \
        cx_scratch_begin(X);              \
        int scratch_rc_ = (call);         \
        cx_scratch_end(X);                \
        return scratch_rc_;               \
    } while (0)

/* Runs sql expecting it may fail (a probe): the failure is not recorded. */
static int probe(cx *X, const char *sql, rowset *rows) {
    cx_rc rc0 = X->rc;
    const char *msg0 = X->msg;
    int rc = db_exec(X, sql, NULL, rows);
    if (rc == CX_STORAGE) {
        X->rc = rc0;
        X->msg = msg0;
    }
    return rc;
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

/* v3: the outbox (listing entries delivered until acknowledged) and the
 * instance's timer, so the alarm can be decided without the step history.
 * The UPDATE derives the timer of instances stored by v2 (re-runnable). */
static const migration_step migration_3[] = {
    {"SELECT timer_at FROM ab_instance LIMIT 0", "ALTER TABLE ab_instance ADD COLUMN timer_at INTEGER"},
    {NULL, "CREATE TABLE IF NOT EXISTS ab_outbox (shard TEXT PRIMARY KEY, entry TEXT NOT NULL)"},
    /* history pages read by ord, timeline pages by (started_at, ord): without
     * these every page of a 100,000-step history is a scan and a sort */
    {NULL, "CREATE INDEX IF NOT EXISTS ab_steps_ord ON ab_steps (ord)"},
    {NULL, "CREATE INDEX IF NOT EXISTS ab_steps_started ON ab_steps (started_at, ord) WHERE type = 'do'"},
    /* the result's own row: payload and result together could pass 2 MB */
    {NULL, "CREATE TABLE IF NOT EXISTS ab_result (id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL)"},
    {NULL,
    "UPDATE ab_instance SET timer_at = CASE status WHEN 'running' THEN updated_at"
    " WHEN 'sleeping' THEN (SELECT MIN(wake_at) FROM ab_steps WHERE wake_at IS NOT NULL"
    "   AND status IN ('sleeping', 'waiting', 'running'))"
    " WHEN 'waiting' THEN (SELECT MIN(wake_at) FROM ab_steps WHERE wake_at IS NOT NULL"
    "   AND status IN ('sleeping', 'waiting', 'running'))"
    " ELSE NULL END WHERE timer_at IS NULL"},
    {NULL, NULL}};

/* v4: I/O steps (fetch, call): the stored request, the attempt the host is
 * performing (its token), the outcome it reported, and the order in which
 * they ended; the timeline index covers them. */
static const migration_step migration_4[] = {
    {"SELECT request FROM ab_steps LIMIT 0", "ALTER TABLE ab_steps ADD COLUMN request TEXT"},
    {"SELECT io_token FROM ab_steps LIMIT 0", "ALTER TABLE ab_steps ADD COLUMN io_token TEXT"},
    {"SELECT outcome FROM ab_steps LIMIT 0", "ALTER TABLE ab_steps ADD COLUMN outcome TEXT"},
    {"SELECT done_seq FROM ab_steps LIMIT 0",
     "ALTER TABLE ab_steps ADD COLUMN done_seq INTEGER NOT NULL DEFAULT 0"},
    {NULL, "DROP INDEX IF EXISTS ab_steps_started"},
    {NULL, "CREATE INDEX IF NOT EXISTS ab_steps_timeline ON ab_steps (started_at, ord)"
           " WHERE type IN ('do', 'fetch', 'call')"},
    {NULL, NULL}};

/* The columns of ab_steps in the order every statement names them, and the
 * body of its CREATE TABLE as the current version defines it, closing
 * parenthesis included (the new database's schema and the rebuilds of v5
 * and v6 use it: a v4 database rebuilt by v5 is already what v6 makes). */
#define STEP_COLUMNS                                                                    \
    "name, ord, type, status, attempts, result, error, started_at, completed_at, duration," \
    " wake_at, history, result_bytes, request, io_token, outcome, done_seq"
#define STEPS_TABLE                                                                 \
    " name TEXT NOT NULL, ord INTEGER PRIMARY KEY, type TEXT NOT NULL," \
    " status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0," \
    " result TEXT, error TEXT, started_at INTEGER, completed_at INTEGER," \
    " duration INTEGER, wake_at INTEGER, history TEXT," \
    " result_bytes INTEGER NOT NULL DEFAULT 0, request TEXT, io_token TEXT, outcome TEXT," \
    " done_seq INTEGER NOT NULL DEFAULT 0);"

/* A page of step rows as one text value (see page_rows): STEP_COLUMNS, in
 * their order, rendered by json_array. A REAL goes through quote(), whose
 * text reads back as the same double (json_array writes 15 digits: 0.1 +
 * 0.2 would come back as 0.3); integers and text are exact as they are. */
#define EXACT(c) "CASE typeof(" c ") WHEN 'real' THEN json(quote(" c ")) ELSE " c " END"
#define STEP_JSON                                                                          \
    "json_group_array(json_array(name, ord, type, status, attempts, result, error, "       \
    EXACT("started_at") ", " EXACT("completed_at") ", " EXACT("duration") ", "             \
    EXACT("wake_at") ", history, result_bytes, request, io_token, outcome, done_seq))"
#define STEP_NCOLS 17
/* A page query: STEP_JSON over the rows that `rest` (WHERE, ORDER BY,
 * LIMIT) selects; json_group_array takes them in that order. */
#define STEP_PAGE(rest) "SELECT " STEP_JSON " FROM (SELECT " STEP_COLUMNS " FROM ab_steps " rest ")"

/* ab_steps rebuilt as STEPS_TABLE, through a table named tmp, every row
 * kept: one script, so a death rolls it back whole. */
#define STEPS_REBUILD(tmp)                                                          \
    "CREATE TABLE " tmp " (" STEPS_TABLE                                            \
    "INSERT INTO " tmp " (" STEP_COLUMNS ") SELECT " STEP_COLUMNS " FROM ab_steps;"  \
    "DROP TABLE ab_steps;"                                                          \
    "ALTER TABLE " tmp " RENAME TO ab_steps;"                                       \
    "CREATE INDEX IF NOT EXISTS ab_steps_timeline ON ab_steps (started_at, ord)"    \
    " WHERE type IN ('do', 'fetch', 'call')"

/* v5: a step's ord is the table's rowid. Every executed step inserts a row,
 * and every b-tree it touches costs: as the rowid, ord needs no index of its
 * own (ab_steps_ord goes), and history pages read by ord walk the table
 * itself. Applied while ab_steps_ord is there (the probe fails, through
 * json(), until it is gone). */
static const migration_step migration_5[] = {
    {"SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index'"
     " AND name = 'ab_steps_ord') THEN json('v4') END",
     STEPS_REBUILD("ab_steps_v5")},
    {NULL, NULL}};

/* v6: no index on a step's name. Every executed step paid for one (0.5-1.3 µs
 * of a row's 6-8 in workerd, bench:platform §2), and nothing reads by name:
 * a pass holds the whole history by name in memory (and refuses a history
 * with a name twice, eng.c), and every write is keyed by ord. Applied while
 * ab_steps has the UNIQUE constraint's automatic index. */
static const migration_step migration_6[] = {
    {"SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index'"
     " AND tbl_name = 'ab_steps' AND name LIKE 'sqlite_autoindex_ab_steps%') THEN json('v5') END",
     STEPS_REBUILD("ab_steps_v6")},
    {NULL, NULL}};

static const migration_step *const migrations[] = {NULL, migration_1, migration_2, migration_3,
                                                   migration_4, migration_5, migration_6};
_Static_assert(DB_SCHEMA_VERSION == 6, "schema_current below is version 6: update it with the migration");

/* A new database gets the current schema in one statement (a script): a
 * new object's first call would otherwise spend dozens of round trips on
 * migrations that only ever add to what this creates. It must equal what
 * the migrations above make of a v1 database (test_engine.c checks table by
 * table), columns added by ALTER at the end of their tables. The version row
 * comes last, so a script cut short leaves no version and runs again (every
 * statement is IF NOT EXISTS). */
static const char schema_current[] =
    "CREATE TABLE IF NOT EXISTS ab_meta (key TEXT PRIMARY KEY, value);"
    "CREATE TABLE IF NOT EXISTS ab_instance ("
    " id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL,"
    " payload TEXT NOT NULL, result TEXT, error TEXT, error_code TEXT,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    " result_bytes INTEGER NOT NULL DEFAULT 0, event_open INTEGER NOT NULL DEFAULT 0,"
    " died INTEGER NOT NULL DEFAULT 0, careful INTEGER NOT NULL DEFAULT 0,"
    " deaths INTEGER NOT NULL DEFAULT 0, timer_at INTEGER);"
    "CREATE TABLE IF NOT EXISTS ab_steps (" STEPS_TABLE
    "CREATE TABLE IF NOT EXISTS ab_events ("
    " name TEXT PRIMARY KEY, payload TEXT NOT NULL, received_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ab_updates ("
    " seq INTEGER PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, site TEXT);"
    "CREATE TABLE IF NOT EXISTS ab_fired (key TEXT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS ab_index ("
    " id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS ab_index_recent ON ab_index (updated_at DESC, id DESC);"
    "CREATE TABLE IF NOT EXISTS ab_outbox (shard TEXT PRIMARY KEY, entry TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ab_result (id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS ab_steps_timeline ON ab_steps (started_at, ord)"
    " WHERE type IN ('do', 'fetch', 'call');"
    "INSERT INTO ab_meta (key, value) VALUES ('schema_version', 6)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value";

static int migrate_(cx *X) {
    rowset rows;
    int version = 0;
    int rc = probe(X, "SELECT value FROM ab_meta WHERE key = 'schema_version'", &rows);
    if (rc == CX_OK) {
        col k = first_row(X, &rows);
        version = (int)col_int(&k);
        if (version < 0) version = 0;
    } else if (rc != CX_STORAGE) {
        return rc;
    } else {
        /* No ab_meta: a new database (v1 and later always had one). */
        return db_exec(X, schema_current, NULL, NULL);
    }
    if (version > DB_SCHEMA_VERSION)
        return cx_fail(X, CX_STORAGE, "database schema is newer than this engine");
    for (int v = version + 1; v <= DB_SCHEMA_VERSION; v++) {
        for (const migration_step *m = migrations[v]; m->stmt; m++) {
            if (m->probe && probe(X, m->probe, NULL) == CX_OK) continue; /* already applied */
            if ((rc = db_exec(X, m->stmt, NULL, NULL)) != CX_OK) return rc;
        }
        rc = exec_p(X, "INSERT INTO ab_meta (key, value) VALUES ('schema_version', ?1)"
                       " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params("i", (int64_t)v), NULL);
        if (rc != CX_OK) return rc;
    }
    return CX_OK;
}

int db_migrate(cx *X) { SCRATCH(X, migrate_(X)); }

/* --- instance ------------------------------------------------------------------ */

static int instance_load_(cx *X, db_instance **out) {
    rowset rows;
    *out = NULL;
    /* v2 kept the result in ab_instance.result; v3 in ab_result */
    int rc = db_exec(X, "SELECT id, type, status, payload,"
                        " COALESCE((SELECT value FROM ab_result WHERE id = 1), result), error,"
                        " error_code, created_at, updated_at, result_bytes, event_open, died,"
                        " careful, deaths, timer_at FROM ab_instance LIMIT 1", NULL, &rows);
    if (rc != CX_OK) return rc;
    col k;
    if (!next_row(X, &rows, &k)) return CX_OK;
    db_instance *in = cx_alloc_main(X, sizeof *in);
    if (in == NULL) return CX_NOMEM;
    in->id = col_str(&k);
    in->type = col_str(&k);
    if ((rc = COL_ENUM(X, &k, state_inst_parse, &in->status)) != CX_OK) return rc;
    in->payload = col_str(&k);
    in->result = col_str(&k);
    in->error = col_str(&k);
    in->error_code = col_str(&k);
    in->created_at = col_num(&k);
    in->updated_at = col_num(&k);
    in->result_bytes = col_int(&k);
    in->event_open = col_int(&k);
    in->died = (int)col_int(&k);
    in->careful = (int)col_int(&k);
    in->deaths = (int)col_int(&k);
    in->timer_at = col_num(&k);
    if (k.nomem) return CX_NOMEM;
    *out = in;
    return CX_OK;
}

int db_instance_load(cx *X, db_instance **out) { SCRATCH(X, instance_load_(X, out)); }

static int instance_insert_(cx *X, const db_instance *in) {
    return exec_p(X, "INSERT INTO ab_instance (id, type, status, payload, created_at, updated_at)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  params("ssssdd", in->id, in->type, state_inst_name(in->status), in->payload,
                         in->created_at, in->updated_at), NULL);
}

int db_instance_insert(cx *X, const db_instance *in) { SCRATCH(X, instance_insert_(X, in)); }

static int instance_save_(cx *X, const db_instance *in) {
    return exec_p(X, "UPDATE ab_instance SET status = ?1, error = ?3,"
                     " error_code = ?4, updated_at = ?6, result_bytes = ?7, event_open = ?8,"
                     " died = ?9, careful = ?10, deaths = ?11, timer_at = ?12 WHERE id = ?5",
                  params("sssssdiiiiid", state_inst_name(in->status), NULL, in->error,
                         in->error_code, in->id, in->updated_at, in->result_bytes,
                         in->event_open, (int64_t)in->died, (int64_t)in->careful,
                         (int64_t)in->deaths, in->timer_at), NULL);
}

int db_instance_save(cx *X, const db_instance *in) { SCRATCH(X, instance_save_(X, in)); }

static int result_put_(cx *X, const char *result) {
    return exec_p(X, "INSERT INTO ab_result (id, value) VALUES (1, ?1)"
                     " ON CONFLICT (id) DO UPDATE SET value = excluded.value",
                  params("s", result), NULL);
}

int db_result_put(cx *X, const char *result) { SCRATCH(X, result_put_(X, result)); }

/* --- steps ----------------------------------------------------------------------- */

/* Typed steps from the rows of a SELECT STEP_COLUMNS, written to dst (room
 * for every row). */
static int steps_into(cx *X, rowset *rows, db_step *dst) {
    int rc, i = 0;
    for (col k; next_row(X, rows, &k); i++) {
        db_step *s = &dst[i];
        s->name = col_str(&k);
        s->ord = (int)col_int(&k);
        if ((rc = COL_ENUM(X, &k, state_kind_parse, &s->kind)) != CX_OK) return rc;
        if ((rc = COL_ENUM(X, &k, state_step_parse, &s->status)) != CX_OK) return rc;
        s->attempts = (int)col_int(&k);
        s->result = col_str(&k);
        s->error = col_str(&k);
        s->started_at = col_num(&k);
        s->completed_at = col_num(&k);
        s->duration = col_num(&k);
        s->wake_at = col_num(&k);
        s->history = col_str(&k);
        s->result_bytes = col_int(&k);
        s->request = col_str(&k);
        s->io_token = col_str(&k);
        s->outcome = col_str(&k);
        s->done_seq = col_int(&k);
        if (k.nomem) return CX_NOMEM;
    }
    return CX_OK;
}

/* Runs a query of STEP_JSON over a subquery of STEP_COLUMNS: its rows. */
static int steps_query(cx *X, const char *sql, cJSON *p, rowset *rows) {
    rowset page;
    int rc = exec_p(X, sql, p, &page);
    if (rc != CX_OK) return rc;
    return page_rows(X, &page, STEP_NCOLS, rows);
}

/* Up to `limit` rows after ord `after`, in ord order. */
static int ord_page(cx *X, int after, int limit, rowset *rows) {
    return steps_query(X, STEP_PAGE("WHERE ord > ?1 ORDER BY ord LIMIT ?2"),
                       params("ii", (int64_t)after, (int64_t)limit), rows);
}

/* A page read by ord continues from its last row, so its rows must come in
 * ord order after `after` (json_group_array takes them in the subquery's
 * order; this makes any other order an error, not a silent gap). */
static int ords_ascend(cx *X, const db_step *s, int n, int after) {
    for (int i = 0; i < n; after = s[i++].ord)
        if (s[i].ord <= after) return cx_fail(X, CX_STORAGE, "step rows out of order");
    return CX_OK;
}

static int steps_from_rows(cx *X, rowset *rows, db_step **steps, int *count) {
    int n = rows->n;
    *steps = NULL;
    *count = 0;
    if (n == 0) return CX_OK;
    db_step *s = cx_alloc_main(X, sizeof *s * (size_t)n);
    if (s == NULL) return CX_NOMEM;
    int rc = steps_into(X, rows, s);
    if (rc != CX_OK) return rc;
    *steps = s;
    *count = n;
    return CX_OK;
}

/* The whole history, read in pages of LOAD_PAGE rows, each parsed in a
 * scratch region of its own: the transient cost of a load is one page's rows,
 * whatever the history's length, and a replay still costs two statements
 * (the count, then one per LOAD_PAGE steps), never one per step. */
#define LOAD_PAGE 2000

static int count_(cx *X, int *n) {
    rowset rows;
    int rc = db_exec(X, "SELECT count(*) FROM ab_steps", NULL, &rows);
    if (rc != CX_OK) return rc;
    col k = first_row(X, &rows);
    *n = (int)col_int(&k);
    return CX_OK;
}

static int page_into_(cx *X, int after, db_step *dst, int room, int *got) {
    rowset rows;
    int rc = ord_page(X, after, room < LOAD_PAGE ? room : LOAD_PAGE, &rows);
    if (rc != CX_OK) return rc;
    if (rows.n > room) return cx_fail(X, CX_STORAGE, "more step rows than asked for");
    *got = rows.n;
    if ((rc = steps_into(X, &rows, dst)) != CX_OK) return rc;
    return ords_ascend(X, dst, *got, after);
}

int db_steps_load(cx *X, db_step **steps, int *count) {
    int n = 0, rc;
    *steps = NULL;
    *count = 0;
    cx_scratch_begin(X);
    rc = count_(X, &n);
    cx_scratch_end(X);
    if (rc != CX_OK || n == 0) return rc;
    db_step *all = cx_alloc_main(X, sizeof *all * (size_t)n);
    if (all == NULL) return CX_NOMEM;
    int have = 0, got = 0, after = 0;
    do {
        cx_scratch_begin(X);
        rc = page_into_(X, after, all + have, n - have, &got);
        cx_scratch_end(X);
        if (rc != CX_OK) return rc;
        have += got;
        if (got) after = all[have - 1].ord;
    } while (got > 0 && have < n);
    *steps = all;
    *count = have;
    return CX_OK;
}

static int steps_page_(cx *X, int after_ord, int limit, db_step **steps, int *count) {
    rowset rows;
    int rc = ord_page(X, after_ord, limit, &rows);
    if (rc != CX_OK || (rc = steps_from_rows(X, &rows, steps, count)) != CX_OK) return rc;
    return ords_ascend(X, *steps, *count, after_ord);
}

int db_steps_page(cx *X, int after_ord, int limit, db_step **steps, int *count) {
    SCRATCH(X, steps_page_(X, after_ord, limit, steps, count));
}

static int timeline_page_(cx *X, double after_at, int after_ord, int limit, db_step **steps,
                          int *count) {
    rowset rows;
    int rc = steps_query(X, STEP_PAGE("WHERE type IN ('do', 'fetch', 'call') AND started_at IS NOT NULL"
                                      " AND (?1 IS NULL OR started_at > ?1 OR (started_at = ?1 AND ord > ?2))"
                                      " ORDER BY started_at, ord LIMIT ?3"),
                         params("dii", after_at, (int64_t)after_ord, (int64_t)limit), &rows);
    if (rc != CX_OK) return rc;
    return steps_from_rows(X, &rows, steps, count);
}

int db_timeline_page(cx *X, double after_at, int after_ord, int limit, db_step **steps,
                     int *count) {
    SCRATCH(X, timeline_page_(X, after_at, after_ord, limit, steps, count));
}


static int step_save_(cx *X, const db_step *s) {
    return exec_p(X, "INSERT INTO ab_steps (name, ord, type, status, attempts, result, error,"
                     " started_at, completed_at, duration, wake_at, history, result_bytes,"
                     " request, io_token, outcome, done_seq)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                     " ?16, ?17)"
                     " ON CONFLICT (ord) DO UPDATE SET " DB_ROWS_SAME_NAME " status = excluded.status,"
                     " attempts = excluded.attempts, result = excluded.result,"
                     " error = excluded.error, started_at = excluded.started_at,"
                     " completed_at = excluded.completed_at, duration = excluded.duration,"
                     " wake_at = excluded.wake_at, history = excluded.history,"
                     " result_bytes = excluded.result_bytes, request = excluded.request,"
                     " io_token = excluded.io_token, outcome = excluded.outcome,"
                     " done_seq = excluded.done_seq",
                  params("sississddddsisssi", s->name, (int64_t)s->ord, state_kind_name(s->kind),
                         state_step_name(s->status), (int64_t)s->attempts, s->result, s->error,
                         s->started_at, s->completed_at, s->duration, s->wake_at, s->history,
                         s->result_bytes, s->request, s->io_token, s->outcome, s->done_seq),
                  NULL);
}

/* The row nearly every executed step writes: a do step that completed
 * without a failed attempt before. One statement per such row cost about
 * 18 µs in workerd, most of it binding 17 parameters that are mostly NULL
 * and the JSON of them; queued, the values cross as values and a batch of
 * DB_ROWS_MAX rows costs about as much as one statement. */
static int plain_row(const db_step *s) {
    return s->kind == KIND_DO && s->status == STEP_COMPLETED && s->result != NULL &&
           s->error == NULL && s->history == NULL && s->wake_at == DB_NULL_TIME &&
           s->started_at != DB_NULL_TIME && s->completed_at != DB_NULL_TIME &&
           s->duration != DB_NULL_TIME && s->request == NULL && s->io_token == NULL &&
           s->outcome == NULL && s->done_seq == 0 && s->result_bytes <= INT32_MAX &&
           s->attempts >= 1;
}

int db_step_save(cx *X, const db_step *s) {
    if (!plain_row(s)) {
        SCRATCH(X, step_save_(X, s));
    }
    int32_t n = host_step_put(s->name, (int32_t)strlen(s->name), s->result,
                              (int32_t)strlen(s->result), s->ord, s->attempts, s->started_at,
                              s->completed_at, s->duration, (int32_t)s->result_bytes);
    return n == 0 ? CX_OK : take_answer(X, n, NULL);
}

static int steps_advance_(cx *X, double now) {
    return exec_p(X, "UPDATE ab_steps SET wake_at = ?1 WHERE wake_at IS NOT NULL AND wake_at > ?1"
                     " AND status IN ('sleeping', 'waiting', 'running')", params("d", now), NULL);
}

int db_steps_advance(cx *X, double now) { SCRATCH(X, steps_advance_(X, now)); }

/* --- events ----------------------------------------------------------------------- */

static int event_take_(cx *X, const char *name, char **payload) {
    rowset rows;
    *payload = NULL;
    int rc = exec_p(X, "DELETE FROM ab_events WHERE name = ?1 RETURNING payload",
                    params("s", name), &rows);
    if (rc != CX_OK) return rc;
    col k = first_row(X, &rows);
    *payload = col_str(&k);
    if (k.nomem) return CX_NOMEM;
    return CX_OK;
}

int db_event_take(cx *X, const char *name, char **payload) { SCRATCH(X, event_take_(X, name, payload)); }

static int event_put_(cx *X, const char *name, const char *payload, double now) {
    return exec_p(X, "INSERT INTO ab_events (name, payload, received_at) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (name) DO UPDATE SET payload = excluded.payload,"
                     " received_at = excluded.received_at", params("ssd", name, payload, now), NULL);
}

int db_event_put(cx *X, const char *name, const char *payload, double now) { SCRATCH(X, event_put_(X, name, payload, now)); }

int db_events_clear(cx *X) { SCRATCH(X, db_exec(X, "DELETE FROM ab_events", NULL, NULL)); }

/* --- updates ----------------------------------------------------------------------- */

static int fired_load_(cx *X, char ***keys, int *n) {
    rowset rows;
    *keys = NULL;
    *n = 0;
    int rc = db_exec(X, "SELECT key FROM ab_fired UNION ALL"
                        " SELECT site FROM ab_updates WHERE site IS NOT NULL", NULL, &rows);
    if (rc != CX_OK) return rc;
    int count = rows.n;
    char **a = cx_alloc_main(X, sizeof *a * (size_t)(count + 1));
    if (a == NULL) return CX_NOMEM;
    int i = 0;
    for (col k; next_row(X, &rows, &k);) {
        char *key = col_str(&k);
        if (k.nomem) return CX_NOMEM;
        if (key) a[i++] = key;
    }
    *keys = a;
    *n = i;
    return CX_OK;
}

int db_fired_load(cx *X, char ***keys, int *n) { SCRATCH(X, fired_load_(X, keys, n)); }

static int fired_add_(cx *X, const char *key) {
    return exec_p(X, "INSERT OR IGNORE INTO ab_fired (key) VALUES (?1)", params("s", key), NULL);
}

int db_fired_add(cx *X, const char *key) { SCRATCH(X, fired_add_(X, key)); }

static int update_add_(cx *X, const char *name, const char *data, double now, const char *site,
                  int64_t *seq) {
    rowset rows;
    int rc = exec_p(X, "INSERT INTO ab_updates (seq, name, data, created_at, site)"
                       " VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM ab_updates), ?1, ?2, ?3, ?4)"
                       " RETURNING seq", params("ssds", name, data, now, site), &rows);
    if (rc != CX_OK) return rc;
    col k = first_row(X, &rows);
    *seq = col_int(&k);
    return CX_OK;
}

int db_update_add(cx *X, const char *name, const char *data, double now, const char *site,
                  int64_t *seq) { SCRATCH(X, update_add_(X, name, data, now, site, seq)); }

static int updates_after_(cx *X, int64_t after, db_update **out, int *n) {
    rowset rows;
    *out = NULL;
    *n = 0;
    int rc = exec_p(X, "SELECT seq, name, data, created_at FROM ab_updates WHERE seq > ?1"
                       " ORDER BY seq", params("i", after), &rows);
    if (rc != CX_OK) return rc;
    int count = rows.n;
    db_update *u = cx_alloc_main(X, sizeof *u * (size_t)(count + 1));
    if (u == NULL) return CX_NOMEM;
    int i = 0;
    for (col k; next_row(X, &rows, &k); i++) {
        u[i].seq = col_int(&k);
        u[i].name = col_str(&k);
        u[i].data = col_str(&k);
        u[i].created_at = col_num(&k);
        if (k.nomem) return CX_NOMEM;
    }
    *out = u;
    *n = count;
    return CX_OK;
}

int db_updates_after(cx *X, int64_t after, db_update **out, int *n) { SCRATCH(X, updates_after_(X, after, out, n)); }

/* --- export ---------------------------------------------------------------------------- */

/* The tables of an instance with their columns, in the order an import must
 * insert them. */
static const struct {
    const char *table, *columns;
} export_tables[] = {
    {"ab_meta", "key, value"},
    {"ab_instance", "id, type, status, payload, result, error, error_code, created_at, updated_at,"
                    " result_bytes, event_open, died, careful, deaths, timer_at"},
    {"ab_result", "id, value"},
    {"ab_steps", STEP_COLUMNS},
    {"ab_events", "name, payload, received_at"},
    {"ab_updates", "seq, name, data, created_at, site"},
    {"ab_fired", "key"},
    {"ab_outbox", "shard, entry"},
};

/* The host's answer to sql as raw text (JSON rows), not parsed. */
static int raw_rows(cx *X, const char *sql, char **text, int32_t *len) {
    int32_t n = host_sql_exec(sql, (int32_t)strlen(sql), "[]", 2);
    int32_t l = n >= 0 ? n : -n - 1;
    char *buf = cx_alloc(X, (size_t)l + 1);
    if (buf == NULL) {
        char scratch[1];
        if (l == 0) host_take(scratch);
        return CX_NOMEM;
    }
    host_take(buf);
    buf[l] = '\0';
    if (n < 0) return cx_fail(X, CX_STORAGE, cx_keep_str(X, buf));
    *text = buf;
    *len = l;
    return CX_OK;
}

int db_export(cx *X, sb *out) {
    sb_puts(out, "{");
    for (size_t i = 0; i < sizeof export_tables / sizeof export_tables[0]; i++) {
        char *sql = sb_fmt(X, "SELECT %s FROM %s", export_tables[i].columns, export_tables[i].table);
        char *rows;
        int32_t len;
        if (sql == NULL) return CX_NOMEM;
        int rc = raw_rows(X, sql, &rows, &len);
        if (rc != CX_OK) return rc;
        sb_printf(out, "%s\"%s\":{\"columns\":[", i ? "," : "", export_tables[i].table);
        /* "a, b, c" -> "a","b","c" */
        const char *p = export_tables[i].columns;
        for (int k = 0; *p; k++) {
            while (*p == ' ' || *p == ',') p++;
            const char *e = p;
            while (*e && *e != ',') e++;
            sb_printf(out, "%s\"%.*s\"", k ? "," : "", (int)(e - p), p);
            p = e;
        }
        sb_puts(out, "],\"rows\":");
        sb_append(out, rows, (size_t)len);
        sb_puts(out, "}");
    }
    sb_puts(out, "}");
    return out->oom ? CX_NOMEM : CX_OK;
}

/* --- outbox ---------------------------------------------------------------------------- */

static int outbox_put_(cx *X, const char *shard, const char *entry) {
    return exec_p(X, "INSERT INTO ab_outbox (shard, entry) VALUES (?1, ?2)"
                     " ON CONFLICT (shard) DO UPDATE SET entry = excluded.entry",
                  params("ss", shard, entry), NULL);
}

int db_outbox_put(cx *X, const char *shard, const char *entry) { SCRATCH(X, outbox_put_(X, shard, entry)); }

static int outbox_load_(cx *X, db_outbox **out, int *n) {
    rowset rows;
    *out = NULL;
    *n = 0;
    int rc = db_exec(X, "SELECT shard, entry FROM ab_outbox ORDER BY shard", NULL, &rows);
    if (rc != CX_OK) return rc;
    int count = rows.n;
    db_outbox *o = cx_alloc_main(X, sizeof *o * (size_t)(count + 1));
    if (o == NULL) return CX_NOMEM;
    int i = 0;
    for (col k; next_row(X, &rows, &k); i++) {
        o[i].shard = col_str(&k);
        o[i].entry = col_str(&k);
        if (k.nomem) return CX_NOMEM;
    }
    *out = o;
    *n = count;
    return CX_OK;
}

int db_outbox_load(cx *X, db_outbox **rows, int *n) { SCRATCH(X, outbox_load_(X, rows, n)); }

static int outbox_ack_(cx *X, const char *shard, const char *entry) {
    return exec_p(X, "DELETE FROM ab_outbox WHERE shard = ?1 AND entry = ?2",
                  params("ss", shard, entry), NULL);
}

int db_outbox_ack(cx *X, const char *shard, const char *entry) { SCRATCH(X, outbox_ack_(X, shard, entry)); }

/* --- index ---------------------------------------------------------------------------- */

static int index_put_(cx *X, const db_entry *e) {
    /* Deliveries may arrive out of order; an older entry never wins. */
    return exec_p(X, "INSERT INTO ab_index (id, type, status, created_at, updated_at)"
                     " VALUES (?1, ?2, ?3, ?4, ?5)"
                     " ON CONFLICT (id) DO UPDATE SET type = excluded.type,"
                     " status = excluded.status, updated_at = excluded.updated_at"
                     " WHERE excluded.updated_at >= ab_index.updated_at",
                  params("sssdd", e->id, e->type, state_inst_name(e->status), e->created_at,
                         e->updated_at), NULL);
}

int db_index_put(cx *X, const db_entry *e) { SCRATCH(X, index_put_(X, e)); }

static int index_list_(cx *X, const char *type, const char *status, double cursor_at,
                  const char *cursor_id, int limit, db_entry **out, int *n) {
    rowset rows;
    *out = NULL;
    *n = 0;
    int rc = exec_p(X, "SELECT id, type, status, created_at, updated_at FROM ab_index"
                       " WHERE (?1 IS NULL OR type = ?1) AND (?2 IS NULL OR status = ?2)"
                       " AND (?3 IS NULL OR updated_at < ?3 OR (updated_at = ?3 AND id < ?4))"
                       " ORDER BY updated_at DESC, id DESC LIMIT ?5",
                    params("ssdsi", type, status, cursor_at, cursor_id ? cursor_id : "",
                           (int64_t)limit), &rows);
    if (rc != CX_OK) return rc;
    int count = rows.n;
    db_entry *e = cx_alloc_main(X, sizeof *e * (size_t)(count + 1));
    if (e == NULL) return CX_NOMEM;
    int i = 0;
    for (col k; next_row(X, &rows, &k); i++) {
        e[i].id = col_str(&k);
        e[i].type = col_str(&k);
        if ((rc = COL_ENUM(X, &k, state_inst_parse, &e[i].status)) != CX_OK) return rc;
        e[i].created_at = col_num(&k);
        e[i].updated_at = col_num(&k);
        if (k.nomem) return CX_NOMEM;
    }
    *out = e;
    *n = count;
    return CX_OK;
}

int db_index_list(cx *X, const char *type, const char *status, double cursor_at,
                  const char *cursor_id, int limit, db_entry **out, int *n) { SCRATCH(X, index_list_(X, type, status, cursor_at, cursor_id, limit, out, n)); }

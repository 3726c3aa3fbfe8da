/* host_native.c — the engine's host imports (wasm/src/host.h) over Debian's
 * sqlite3, for the native tests. See host_native.h.
 *
 * It behaves like shim/host.js: sql_exec binds a JSON array of parameters
 * and answers the rows as a JSON array of arrays (or the error message with a
 * negative length), sql_query answers them in the binary form of host.h,
 * take() hands that over, and the rest is recorded for
 * the tests to look at. The params are parsed and the rows written by the small
 * JSON reader/writer below, in malloc memory: cJSON belongs to the engine's
 * per-call arena while an export runs. Rows of host_step_put are queued and
 * written DB_ROWS_MAX at a time, before the next statement, and by
 * hn_rows_flush (the driver's end of a call, and after a trap). */
#include "host_native.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "host.h"

#define MAX_OBJECTS 64

typedef struct object {
    char *name;
    sqlite3 *db;
    double alarm;
    int alarm_calls;
    char **frames;
    int nframes, capframes;
    int closes, last_close;
    char **jobs;     /* every I/O job offered (host_io_start), in order */
    int njobs, capjobs;
    char **out;      /* tokens of the attempts being performed */
    int nout, capout;
    int cancels;     /* host_io_cancel calls */
    struct queued_row *rows; /* host_step_put rows not written yet */
    int nrows, caprows;
} object;

typedef struct queued_row {
    char *name, *result;
    size_t name_len, result_len;
    int32_t ord, attempts, result_bytes;
    double started_at, completed_at, duration;
} queued_row;

static object objects[MAX_OBJECTS];
static int nobjects;
static int cur = -1;

static double clock_ms = HN_EPOCH;
static uint64_t rng_state;

static char *pending;
static size_t pending_len;

static hn_index_put *puts_;
static int nputs, capputs;

static char *log_last;
static int nlogs;

static int corrupt_countdown = -1, corrupt_mode;
static int rewrite_countdown = -1;
static char *rewrite_from, *rewrite_to;

static jmp_buf *trap_env;
static int trap_countdown = -1;
static long sql_calls;

/* --- small helpers ------------------------------------------------------- */

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "host_native: out of memory\n");
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "host_native: out of memory\n");
        abort();
    }
    return q;
}

static char *xstrndup(const char *s, size_t n) {
    char *r = xmalloc(n + 1);
    if (n) memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

/* A growable malloc buffer. */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void buf_add(buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_puts(buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_json_string(buf *b, const unsigned char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"') buf_add(b, "\\\"", 2);
        else if (c == '\\') buf_add(b, "\\\\", 2);
        else if (c == '\n') buf_add(b, "\\n", 2);
        else if (c == '\r') buf_add(b, "\\r", 2);
        else if (c == '\t') buf_add(b, "\\t", 2);
        else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_add(b, e, 6);
        } else {
            buf_add(b, (const char *)&c, 1);
        }
    }
    buf_add(b, "\"", 1);
}

/* The shortest %g form that reads back as the same double. */
static void buf_double(buf *b, double d) {
    char tmp[40];
    if (!isfinite(d)) {
        buf_puts(b, "null"); /* what JSON.stringify does */
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d) break;
    }
    buf_puts(b, tmp);
}

static object *obj(void) {
    if (cur < 0) hn_use("default");
    return &objects[cur];
}

/* --- the world ---------------------------------------------------------------- */

static void object_free(object *o) {
    if (o->db) sqlite3_close(o->db);
    for (int i = 0; i < o->nframes; i++) free(o->frames[i]);
    free(o->frames);
    for (int i = 0; i < o->njobs; i++) free(o->jobs[i]);
    free(o->jobs);
    for (int i = 0; i < o->nout; i++) free(o->out[i]);
    free(o->out);
    for (int i = 0; i < o->nrows; i++) {
        free(o->rows[i].name);
        free(o->rows[i].result);
    }
    free(o->rows);
    free(o->name);
    memset(o, 0, sizeof *o);
}

void hn_reset(void) {
    for (int i = 0; i < nobjects; i++) object_free(&objects[i]);
    nobjects = 0;
    cur = -1;
    for (int i = 0; i < nputs; i++) {
        free(puts_[i].from);
        free(puts_[i].shard);
        free(puts_[i].entry);
    }
    free(puts_);
    puts_ = NULL;
    nputs = capputs = 0;
    free(pending);
    pending = NULL;
    pending_len = 0;
    free(log_last);
    log_last = NULL;
    nlogs = 0;
    clock_ms = HN_EPOCH;
    rng_state = 0x9e3779b97f4a7c15ull;
    trap_env = NULL;
    trap_countdown = -1;
    corrupt_countdown = -1;
    hn_rewrite_page(-1, NULL, NULL);
    sql_calls = 0;
    hn_use("default");
}

int hn_use(const char *name) {
    for (int i = 0; i < nobjects; i++)
        if (strcmp(objects[i].name, name) == 0) return cur = i;
    if (nobjects == MAX_OBJECTS) {
        fprintf(stderr, "host_native: too many objects\n");
        abort();
    }
    object *o = &objects[nobjects];
    memset(o, 0, sizeof *o);
    o->name = xstrndup(name, strlen(name));
    o->alarm = -1;
    if (sqlite3_open(":memory:", &o->db) != SQLITE_OK) {
        fprintf(stderr, "host_native: sqlite3_open: %s\n", sqlite3_errmsg(o->db));
        abort();
    }
    /* A Durable Object's SQLite refuses strings and rows over 2 MB; so does
     * this one, so the native tier sees the same "string or blob too big". */
    sqlite3_limit(o->db, SQLITE_LIMIT_LENGTH, 2000000);
    return cur = nobjects++;
}

const char *hn_current(void) { return obj()->name; }
sqlite3 *hn_db(void) { return obj()->db; }

long long hn_query_int(const char *sql) {
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(hn_db(), sql, -1, &st, NULL) != SQLITE_OK) return -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

double hn_now(void) { return clock_ms; }
void hn_set_now(double ms) { clock_ms = ms; }
void hn_advance(double ms) { clock_ms += ms; }

double hn_alarm(void) { return obj()->alarm; }
void hn_set_alarm(double at) { obj()->alarm = at < 0 ? -1 : at; }
int hn_alarm_calls(void) { return obj()->alarm_calls; }
int hn_frame_count(void) { return obj()->nframes; }
const char *hn_frame(int i) { return i >= 0 && i < obj()->nframes ? obj()->frames[i] : NULL; }
int hn_close_count(void) { return obj()->closes; }
int hn_last_close_code(void) { return obj()->last_close; }

int hn_index_put_count(void) { return nputs; }
const hn_index_put *hn_index_put_at(int i) { return i >= 0 && i < nputs ? &puts_[i] : NULL; }

int hn_log_count(void) { return nlogs; }
const char *hn_log_last(void) { return log_last; }

void hn_trap_at_sql(int k) { trap_countdown = k < 0 ? -1 : k; }
void hn_corrupt_rows(int k, int mode) {
    corrupt_countdown = k < 0 ? -1 : k;
    corrupt_mode = mode;
}
void hn_rewrite_page(int k, const char *from, const char *to) {
    free(rewrite_from);
    free(rewrite_to);
    rewrite_from = from ? xstrndup(from, strlen(from)) : NULL;
    rewrite_to = to ? xstrndup(to, strlen(to)) : NULL;
    rewrite_countdown = k < 0 || from == NULL ? -1 : k;
}

/* A page is an answer of one row and one text value that begins "[[" (a
 * json_group_array of json_array): its text with the first `from` made `to`,
 * the binary answer rebuilt around it. */
static void rewrite_page(buf *rows) {
    uint32_t n, ncols, len;
    if (rows->len < 13) return;
    memcpy(&n, rows->p, 4);
    memcpy(&ncols, rows->p + 4, 4);
    memcpy(&len, rows->p + 9, 4);
    if (n != 1 || ncols != 1 || rows->p[8] != 2 || len < 2 || memcmp(rows->p + 13, "[[", 2) != 0) return;
    if (rewrite_countdown < 0 || rewrite_countdown-- != 0) return;
    char *text = rows->p + 13, *at = strstr(text, rewrite_from);
    if (at == NULL) return;
    size_t nf = strlen(rewrite_from), nt = strlen(rewrite_to);
    buf out = {0};
    buf_add(&out, rows->p, 13);
    buf_add(&out, text, (size_t)(at - text));
    buf_add(&out, rewrite_to, nt);
    buf_add(&out, at + nf, len - (size_t)(at - text) - nf + 1); /* and the NUL */
    len = (uint32_t)(out.len - 13 - 1);
    memcpy(out.p + 9, &len, 4);
    free(rows->p);
    *rows = out;
}

void hn_trap_set_env(jmp_buf *env) { trap_env = env; }

long hn_sql_calls(void) { return sql_calls; }

void hn_shutdown(void) {
    hn_reset();
    for (int i = 0; i < nobjects; i++) object_free(&objects[i]);
    nobjects = 0;
    cur = -1;
}

hn_pending hn_pending_save(void) {
    hn_pending p = {obj()->alarm, obj()->alarm_calls, nputs, obj()->njobs};
    return p;
}

/* The token of a job's JSON text ("token":"<hex>"), malloc'd. */
static char *job_token(const char *job) {
    const char *t = strstr(job, "\"token\":\"");
    if (t == NULL) return NULL;
    t += 9;
    return xstrndup(t, strcspn(t, "\""));
}

void hn_io_forget(const char *token) {
    object *o = obj();
    for (int i = 0; i < o->nout; i++) {
        if (strcmp(o->out[i], token) != 0) continue;
        free(o->out[i]);
        o->out[i] = o->out[--o->nout];
        return;
    }
}

void hn_io_forget_all(void) {
    object *o = obj();
    for (int i = 0; i < o->nout; i++) free(o->out[i]);
    o->nout = 0;
}

int hn_io_job_count(void) { return obj()->njobs; }
const char *hn_io_job(int i) { return i >= 0 && i < obj()->njobs ? obj()->jobs[i] : NULL; }
int hn_io_out_count(void) { return obj()->nout; }
int hn_io_cancel_count(void) { return obj()->cancels; }

void hn_pending_discard(hn_pending p) {
    object *o = obj();
    while (o->njobs > p.io_jobs) {
        /* A job of a trapped call never leaves: its performer does not exist. */
        char *t = job_token(o->jobs[--o->njobs]);
        if (t) hn_io_forget(t);
        free(t);
        free(o->jobs[o->njobs]);
    }
    obj()->alarm = p.alarm;
    obj()->alarm_calls = p.alarm_calls;
    while (nputs > p.index_puts) {
        nputs--;
        free(puts_[nputs].from);
        free(puts_[nputs].shard);
        free(puts_[nputs].entry);
    }
}

/* --- the params reader --------------------------------------------------------- */

typedef enum { P_NULL, P_INT, P_REAL, P_TEXT } ptype;

typedef struct param {
    ptype type;
    long long i;
    double d;
    char *s;
    size_t len;
} param;

typedef struct reader {
    const char *p, *end;
} reader;

static void skip_ws(reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static void utf8(buf *b, unsigned cp) {
    char o[4];
    size_t n;
    if (cp < 0x80) o[0] = (char)cp, n = 1;
    else if (cp < 0x800) o[0] = (char)(0xc0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    else if (cp < 0x10000)
        o[0] = (char)(0xe0 | (cp >> 12)), o[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        o[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    else
        o[0] = (char)(0xf0 | (cp >> 18)), o[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    buf_add(b, o, n);
}

static const char *read_string(reader *r, param *out) {
    buf b = {0};
    r->p++; /* opening quote */
    while (r->p < r->end && *r->p != '"') {
        char c = *r->p++;
        if ((unsigned char)c < 0x20) goto bad;
        if (c != '\\') {
            buf_add(&b, &c, 1);
            continue;
        }
        if (r->p >= r->end) goto bad;
        c = *r->p++;
        switch (c) {
        case '"': buf_add(&b, "\"", 1); break;
        case '\\': buf_add(&b, "\\", 1); break;
        case '/': buf_add(&b, "/", 1); break;
        case 'b': buf_add(&b, "\b", 1); break;
        case 'f': buf_add(&b, "\f", 1); break;
        case 'n': buf_add(&b, "\n", 1); break;
        case 'r': buf_add(&b, "\r", 1); break;
        case 't': buf_add(&b, "\t", 1); break;
        case 'u': {
            unsigned cp, lo;
            if (r->end - r->p < 4 || hex4(r->p, &cp) != 0) goto bad;
            r->p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && r->end - r->p >= 6 && r->p[0] == '\\' &&
                r->p[1] == 'u' && hex4(r->p + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                r->p += 6;
            }
            utf8(&b, cp);
            break;
        }
        default: goto bad;
        }
    }
    if (r->p >= r->end) goto bad;
    r->p++; /* closing quote */
    out->type = P_TEXT;
    out->len = b.len;
    out->s = b.p ? b.p : xstrndup("", 0);
    return NULL;
bad:
    free(b.p);
    return "malformed string in params";
}

static const char *read_value(reader *r, param *out) {
    memset(out, 0, sizeof *out);
    skip_ws(r);
    if (r->p >= r->end) return "truncated params";
    size_t left = (size_t)(r->end - r->p);
    if (*r->p == '"') return read_string(r, out);
    if (left >= 4 && memcmp(r->p, "null", 4) == 0) return r->p += 4, out->type = P_NULL, NULL;
    if (left >= 4 && memcmp(r->p, "true", 4) == 0) return r->p += 4, out->type = P_INT, out->i = 1, NULL;
    if (left >= 5 && memcmp(r->p, "false", 5) == 0) return r->p += 5, out->type = P_INT, NULL;
    if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) {
        char tmp[64];
        size_t n = 0;
        while (r->p + n < r->end && n < sizeof tmp - 1 && strchr("+-0123456789.eE", r->p[n])) n++;
        memcpy(tmp, r->p, n);
        tmp[n] = '\0';
        char *e;
        double d = strtod(tmp, &e);
        if (e != tmp + n) return "malformed number in params";
        r->p += n;
        /* Integral numbers bind as INTEGER, others as REAL. */
        if (d == floor(d) && fabs(d) < 9.2e18) out->type = P_INT, out->i = (long long)d;
        else out->type = P_REAL, out->d = d;
        return NULL;
    }
    return "unsupported parameter type (only strings, numbers and null)";
}

static void params_free(param *ps, int n) {
    for (int i = 0; i < n; i++) free(ps[i].s);
    free(ps);
}

/* Parses a JSON array of scalars. */
static const char *params_parse(const char *text, size_t len, param **out, int *count) {
    reader r = {text, text + len};
    param *ps = NULL;
    int n = 0, cap = 0;
    const char *err = NULL;
    *out = NULL;
    *count = 0;
    skip_ws(&r);
    if (r.p >= r.end || *r.p != '[') return "params must be a JSON array";
    r.p++;
    skip_ws(&r);
    if (r.p < r.end && *r.p == ']') {
        r.p++;
    } else {
        for (;;) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                ps = xrealloc(ps, sizeof *ps * (size_t)cap);
            }
            if ((err = read_value(&r, &ps[n])) != NULL) break;
            n++;
            skip_ws(&r);
            if (r.p < r.end && *r.p == ',') {
                r.p++;
                continue;
            }
            if (r.p < r.end && *r.p == ']') {
                r.p++;
                break;
            }
            err = "malformed params array";
            break;
        }
    }
    skip_ws(&r);
    if (err == NULL && r.p != r.end) err = "trailing characters after params";
    if (err != NULL) {
        params_free(ps, n);
        return err;
    }
    *out = ps;
    *count = n;
    return NULL;
}

/* --- imports ------------------------------------------------------------------------- */

static int32_t answer(char *text, size_t len, int ok) {
    free(pending);
    pending = text;
    pending_len = len;
    return ok ? (int32_t)len : -(int32_t)len - 1;
}

static int32_t answer_error(const char *msg) {
    return answer(xstrndup(msg, strlen(msg)), strlen(msg), 0);
}

static void write_row(buf *b, sqlite3_stmt *st) {
    int ncol = sqlite3_column_count(st);
    buf_add(b, "[", 1);
    for (int c = 0; c < ncol; c++) {
        if (c) buf_add(b, ",", 1);
        switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER: {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "%lld", (long long)sqlite3_column_int64(st, c));
            buf_puts(b, tmp);
            break;
        }
        case SQLITE_FLOAT: buf_double(b, sqlite3_column_double(st, c)); break;
        case SQLITE_NULL: buf_puts(b, "null"); break;
        default: { /* TEXT (and BLOB, which the engine never stores) */
            const unsigned char *t = sqlite3_column_text(st, c);
            buf_json_string(b, t ? t : (const unsigned char *)"", (size_t)sqlite3_column_bytes(st, c));
            break;
        }
        }
    }
    buf_add(b, "]", 1);
}

/* Writes the current object's queued rows in one statement built from db.h,
 * as shim/host.js does. NULL, or the error (malloc memory, the caller's). */
static char *rows_flush(void) {
    object *o = obj();
    if (o->nrows == 0) return NULL;
    buf q = {0};
    buf_puts(&q, DB_ROWS_HEAD);
    for (int i = 0; i < o->nrows; i++) {
        if (i) buf_add(&q, ",", 1);
        buf_puts(&q, DB_ROWS_TUPLE);
    }
    buf_puts(&q, DB_ROWS_TAIL);
    sql_calls++;
    if (getenv("HN_SQL_LOG")) fprintf(stderr, "[sql %s] (%d queued step rows)\n", o->name, o->nrows);
    char *err = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(o->db, q.p, (int)q.len, &st, NULL) == SQLITE_OK) {
        int k = 1;
        for (int i = 0; i < o->nrows; i++) {
            const queued_row *r = &o->rows[i];
            sqlite3_bind_text(st, k++, r->name, (int)r->name_len, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, k++, r->ord);
            sqlite3_bind_int64(st, k++, r->attempts);
            sqlite3_bind_text(st, k++, r->result, (int)r->result_len, SQLITE_TRANSIENT);
            sqlite3_bind_double(st, k++, r->started_at);
            sqlite3_bind_double(st, k++, r->completed_at);
            sqlite3_bind_double(st, k++, r->duration);
            sqlite3_bind_int64(st, k++, r->result_bytes);
        }
        if (sqlite3_step(st) != SQLITE_DONE) err = xstrndup(sqlite3_errmsg(o->db), strlen(sqlite3_errmsg(o->db)));
    } else {
        err = xstrndup(sqlite3_errmsg(o->db), strlen(sqlite3_errmsg(o->db)));
    }
    sqlite3_finalize(st);
    free(q.p);
    for (int i = 0; i < o->nrows; i++) {
        free(o->rows[i].name);
        free(o->rows[i].result);
    }
    o->nrows = 0;
    return err;
}

void hn_rows_flush(void) {
    char *err = rows_flush();
    if (err != NULL) {
        fprintf(stderr, "host_native: storing queued step rows failed: %s\n", err);
        abort();
    }
}

int hn_rows_queued(void) { return obj()->nrows; }

static int32_t rows_failed(char *err) {
    static const char pre[] = "storing completed steps: ";
    size_t n = strlen(pre) + strlen(err);
    char *msg = xmalloc(n + 1);
    snprintf(msg, n + 1, "%s%s", pre, err);
    free(err);
    return answer(msg, n, 0);
}

int32_t host_step_put(const char *name, int32_t name_len, const char *result, int32_t result_len,
                      int32_t ord, int32_t attempts, double started_at, double completed_at,
                      double duration, int32_t result_bytes) {
    object *o = obj();
    if (o->nrows == o->caprows) {
        o->caprows = o->caprows ? o->caprows * 2 : DB_ROWS_MAX;
        o->rows = xrealloc(o->rows, sizeof *o->rows * (size_t)o->caprows);
    }
    o->rows[o->nrows++] = (queued_row){xstrndup(name, (size_t)name_len), xstrndup(result, (size_t)result_len),
                                       (size_t)name_len, (size_t)result_len, ord, attempts, result_bytes,
                                       started_at, completed_at, duration};
    if (o->nrows < DB_ROWS_MAX) return 0;
    char *err = rows_flush();
    return err ? rows_failed(err) : 0;
}

/* One value of a row in the binary form of host_sql_query (host.h). */
static void write_value_bin(buf *b, sqlite3_stmt *st, int c) {
    unsigned char tag;
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_NULL:
        tag = 0;
        buf_add(b, (const char *)&tag, 1);
        break;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, c);
        tag = 1;
        buf_add(b, (const char *)&tag, 1);
        buf_add(b, (const char *)&d, sizeof d);
        break;
    }
    default: { /* TEXT (and BLOB, which the engine never stores) */
        const unsigned char *t = sqlite3_column_text(st, c);
        uint32_t len = (uint32_t)sqlite3_column_bytes(st, c);
        tag = 2;
        buf_add(b, (const char *)&tag, 1);
        buf_add(b, (const char *)&len, sizeof len);
        buf_add(b, t ? (const char *)t : "", len);
        buf_add(b, "", 1);
        break;
    }
    }
}

static int32_t run_sql(const char *sql, int32_t sql_len, const char *params, int32_t params_len,
                       int binary);

int32_t host_sql_exec(const char *sql, int32_t sql_len, const char *params, int32_t params_len) {
    return run_sql(sql, sql_len, params, params_len, 0);
}

int32_t host_sql_query(const char *sql, int32_t sql_len, const char *params, int32_t params_len) {
    return run_sql(sql, sql_len, params, params_len, 1);
}

/* Both: the rows as JSON (host_sql_exec) or binary (host_sql_query). */
static int32_t run_sql(const char *sql, int32_t sql_len, const char *params, int32_t params_len,
                       int binary) {
    if (trap_env != NULL && trap_countdown == 0) {
        jmp_buf *env = trap_env;
        trap_countdown = -1;
        trap_env = NULL;
        sql_calls++;
        longjmp(*env, 1);
    }
    if (trap_env != NULL && trap_countdown > 0) trap_countdown--;
    char *failed = rows_flush(); /* queued rows come first, in order */
    if (failed != NULL) return rows_failed(failed);
    sql_calls++;
    if (getenv("HN_SQL_LOG")) fprintf(stderr, "[sql %s] %.*s\n", obj()->name, (int)sql_len, sql);

    param *ps;
    int np;
    const char *perr = params_parse(params, (size_t)params_len, &ps, &np);
    if (perr != NULL) return answer_error(perr);

    sqlite3 *db = obj()->db;
    buf rows = {0};
    if (binary) buf_add(&rows, "\0\0\0\0\0\0\0\0", 8); /* the counts, set at the end */
    else buf_add(&rows, "[", 1);
    int nrows = 0;
    uint32_t ncols = 0;
    const char *p = sql, *end = sql + sql_len;
    char *errmsg = NULL;
    int bound = 0;
    while (p < end && errmsg == NULL) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db, p, (int)(end - p), &st, &tail) != SQLITE_OK) {
            errmsg = xstrndup(sqlite3_errmsg(db), strlen(sqlite3_errmsg(db)));
            break;
        }
        p = tail;
        if (st == NULL) continue; /* whitespace or a comment */
        int want = sqlite3_bind_parameter_count(st);
        if (want > 0) {
            if (bound || want != np) {
                char tmp[160];
                snprintf(tmp, sizeof tmp, "Wrong number of parameter bindings for SQL query "
                                          "(expected %d, got %d)", want, bound ? 0 : np);
                errmsg = xstrndup(tmp, strlen(tmp));
                sqlite3_finalize(st);
                break;
            }
            bound = 1;
            for (int i = 0; i < np; i++) {
                int rc;
                switch (ps[i].type) {
                case P_NULL: rc = sqlite3_bind_null(st, i + 1); break;
                case P_INT: rc = sqlite3_bind_int64(st, i + 1, ps[i].i); break;
                case P_REAL: rc = sqlite3_bind_double(st, i + 1, ps[i].d); break;
                default: rc = sqlite3_bind_text(st, i + 1, ps[i].s, (int)ps[i].len, SQLITE_TRANSIENT); break;
                }
                if (rc != SQLITE_OK) {
                    errmsg = xstrndup(sqlite3_errmsg(db), strlen(sqlite3_errmsg(db)));
                    break;
                }
            }
        } else if (np > 0 && !bound && p >= end) {
            errmsg = xstrndup("Wrong number of parameter bindings for SQL query (expected 0)", 61);
        }
        int rc = SQLITE_DONE;
        while (errmsg == NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (binary) {
                ncols = (uint32_t)sqlite3_column_count(st);
                nrows++;
                for (int c = 0; c < (int)ncols; c++) write_value_bin(&rows, st, c);
                continue;
            }
            if (nrows++) buf_add(&rows, ",", 1);
            write_row(&rows, st);
        }
        if (errmsg == NULL && rc != SQLITE_DONE)
            errmsg = xstrndup(sqlite3_errmsg(db), strlen(sqlite3_errmsg(db)));
        sqlite3_finalize(st);
    }
    params_free(ps, np);
    if (errmsg != NULL) {
        free(rows.p);
        return answer(errmsg, strlen(errmsg), 0);
    }
    if (binary) {
        uint32_t n = (uint32_t)nrows;
        memcpy(rows.p, &n, 4);
        memcpy(rows.p + 4, &ncols, 4);
        if (corrupt_countdown >= 0 && corrupt_countdown-- == 0) {
            if (corrupt_mode == HN_CUT_SHORT && rows.len > 8) rows.len--;
            else if (corrupt_mode == HN_BAD_TAG && rows.len > 8) rows.p[8] = 7;
            else if (corrupt_mode == HN_MORE_ROWS) n++, memcpy(rows.p, &n, 4);
        }
        rewrite_page(&rows);
    } else {
        buf_add(&rows, "]", 1);
    }
    return answer(rows.p, rows.len, 1);
}

void host_take(char *dst) {
    if (pending != NULL && pending_len) memcpy(dst, pending, pending_len);
    free(pending);
    pending = NULL;
    pending_len = 0;
}

double host_now(void) { return clock_ms; }

void host_random(uint8_t *dst, int32_t len) {
    /* xorshift64*: deterministic, so generated ids repeat run to run. */
    for (int32_t i = 0; i < len; i++) {
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        dst[i] = (uint8_t)((rng_state * 0x2545f4914f6cdd1dull) >> 56);
    }
}

void host_log(int32_t level, const char *msg, int32_t len) {
    free(log_last);
    log_last = xstrndup(msg, (size_t)len);
    nlogs++;
    if (getenv("HN_VERBOSE")) fprintf(stderr, "[ablauf %d] %s\n", (int)level, log_last);
}

void host_set_alarm(double at) {
    object *o = obj();
    o->alarm = at < 0 ? -1 : at;
    o->alarm_calls++;
}

void host_ws_send_all(const char *msg, int32_t len) {
    object *o = obj();
    if (o->nframes == o->capframes) {
        o->capframes = o->capframes ? o->capframes * 2 : 16;
        o->frames = xrealloc(o->frames, sizeof *o->frames * (size_t)o->capframes);
    }
    o->frames[o->nframes++] = xstrndup(msg, (size_t)len);
}

void host_ws_close_all(int32_t code, const char *reason, int32_t len) {
    object *o = obj();
    (void)reason;
    (void)len;
    o->closes++;
    o->last_close = code;
}

void host_index_put(const char *shard, int32_t shard_len, const char *entry, int32_t entry_len) {
    if (nputs == capputs) {
        capputs = capputs ? capputs * 2 : 16;
        puts_ = xrealloc(puts_, sizeof *puts_ * (size_t)capputs);
    }
    hn_index_put *p = &puts_[nputs++];
    p->from = xstrndup(obj()->name, strlen(obj()->name));
    p->shard = xstrndup(shard, (size_t)shard_len);
    p->entry = xstrndup(entry, (size_t)entry_len);
}

void host_io_start(const char *job, int32_t len) {
    object *o = obj();
    if (o->njobs == o->capjobs) {
        o->capjobs = o->capjobs ? o->capjobs * 2 : 16;
        o->jobs = xrealloc(o->jobs, sizeof *o->jobs * (size_t)o->capjobs);
    }
    char *j = xstrndup(job, (size_t)len);
    o->jobs[o->njobs++] = j;
    char *t = job_token(j);
    if (t == NULL) return;
    if (o->nout == o->capout) {
        o->capout = o->capout ? o->capout * 2 : 16;
        o->out = xrealloc(o->out, sizeof *o->out * (size_t)o->capout);
    }
    o->out[o->nout++] = t;
}

int32_t host_io_inflight(const char *token, int32_t len) {
    object *o = obj();
    for (int i = 0; i < o->nout; i++)
        if (strlen(o->out[i]) == (size_t)len && memcmp(o->out[i], token, (size_t)len) == 0) return 1;
    return 0;
}

void host_io_cancel(const char *token, int32_t len) {
    char *t = xstrndup(token, (size_t)len);
    obj()->cancels++;
    hn_io_forget(t);
    free(t);
}

/* The body the engine last said was running (host_body), as the shim keeps it
 * for ab_recover after a trap. */
static char body_step[256];
static int body_len = -1, body_attempt;

void host_body(const char *step, int32_t len, int32_t attempt) {
    body_len = len < 0 || (size_t)len >= sizeof body_step ? -1 : len;
    if (body_len >= 0) memcpy(body_step, step, (size_t)len);
    body_attempt = attempt;
}

int hn_body(const char **step, int *attempt) {
    *step = body_step;
    *attempt = body_attempt;
    return body_len;
}

void hn_trap_now(void) {
    if (trap_env == NULL) abort(); /* a trap outside any export: a test bug */
    longjmp(*trap_env, 1);
}

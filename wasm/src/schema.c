/* schema.c -- JSON Schema (subset) validation of cJSON values.
 *
 * The validator walks schema and value together. The path of the current
 * node is a chain of steps on the C stack and becomes a cJSON array only
 * when an issue is reported, so valid input costs no allocation at all.
 *
 * anyOf branches are tried in "probe" mode (no issues array): issues are only
 * counted, nothing is allocated, and the walk stops at the first one.
 *
 * All memory comes from cJSON's allocator (the engine installs an arena with
 * cJSON_InitHooks); nothing here calls malloc or free directly.
 */
#include "schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb.h"
#include "smap.h"

/* The engine rejects values deeper than 64 levels before calling us; this
 * bound only keeps a hostile or buggy caller from exhausting the stack. */
#define SCHEMA_MAX_DEPTH 128

/* One step from the root of the value: a property name or an array index. */
typedef struct schema_step {
    const struct schema_step *up;
    const char *key; /* NULL: this step is the array index below */
    int index;
} schema_step;

typedef struct schema_ctx {
    cJSON *issues; /* NULL while probing an anyOf branch */
    int count;     /* issues found so far */
} schema_ctx;

/* JSON Schema type names, in the order they are listed in messages. */
enum {
    SCHEMA_T_STRING = 1 << 0,
    SCHEMA_T_NUMBER = 1 << 1,
    SCHEMA_T_INTEGER = 1 << 2,
    SCHEMA_T_BOOLEAN = 1 << 3,
    SCHEMA_T_OBJECT = 1 << 4,
    SCHEMA_T_ARRAY = 1 << 5,
    SCHEMA_T_NULL = 1 << 6
};

static const char *const schema_type_names[] = {
    "string", "number", "integer", "boolean", "object", "array", "null"
};
#define SCHEMA_NTYPES (int)(sizeof(schema_type_names) / sizeof(schema_type_names[0]))

/* In probe mode one issue settles the answer; skip the rest of the walk. */
static int probe_done(const schema_ctx *c)
{
    return c->issues == NULL && c->count > 0;
}

/* Builds the path array of `at`, root first. Returns NULL on allocation
 * failure (nothing leaks). */
static cJSON *path_build(const schema_step *at)
{
    const schema_step *steps[SCHEMA_MAX_DEPTH + 1];
    const schema_step *s;
    cJSON *path;
    int n = 0;

    /* The walk descends at most SCHEMA_MAX_DEPTH times, so n stays in range. */
    for (s = at; s != NULL && n < SCHEMA_MAX_DEPTH + 1; s = s->up) {
        steps[n++] = s;
    }

    path = cJSON_CreateArray();
    if (path == NULL) {
        return NULL;
    }
    while (n-- > 0) {
        cJSON *item = steps[n]->key != NULL ? cJSON_CreateString(steps[n]->key)
                                            : cJSON_CreateNumber(steps[n]->index);
        if (item == NULL || !cJSON_AddItemToArray(path, item)) {
            cJSON_Delete(item);
            cJSON_Delete(path);
            return NULL;
        }
    }
    return path;
}

/* Records one issue whose message is the concatenation a b d (b and d may be
 * NULL). Returns 0, or -1 when an allocation failed. */
static int report(schema_ctx *c, const schema_step *at, const char *a, const char *b, const char *d)
{
    size_t la, lb, ld;
    char *msg;
    cJSON *issue, *path, *text;

    c->count++;
    if (c->issues == NULL) {
        return 0;
    }

    la = strlen(a);
    lb = b != NULL ? strlen(b) : 0;
    ld = d != NULL ? strlen(d) : 0;
    msg = cJSON_malloc(la + lb + ld + 1);
    if (msg == NULL) {
        return -1;
    }
    memcpy(msg, a, la);
    if (lb > 0) memcpy(msg + la, b, lb);
    if (ld > 0) memcpy(msg + la + lb, d, ld);
    msg[la + lb + ld] = '\0';
    text = cJSON_CreateString(msg);
    cJSON_free(msg);

    issue = cJSON_CreateObject();
    path = path_build(at);
    if (text == NULL || issue == NULL || path == NULL) {
        cJSON_Delete(text);
        cJSON_Delete(issue);
        cJSON_Delete(path);
        return -1;
    }
    /* Once attached, an item is freed with its parent; until then, by us. */
    if (!cJSON_AddItemToObject(issue, "path", path)) {
        cJSON_Delete(path);
        cJSON_Delete(text);
        cJSON_Delete(issue);
        return -1;
    }
    if (!cJSON_AddItemToObject(issue, "message", text)) {
        cJSON_Delete(text);
        cJSON_Delete(issue);
        return -1;
    }
    if (!cJSON_AddItemToArray(c->issues, issue)) {
        cJSON_Delete(issue);
        return -1;
    }
    return 0;
}

static int report_bad_keyword(schema_ctx *c, const schema_step *at, const char *keyword)
{
    return report(c, at, "invalid schema keyword '", keyword, "'");
}

/* Shortest of %.15g / %.17g that reads back as d, as cJSON prints numbers. */
static void format_number(double d, char buf[32])
{
    snprintf(buf, 32, "%.15g", d);
    if (strtod(buf, NULL) != d) {
        snprintf(buf, 32, "%.17g", d);
    }
}

static int report_number(schema_ctx *c, const schema_step *at, const char *a, double n, const char *d)
{
    char buf[32];

    format_number(n, buf);
    return report(c, at, a, buf, d);
}

static int is_integer(const cJSON *v)
{
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) && floor(v->valuedouble) == v->valuedouble;
}

/* minLength and friends: a number with a non-negative integral value. */
static int is_count(const cJSON *k)
{
    return is_integer(k) && k->valuedouble >= 0;
}

/* Counts code points, not bytes: every byte that does not continue a UTF-8
 * sequence starts one. Malformed UTF-8 still gives a bounded answer. */
static size_t utf8_length(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

static int type_bit(const char *name)
{
    int i;

    for (i = 0; i < SCHEMA_NTYPES; i++) {
        if (strcmp(name, schema_type_names[i]) == 0) {
            return 1 << i;
        }
    }
    return 0;
}

static int type_matches(int mask, const cJSON *v)
{
    return ((mask & SCHEMA_T_STRING) && cJSON_IsString(v)) ||
           ((mask & SCHEMA_T_NUMBER) && cJSON_IsNumber(v)) ||
           ((mask & SCHEMA_T_INTEGER) && is_integer(v)) ||
           ((mask & SCHEMA_T_BOOLEAN) && cJSON_IsBool(v)) ||
           ((mask & SCHEMA_T_OBJECT) && cJSON_IsObject(v)) ||
           ((mask & SCHEMA_T_ARRAY) && cJSON_IsArray(v)) ||
           ((mask & SCHEMA_T_NULL) && cJSON_IsNull(v));
}

/* Checks "type". Returns 0 when it holds, 1 when an issue was reported
 * (the caller then skips the node's other keywords), -1 on failure. */
static int check_type(schema_ctx *c, const cJSON *type, const cJSON *v, const schema_step *at)
{
    /* "must be " + up to 7 names joined by ", " and " or ". */
    char msg[96] = "must be ";
    const cJSON *t;
    int mask = 0, i, left;

    if (cJSON_IsString(type) && type->valuestring != NULL) {
        mask = type_bit(type->valuestring);
    } else if (cJSON_IsArray(type)) {
        cJSON_ArrayForEach(t, type) {
            int bit = cJSON_IsString(t) && t->valuestring != NULL ? type_bit(t->valuestring) : 0;
            if (bit == 0) {
                mask = 0;
                break;
            }
            mask |= bit;
        }
    }
    if (mask == 0) {
        return report_bad_keyword(c, at, "type") != 0 ? -1 : 1;
    }
    if (type_matches(mask, v)) {
        return 0;
    }

    for (left = 0, i = 0; i < SCHEMA_NTYPES; i++) {
        left += (mask >> i) & 1;
    }
    for (i = 0; i < SCHEMA_NTYPES; i++) {
        if (mask & (1 << i)) {
            strcat(msg, schema_type_names[i]);
            left--;
            if (left > 1) strcat(msg, ", ");
            else if (left == 1) strcat(msg, " or ");
        }
    }
    return report(c, at, msg, NULL, NULL) != 0 ? -1 : 1;
}

static int validate(schema_ctx *c, const cJSON *schema, const cJSON *value,
                    const schema_step *at, int depth);

static int check_object(schema_ctx *c, const cJSON *schema, const cJSON *value,
                        const schema_step *at, int depth)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
    const cJSON *m;

    if (props != NULL && !cJSON_IsObject(props)) {
        return report_bad_keyword(c, at, "properties");
    }
    if (extra != NULL && !cJSON_IsBool(extra) && !cJSON_IsObject(extra)) {
        return report_bad_keyword(c, at, "additionalProperties");
    }

    if (required != NULL) {
        if (!cJSON_IsArray(required)) {
            return report_bad_keyword(c, at, "required");
        }
        cJSON_ArrayForEach(m, required) {
            if (!cJSON_IsString(m) || m->valuestring == NULL) {
                return report_bad_keyword(c, at, "required");
            }
            if (cJSON_GetObjectItemCaseSensitive(value, m->valuestring) == NULL &&
                report(c, at, "must have required property '", m->valuestring, "'") != 0) {
                return -1;
            }
            if (probe_done(c)) return 0;
        }
    }

    /* Walk the value's members (not the schema's) so that every member,
     * duplicates included, meets properties or additionalProperties. */
    cJSON_ArrayForEach(m, value) {
        const char *key = m->string != NULL ? m->string : "";
        const cJSON *sub = props != NULL ? cJSON_GetObjectItemCaseSensitive(props, key) : NULL;
        schema_step step;

        if (sub == NULL) {
            if (extra == NULL || cJSON_IsTrue(extra)) {
                continue;
            }
            if (cJSON_IsFalse(extra)) {
                if (report(c, at, "must not have additional property '", key, "'") != 0) {
                    return -1;
                }
                if (probe_done(c)) return 0;
                continue;
            }
            sub = extra;
        }
        step.up = at;
        step.key = key;
        step.index = 0;
        if (validate(c, sub, m, &step, depth + 1) != 0) {
            return -1;
        }
        if (probe_done(c)) return 0;
    }
    return 0;
}

static int check_array(schema_ctx *c, const cJSON *schema, const cJSON *value,
                       const schema_step *at, int depth)
{
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(schema, "minItems");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(schema, "maxItems");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
    double n = cJSON_GetArraySize(value);
    const cJSON *e;
    int i = 0;

    if (min != NULL) {
        if (!is_count(min)) return report_bad_keyword(c, at, "minItems");
        if (n < min->valuedouble &&
            report_number(c, at, "must NOT have fewer than ", min->valuedouble, " items") != 0) {
            return -1;
        }
    }
    if (max != NULL) {
        if (!is_count(max)) return report_bad_keyword(c, at, "maxItems");
        if (n > max->valuedouble &&
            report_number(c, at, "must NOT have more than ", max->valuedouble, " items") != 0) {
            return -1;
        }
    }
    if (items == NULL || probe_done(c)) {
        return 0;
    }
    /* Only the single-schema form; draft-07 tuples (an array) are not in the subset. */
    if (!cJSON_IsBool(items) && !cJSON_IsObject(items)) {
        return report_bad_keyword(c, at, "items");
    }
    cJSON_ArrayForEach(e, value) {
        schema_step step;

        step.up = at;
        step.key = NULL;
        step.index = i++;
        if (validate(c, items, e, &step, depth + 1) != 0) {
            return -1;
        }
        if (probe_done(c)) return 0;
    }
    return 0;
}

static int check_string(schema_ctx *c, const cJSON *schema, const cJSON *value, const schema_step *at)
{
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(schema, "minLength");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(schema, "maxLength");
    size_t len;
    double n;

    if (min == NULL && max == NULL) {
        return 0;
    }
    len = utf8_length(value->valuestring != NULL ? value->valuestring : "");
    n = (double)len;
    if (min != NULL) {
        if (!is_count(min)) return report_bad_keyword(c, at, "minLength");
        if (n < min->valuedouble &&
            report_number(c, at, "must NOT have fewer than ", min->valuedouble, " characters") != 0) {
            return -1;
        }
    }
    if (max != NULL) {
        if (!is_count(max)) return report_bad_keyword(c, at, "maxLength");
        if (n > max->valuedouble &&
            report_number(c, at, "must NOT have more than ", max->valuedouble, " characters") != 0) {
            return -1;
        }
    }
    return 0;
}

static int check_number(schema_ctx *c, const cJSON *schema, const cJSON *value, const schema_step *at)
{
    static const struct {
        const char *keyword;
        const char *message;
        int fails_below; /* 1: issue when value < bound (or <=), 0: when above */
        int exclusive;
    } bounds[] = {
        {"minimum", "must be >= ", 1, 0},
        {"maximum", "must be <= ", 0, 0},
        {"exclusiveMinimum", "must be > ", 1, 1},
        {"exclusiveMaximum", "must be < ", 0, 1},
    };
    double v = value->valuedouble;
    size_t i;

    for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(schema, bounds[i].keyword);
        double b;
        int bad;

        if (k == NULL) {
            continue;
        }
        /* draft-04's boolean exclusiveMinimum lands here too: not a number. */
        if (!cJSON_IsNumber(k)) {
            if (report_bad_keyword(c, at, bounds[i].keyword) != 0) return -1;
            continue;
        }
        b = k->valuedouble;
        if (bounds[i].fails_below) {
            bad = bounds[i].exclusive ? !(v > b) : !(v >= b);
        } else {
            bad = bounds[i].exclusive ? !(v < b) : !(v <= b);
        }
        if (bad && report_number(c, at, bounds[i].message, b, NULL) != 0) {
            return -1;
        }
    }
    return 0;
}

static int check_any_of(schema_ctx *c, const cJSON *any, const cJSON *value,
                        const schema_step *at, int depth)
{
    const cJSON *branch;

    if (!cJSON_IsArray(any) || any->child == NULL) {
        return report_bad_keyword(c, at, "anyOf");
    }
    cJSON_ArrayForEach(branch, any) {
        schema_ctx probe = {NULL, 0};

        if (validate(&probe, branch, value, at, depth + 1) != 0) {
            return -1;
        }
        if (probe.count == 0) {
            return 0;
        }
    }
    return report(c, at, "must match at least one schema in anyOf", NULL, NULL);
}

/* Returns 0 (issues, if any, are in c) or -1 when an allocation failed. */
static int validate(schema_ctx *c, const cJSON *schema, const cJSON *value,
                    const schema_step *at, int depth)
{
    const cJSON *k;
    int rc;

    if (depth >= SCHEMA_MAX_DEPTH) {
        return report(c, at, "nesting too deep", NULL, NULL);
    }
    if (cJSON_IsBool(schema)) {
        return cJSON_IsTrue(schema) ? 0 : report(c, at, "value is not allowed", NULL, NULL);
    }
    if (!cJSON_IsObject(schema)) {
        return report(c, at, "invalid schema", NULL, NULL);
    }

    k = cJSON_GetObjectItemCaseSensitive(schema, "type");
    if (k != NULL) {
        rc = check_type(c, k, value, at);
        if (rc != 0) {
            return rc < 0 ? -1 : 0;
        }
    }

    k = cJSON_GetObjectItemCaseSensitive(schema, "enum");
    if (k != NULL) {
        const cJSON *e;
        int found = 0;

        if (!cJSON_IsArray(k)) {
            rc = report_bad_keyword(c, at, "enum");
        } else {
            cJSON_ArrayForEach(e, k) {
                if (cJSON_Compare(e, value, 1)) {
                    found = 1;
                    break;
                }
            }
            rc = found ? 0 : report(c, at, "must be equal to one of the allowed values", NULL, NULL);
        }
        if (rc != 0) return -1;
        if (probe_done(c)) return 0;
    }

    k = cJSON_GetObjectItemCaseSensitive(schema, "const");
    if (k != NULL && !cJSON_Compare(k, value, 1)) {
        if (report(c, at, "must be equal to constant", NULL, NULL) != 0) return -1;
        if (probe_done(c)) return 0;
    }

    /* Type-specific keywords apply only to values of their type. */
    if (cJSON_IsObject(value)) {
        rc = check_object(c, schema, value, at, depth);
    } else if (cJSON_IsArray(value)) {
        rc = check_array(c, schema, value, at, depth);
    } else if (cJSON_IsString(value)) {
        rc = check_string(c, schema, value, at);
    } else if (cJSON_IsNumber(value)) {
        rc = check_number(c, schema, value, at);
    } else {
        rc = 0;
    }
    if (rc != 0) return -1;
    if (probe_done(c)) return 0;

    k = cJSON_GetObjectItemCaseSensitive(schema, "anyOf");
    if (k != NULL) {
        return check_any_of(c, k, value, at, depth);
    }
    return 0;
}

int schema_validate(const cJSON *schema, const cJSON *value, cJSON *issues)
{
    schema_ctx c;
    int before;

    if (!cJSON_IsArray(issues)) {
        return -1;
    }
    c.issues = issues;
    c.count = 0;
    before = cJSON_GetArraySize(issues);
    if (validate(&c, schema, value, NULL, 0) != 0) {
        /* Drop this call's partial issues so the caller sees no half answer. */
        while (cJSON_GetArraySize(issues) > before) {
            cJSON_DeleteItemFromArray(issues, before);
        }
        return -1;
    }
    return c.count;
}

/* --- definitions: is this a schema we understand? ------------------------------ */

static const char *const lint_annotations[] = {
    "title", "description", "default", "examples", "$schema", "$id", "$comment", NULL
};

static int lint_issue(cJSON *issues, const schema_step *at, const char *fmt, const char *kw)
{
    char msg[160];
    snprintf(msg, sizeof msg, fmt, kw);
    cJSON *issue = cJSON_CreateObject();
    cJSON *path = path_build(at);
    if (issue == NULL || path == NULL || !cJSON_AddItemToObject(issue, "path", path) ||
        !cJSON_AddStringToObject(issue, "message", msg) || !cJSON_AddItemToArray(issues, issue)) {
        cJSON_Delete(issue);
        return -1;
    }
    return 1;
}

static int lint(const cJSON *schema, cJSON *issues, const schema_step *at, int depth);

/* Every member of an object of schemas (properties) is a schema. */
static int lint_members(const cJSON *k, cJSON *issues, const schema_step *at, int depth)
{
    int n = 0, r;
    const cJSON *m;
    cJSON_ArrayForEach(m, k) {
        schema_step s = {at, m->string, 0};
        if ((r = lint(m, issues, &s, depth + 1)) < 0) return -1;
        n += r;
    }
    return n;
}

static int lint(const cJSON *schema, cJSON *issues, const schema_step *at, int depth)
{
    if (cJSON_IsBool(schema)) return 0;
    if (!cJSON_IsObject(schema)) return lint_issue(issues, at, "a schema must be an object or a boolean%s", "");
    if (depth > SCHEMA_MAX_DEPTH) return lint_issue(issues, at, "schema nested too deeply%s", "");
    int n = 0, r;
    const cJSON *k;
    cJSON_ArrayForEach(k, schema) {
        const char *kw = k->string;
        schema_step here = {at, kw, 0};
        int ok = 1;
        if (strcmp(kw, "type") == 0) {
            if (cJSON_IsString(k)) ok = type_bit(k->valuestring) != 0;
            else if (cJSON_IsArray(k)) {
                const cJSON *t;
                cJSON_ArrayForEach(t, k) ok = ok && cJSON_IsString(t) && type_bit(t->valuestring) != 0;
            } else ok = 0;
        } else if (strcmp(kw, "properties") == 0) {
            if (!cJSON_IsObject(k)) ok = 0;
            else if ((r = lint_members(k, issues, &here, depth)) < 0) return -1;
            else n += r;
        } else if (strcmp(kw, "required") == 0) {
            const cJSON *m;
            ok = cJSON_IsArray(k);
            cJSON_ArrayForEach(m, k) ok = ok && cJSON_IsString(m);
        } else if (strcmp(kw, "additionalProperties") == 0 || strcmp(kw, "items") == 0) {
            if (!cJSON_IsBool(k) && !cJSON_IsObject(k)) ok = 0;
            else if ((r = lint(k, issues, &here, depth + 1)) < 0) return -1;
            else n += r;
        } else if (strcmp(kw, "anyOf") == 0) {
            ok = cJSON_IsArray(k) && cJSON_GetArraySize(k) > 0;
            int i = 0;
            const cJSON *m;
            cJSON_ArrayForEach(m, k) {
                if (!ok) break;
                schema_step s = {&here, NULL, i++};
                if ((r = lint(m, issues, &s, depth + 1)) < 0) return -1;
                n += r;
            }
        } else if (strcmp(kw, "enum") == 0) {
            ok = cJSON_IsArray(k);
        } else if (strcmp(kw, "const") == 0) {
            ok = 1;
        } else if (strcmp(kw, "minimum") == 0 || strcmp(kw, "maximum") == 0 ||
                   strcmp(kw, "exclusiveMinimum") == 0 || strcmp(kw, "exclusiveMaximum") == 0) {
            ok = cJSON_IsNumber(k);
        } else if (strcmp(kw, "minLength") == 0 || strcmp(kw, "maxLength") == 0 ||
                   strcmp(kw, "minItems") == 0 || strcmp(kw, "maxItems") == 0) {
            ok = is_count(k);
        } else {
            int annotation = 0;
            for (int i = 0; lint_annotations[i]; i++) annotation |= strcmp(kw, lint_annotations[i]) == 0;
            if (!annotation) {
                if ((r = lint_issue(issues, &here, "unsupported keyword '%s': the validator would ignore it", kw)) < 0)
                    return -1;
                n += r;
            }
            continue;
        }
        if (!ok) {
            if ((r = lint_issue(issues, &here, "invalid value for keyword '%s'", kw)) < 0) return -1;
            n += r;
        }
    }
    return n;
}

int schema_lint(const cJSON *schema, cJSON *issues)
{
    if (!cJSON_IsArray(issues)) return -1;
    return lint(schema, issues, NULL, 0);
}

/* --- per-call use ---------------------------------------------------------------
 * Schemas are constant text in the definitions. Each is parsed at most once
 * per call: the parsed tree is kept in the handle's cache, keyed by the text. */

int schema_check(cx *X, const char *schema_text, const cJSON *value, cJSON **issues)
{
    cJSON *schema;
    if (issues) *issues = NULL;
    if (schema_text == NULL) return 0;
    if (X->schemas == NULL && (X->schemas = smap_new(X, 16)) == NULL) return CX_NOMEM;
    schema = smap_get(X->schemas, schema_text);
    if (schema == NULL) {
        schema = cJSON_Parse(schema_text);
        if (schema == NULL && X->rc == CX_NOMEM) return CX_NOMEM;
        if (schema == NULL) return CX_BADDEF; /* the caller names the definition */
        if (smap_put(X->schemas, schema_text, schema) != CX_OK) return CX_NOMEM;
    }
    cJSON *found = cJSON_CreateArray();
    if (found == NULL) return CX_NOMEM;
    int n = schema_validate(schema, value, found);
    if (n < 0) return CX_NOMEM;
    if (issues) *issues = found;
    return n > 0;
}

const char *schema_first_issue(cx *X, const cJSON *issues)
{
    const cJSON *i = cJSON_GetArrayItem(issues, 0);
    const cJSON *p;
    sb s;
    sb_init(X, &s);
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(i, "path")) {
        if (s.len) sb_puts(&s, ".");
        if (cJSON_IsString(p)) sb_puts(&s, p->valuestring);
        else sb_printf(&s, "%d", p->valueint);
    }
    sb_printf(&s, "%s%s", s.len ? ": " : "", cJSON_GetStringValue(cJSON_GetObjectItem(i, "message")));
    const char *r = sb_str(&s);
    return r ? r : "invalid";
}

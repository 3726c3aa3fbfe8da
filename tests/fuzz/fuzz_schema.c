/* fuzz_schema.c — libFuzzer target: JSON Schema validation (wasm/src/schema.c)
 * over arbitrary schema/value pairs. The input's first half is the schema,
 * the second half the value (an odd byte goes to the value); each is read
 * with json_parse, as the engine reads what it validates, and inputs where
 * either half is not JSON stop there. Properties checked:
 *
 *   - no crash, no sanitizer report (ASan + UBSan), whatever the schema says
 *     (wrong keyword types, deep anyOf, huge bounds, boolean schemas);
 *   - schema_validate answers with the number of issues it appended (never
 *     -1: no allocation fails here), each {"path": [strings and numbers],
 *     "message": string}, and schema_first_issue renders the first;
 *   - schema_lint answers the same way for the schema;
 *   - validation borrows: schema and value print the same before and after.
 *
 * Every input runs in a handle of its own. Seeds: build.sh fuzz writes
 * build/fuzz/schema-seeds (tests/fuzz/gen-json-corpus.mjs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx.h"
#include "json.h"
#include "schema.h"

static void die(const char *what, const uint8_t *data, size_t size) {
    fprintf(stderr, "fuzz_schema: %s\ninput (%zu bytes, halves at %zu): %.*s\n", what, size, size / 2,
            (int)size, (const char *)data);
    abort();
}

/* n issues, each well formed. */
static void check_issues(const cJSON *issues, int n, const uint8_t *data, size_t size) {
    if (n < 0) die("an allocation failed?", data, size);
    if (cJSON_GetArraySize(issues) != n) die("the count is not the issues appended", data, size);
    const cJSON *i;
    cJSON_ArrayForEach(i, issues) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(i, "path"), *p;
        if (!cJSON_IsArray(path) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(i, "message")))
            die("a malformed issue", data, size);
        cJSON_ArrayForEach(p, path) if (!cJSON_IsString(p) && !cJSON_IsNumber(p)) die("a malformed path", data, size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t half = size / 2;
    cx *X = cx_open();
    if (X == NULL) return 0;
    cx_enter(X);
    cJSON *schema = NULL, *value = NULL;
    if (json_parse(X, (const char *)data, half, &schema, NULL) == CX_OK &&
        json_parse(X, (const char *)data + half, size - half, &value, NULL) == CX_OK) {
        const char *schema_before = json_print(X, schema), *value_before = json_print(X, value);
        cJSON *issues = cJSON_CreateArray(), *lint = cJSON_CreateArray();
        if (schema_before == NULL || value_before == NULL || issues == NULL || lint == NULL)
            die("out of memory", data, size);
        int n = schema_validate(schema, value, issues);
        check_issues(issues, n, data, size);
        if (n > 0 && schema_first_issue(X, issues) == NULL) die("schema_first_issue", data, size);
        check_issues(lint, schema_lint(schema, lint), data, size);
        if (strcmp(json_print(X, schema), schema_before) != 0 || strcmp(json_print(X, value), value_before) != 0)
            die("validation changed what it borrowed", data, size);
    }
    cx_leave();
    cx_close(X);
    return 0;
}

/* test_schema.c -- unit tests for schema.c (JSON Schema subset validation).
 *
 * Most tests state schema, value and the expected issues as JSON text; the
 * issues are compared as compact JSON so a failure prints both sides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cJSON.h"
#include "schema.h"

int test_schema_run(void);

/* Normalizes JSON text to cJSON's compact form. Caller frees. */
static char *compact(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    char *s;

    assert_non_null(v);
    s = cJSON_PrintUnformatted(v);
    assert_non_null(s);
    cJSON_Delete(v);
    return s;
}

/* Validates value_json against schema_json; asserts the issues equal
 * expected_json (an array) and the return value equals their count. */
static void expect(const char *schema_json, const char *value_json, const char *expected_json)
{
    cJSON *schema = cJSON_Parse(schema_json);
    cJSON *value = cJSON_Parse(value_json);
    cJSON *issues = cJSON_CreateArray();
    cJSON *want = cJSON_Parse(expected_json);
    char *got_text, *want_text;
    int rc;

    assert_non_null(schema);
    assert_non_null(value);
    assert_non_null(issues);
    assert_non_null(want);

    rc = schema_validate(schema, value, issues);
    got_text = cJSON_PrintUnformatted(issues);
    want_text = compact(expected_json);
    assert_string_equal(got_text, want_text);
    assert_int_equal(rc, cJSON_GetArraySize(want));

    cJSON_free(got_text);
    cJSON_free(want_text);
    cJSON_Delete(want);
    cJSON_Delete(issues);
    cJSON_Delete(value);
    cJSON_Delete(schema);
}

static void expect_valid(const char *schema_json, const char *value_json)
{
    expect(schema_json, value_json, "[]");
}

/* One issue at the root with the given message. */
static void expect_root(const char *schema_json, const char *value_json, const char *message)
{
    cJSON *want = cJSON_CreateArray();
    cJSON *issue = cJSON_CreateObject();
    char *text;

    assert_non_null(want);
    assert_non_null(issue);
    assert_non_null(cJSON_AddArrayToObject(issue, "path"));
    assert_non_null(cJSON_AddStringToObject(issue, "message", message));
    assert_true(cJSON_AddItemToArray(want, issue));
    text = cJSON_PrintUnformatted(want);
    assert_non_null(text);
    expect(schema_json, value_json, text);
    cJSON_free(text);
    cJSON_Delete(want);
}

/* --- type ------------------------------------------------------------------ */

static void test_type_each(void **state)
{
    (void)state;
    expect_valid("{\"type\":\"string\"}", "\"x\"");
    expect_valid("{\"type\":\"number\"}", "1.5");
    expect_valid("{\"type\":\"integer\"}", "3");
    expect_valid("{\"type\":\"boolean\"}", "false");
    expect_valid("{\"type\":\"object\"}", "{}");
    expect_valid("{\"type\":\"array\"}", "[]");
    expect_valid("{\"type\":\"null\"}", "null");

    expect_root("{\"type\":\"string\"}", "1", "must be string");
    expect_root("{\"type\":\"number\"}", "\"1\"", "must be number");
    expect_root("{\"type\":\"integer\"}", "true", "must be integer");
    expect_root("{\"type\":\"boolean\"}", "0", "must be boolean");
    expect_root("{\"type\":\"object\"}", "[]", "must be object");
    expect_root("{\"type\":\"array\"}", "{}", "must be array");
    expect_root("{\"type\":\"null\"}", "false", "must be null");
}

static void test_type_integer_vs_number(void **state)
{
    (void)state;
    expect_valid("{\"type\":\"integer\"}", "1.0");
    expect_valid("{\"type\":\"integer\"}", "-7");
    expect_valid("{\"type\":\"integer\"}", "1e3");
    expect_root("{\"type\":\"integer\"}", "1.5", "must be integer");
    expect_root("{\"type\":\"integer\"}", "-0.25", "must be integer");
    expect_valid("{\"type\":\"number\"}", "1");
}

static void test_type_array(void **state)
{
    (void)state;
    expect_valid("{\"type\":[\"string\",\"null\"]}", "null");
    expect_valid("{\"type\":[\"string\",\"null\"]}", "\"a\"");
    expect_root("{\"type\":[\"string\",\"null\"]}", "1", "must be string or null");
    expect_root("{\"type\":[\"null\",\"integer\",\"string\"]}", "1.5",
                "must be string, integer or null");
    expect_root("{\"type\":[\"boolean\"]}", "1", "must be boolean");
}

/* A failed type hides the node's other keywords. */
static void test_type_failure_stops_node(void **state)
{
    (void)state;
    expect_root("{\"type\":\"string\",\"minLength\":3,\"enum\":[\"abc\"],\"const\":\"abc\"}", "7",
                "must be string");
    expect_root("{\"type\":\"object\",\"required\":[\"a\"]}", "[]", "must be object");
}

/* --- objects ---------------------------------------------------------------- */

static void test_required(void **state)
{
    (void)state;
    expect_valid("{\"required\":[\"name\"]}", "{\"name\":1}");
    expect_root("{\"required\":[\"name\"]}", "{}", "must have required property 'name'");
    expect("{\"required\":[\"a\",\"b\"]}", "{\"B\":1}",
           "[{\"path\":[],\"message\":\"must have required property 'a'\"},"
           " {\"path\":[],\"message\":\"must have required property 'b'\"}]");
    /* required applies to objects only */
    expect_valid("{\"required\":[\"a\"]}", "\"not an object\"");
}

static void test_required_nested_path_is_object(void **state)
{
    (void)state;
    expect("{\"properties\":{\"user\":{\"required\":[\"id\"]}}}", "{\"user\":{}}",
           "[{\"path\":[\"user\"],\"message\":\"must have required property 'id'\"}]");
}

static void test_properties(void **state)
{
    const char *schema = "{\"type\":\"object\",\"properties\":{"
                         "\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"}}}";
    (void)state;
    expect_valid(schema, "{\"name\":\"Ada\",\"age\":36}");
    expect_valid(schema, "{}");
    expect_valid(schema, "{\"other\":[1,2]}");
    expect(schema, "{\"name\":1,\"age\":\"x\"}",
           "[{\"path\":[\"name\"],\"message\":\"must be string\"},"
           " {\"path\":[\"age\"],\"message\":\"must be integer\"}]");
}

static void test_additional_properties_false(void **state)
{
    const char *schema = "{\"properties\":{\"a\":true},\"additionalProperties\":false}";
    (void)state;
    expect_valid(schema, "{\"a\":1}");
    expect(schema, "{\"a\":1,\"x\":2,\"y\":3}",
           "[{\"path\":[],\"message\":\"must not have additional property 'x'\"},"
           " {\"path\":[],\"message\":\"must not have additional property 'y'\"}]");
    expect_valid("{\"additionalProperties\":true}", "{\"x\":1}");
    expect_root("{\"additionalProperties\":false}", "{\"x\":1}",
                "must not have additional property 'x'");
}

static void test_additional_properties_schema(void **state)
{
    const char *schema = "{\"properties\":{\"id\":{\"type\":\"string\"}},"
                         "\"additionalProperties\":{\"type\":\"number\",\"maximum\":10}}";
    (void)state;
    expect_valid(schema, "{\"id\":\"a\",\"x\":1,\"y\":10}");
    expect(schema, "{\"id\":\"a\",\"x\":\"1\",\"y\":11}",
           "[{\"path\":[\"x\"],\"message\":\"must be number\"},"
           " {\"path\":[\"y\"],\"message\":\"must be <= 10\"}]");
}

/* --- arrays ----------------------------------------------------------------- */

static void test_items(void **state)
{
    (void)state;
    expect_valid("{\"items\":{\"type\":\"integer\"}}", "[1,2,3]");
    expect_valid("{\"items\":{\"type\":\"integer\"}}", "[]");
    expect("{\"items\":{\"type\":\"integer\"}}", "[1,\"2\",3,4.5]",
           "[{\"path\":[1],\"message\":\"must be integer\"},"
           " {\"path\":[3],\"message\":\"must be integer\"}]");
    expect_valid("{\"items\":true}", "[1,\"a\",null]");
    expect("{\"items\":false}", "[1]", "[{\"path\":[0],\"message\":\"value is not allowed\"}]");
}

static void test_nested_path_through_array(void **state)
{
    (void)state;
    const char *schema =
        "{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":{"
        "\"type\":\"object\",\"required\":[\"name\"],"
        "\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1}}}}}}";
    expect(schema, "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":5},{},{\"name\":\"\"}]}",
           "[{\"path\":[\"items\",2,\"name\"],\"message\":\"must be string\"},"
           " {\"path\":[\"items\",3],\"message\":\"must have required property 'name'\"},"
           " {\"path\":[\"items\",4,\"name\"],"
           "  \"message\":\"must NOT have fewer than 1 characters\"}]");
}

static void test_min_max_items(void **state)
{
    const char *schema = "{\"minItems\":1,\"maxItems\":2}";
    (void)state;
    expect_valid(schema, "[1]");
    expect_valid(schema, "[1,2]");
    expect_root(schema, "[]", "must NOT have fewer than 1 items");
    expect_root(schema, "[1,2,3]", "must NOT have more than 2 items");
    expect_valid(schema, "\"abc\"");
}

/* --- strings ---------------------------------------------------------------- */

static void test_min_max_length(void **state)
{
    const char *schema = "{\"type\":\"string\",\"minLength\":1,\"maxLength\":3}";
    (void)state;
    expect_valid(schema, "\"a\"");
    expect_valid(schema, "\"abc\"");
    expect_root(schema, "\"\"", "must NOT have fewer than 1 characters");
    expect_root(schema, "\"abcd\"", "must NOT have more than 3 characters");
}

/* Lengths count code points: 2-, 3- and 4-byte UTF-8 sequences are one each. */
static void test_length_counts_code_points(void **state)
{
    (void)state;
    /* "é€😀": 2 + 3 + 4 bytes, 3 code points; the emoji as a surrogate pair */
    expect_valid("{\"maxLength\":3,\"minLength\":3}", "\"\xc3\xa9\xe2\x82\xac\\ud83d\\ude00\"");
    expect_valid("{\"maxLength\":3,\"minLength\":3}", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    expect_root("{\"maxLength\":2}", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
                "must NOT have more than 2 characters");
    expect_root("{\"minLength\":4}", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
                "must NOT have fewer than 4 characters");
}

/* --- numbers ---------------------------------------------------------------- */

static void test_minimum_maximum(void **state)
{
    const char *schema = "{\"type\":\"integer\",\"minimum\":1,\"maximum\":100000}";
    (void)state;
    expect_valid(schema, "1");
    expect_valid(schema, "100000");
    expect_root(schema, "0", "must be >= 1");
    expect_root(schema, "100001", "must be <= 100000");
    expect_root("{\"minimum\":0.5}", "0.25", "must be >= 0.5");
    expect_root("{\"maximum\":-1.25}", "0", "must be <= -1.25");
    expect_valid("{\"minimum\":1}", "\"0\"");
}

static void test_exclusive_bounds(void **state)
{
    const char *schema = "{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1}";
    (void)state;
    expect_valid(schema, "0.5");
    expect_root(schema, "0", "must be > 0");
    expect_root(schema, "1", "must be < 1");
    expect_root(schema, "-3", "must be > 0");
}

/* --- enum / const ------------------------------------------------------------ */

static void test_enum(void **state)
{
    const char *schema = "{\"enum\":[\"red\",2,null,{\"a\":[1]}]}";
    (void)state;
    expect_valid(schema, "\"red\"");
    expect_valid(schema, "2");
    expect_valid(schema, "null");
    expect_valid(schema, "{\"a\":[1]}");
    expect_root(schema, "\"Red\"", "must be equal to one of the allowed values");
    expect_root(schema, "{\"a\":[2]}", "must be equal to one of the allowed values");
    expect_root(schema, "false", "must be equal to one of the allowed values");
}

static void test_const(void **state)
{
    (void)state;
    expect_valid("{\"const\":\"v1\"}", "\"v1\"");
    expect_valid("{\"const\":{\"k\":[true,null]}}", "{\"k\":[true,null]}");
    expect_valid("{\"const\":1}", "1.0");
    expect_root("{\"const\":\"v1\"}", "\"V1\"", "must be equal to constant");
    expect_root("{\"const\":true}", "false", "must be equal to constant");
    expect_root("{\"const\":{\"k\":1}}", "{\"K\":1}", "must be equal to constant");
}

/* --- anyOf -------------------------------------------------------------------- */

static void test_any_of(void **state)
{
    const char *schema = "{\"anyOf\":[{\"type\":\"string\",\"minLength\":2},"
                         "{\"type\":\"integer\",\"minimum\":0}]}";
    (void)state;
    expect_valid(schema, "\"ab\"");
    expect_valid(schema, "5");
    expect_root(schema, "\"a\"", "must match at least one schema in anyOf");
    expect_root(schema, "-1", "must match at least one schema in anyOf");
    expect_root(schema, "null", "must match at least one schema in anyOf");
}

static void test_any_of_nested_path(void **state)
{
    (void)state;
    expect("{\"properties\":{\"v\":{\"anyOf\":[{\"type\":\"null\"},{\"required\":[\"x\"]}]}}}",
           "{\"v\":{\"y\":1}}",
           "[{\"path\":[\"v\"],\"message\":\"must match at least one schema in anyOf\"}]");
    /* branch issues never leak into the result */
    expect_valid("{\"anyOf\":[{\"items\":{\"type\":\"string\"}},{\"items\":{\"type\":\"number\"}}]}",
                 "[1,2,3]");
}

/* --- boolean and empty schemas ------------------------------------------------- */

static void test_schema_true_false(void **state)
{
    (void)state;
    expect_valid("true", "{\"anything\":[1,2]}");
    expect_valid("{}", "null");
    expect_valid("{\"title\":\"T\",\"description\":\"d\",\"default\":1,"
                 "\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"x-unknown\":5}",
                 "\"x\"");
    expect_root("false", "1", "value is not allowed");
    expect("{\"properties\":{\"secret\":false}}", "{\"secret\":1}",
           "[{\"path\":[\"secret\"],\"message\":\"value is not allowed\"}]");
}

static void test_invalid_schema_rejects(void **state)
{
    (void)state;
    expect_root("\"string\"", "1", "invalid schema");
    expect_root("{\"type\":\"text\"}", "1", "invalid schema keyword 'type'");
    expect_root("{\"type\":[]}", "1", "invalid schema keyword 'type'");
    expect_root("{\"minimum\":\"1\"}", "5", "invalid schema keyword 'minimum'");
    expect_root("{\"exclusiveMinimum\":true}", "5", "invalid schema keyword 'exclusiveMinimum'");
    expect_root("{\"minLength\":-1}", "\"a\"", "invalid schema keyword 'minLength'");
    expect_root("{\"maxItems\":1.5}", "[]", "invalid schema keyword 'maxItems'");
    expect_root("{\"required\":[1]}", "{}", "invalid schema keyword 'required'");
    expect_root("{\"items\":[{}]}", "[1]", "invalid schema keyword 'items'");
    expect_root("{\"anyOf\":[]}", "1", "invalid schema keyword 'anyOf'");
    expect_root("{\"enum\":1}", "1", "invalid schema keyword 'enum'");
}

/* --- issues array contract ------------------------------------------------------ */

static void test_appends_to_existing_issues(void **state)
{
    cJSON *schema = cJSON_Parse("{\"type\":\"string\"}");
    cJSON *value = cJSON_CreateNumber(1);
    cJSON *issues = cJSON_CreateArray();
    (void)state;

    assert_non_null(schema);
    assert_non_null(value);
    assert_non_null(issues);
    assert_true(cJSON_AddItemToArray(issues, cJSON_CreateString("earlier")));
    assert_int_equal(schema_validate(schema, value, issues), 1);
    assert_int_equal(cJSON_GetArraySize(issues), 2);
    assert_string_equal(cJSON_GetArrayItem(issues, 0)->valuestring, "earlier");
    assert_int_equal(schema_validate(schema, value, NULL), -1);
    assert_int_equal(schema_validate(schema, value, value), -1);
    cJSON_Delete(issues);
    cJSON_Delete(value);
    cJSON_Delete(schema);
}

static void test_schema_and_value_untouched(void **state)
{
    const char *schema_json = "{\"properties\":{\"a\":{\"type\":\"string\"}},"
                              "\"additionalProperties\":false,\"required\":[\"z\"]}";
    const char *value_json = "{\"a\":1,\"b\":[1,2]}";
    cJSON *schema = cJSON_Parse(schema_json);
    cJSON *value = cJSON_Parse(value_json);
    cJSON *issues = cJSON_CreateArray();
    char *s, *v;
    (void)state;

    assert_non_null(schema);
    assert_non_null(value);
    assert_non_null(issues);
    assert_int_equal(schema_validate(schema, value, issues), 3);
    s = cJSON_PrintUnformatted(schema);
    v = cJSON_PrintUnformatted(value);
    assert_string_equal(s, schema_json);
    assert_string_equal(v, value_json);
    cJSON_free(s);
    cJSON_free(v);
    cJSON_Delete(issues);
    cJSON_Delete(value);
    cJSON_Delete(schema);
}

/* Builds an array nested `levels` deep, e.g. 2 -> [[]]. */
static cJSON *nested_arrays(int levels)
{
    cJSON *root = cJSON_CreateArray(), *cur = root;
    int i;

    assert_non_null(root);
    for (i = 1; i < levels; i++) {
        cJSON *inner = cJSON_CreateArray();
        assert_non_null(inner);
        assert_true(cJSON_AddItemToArray(cur, inner));
        cur = inner;
    }
    return root;
}

static void test_depth_guard(void **state)
{
    /* {"items": {"items": ... }} as deep as the value; cJSON's parser caps
     * nesting at 1000, so the schema is built with the API as well. */
    cJSON *schema = cJSON_CreateObject();
    cJSON *cur = schema;
    cJSON *issues = cJSON_CreateArray();
    cJSON *ok = nested_arrays(128);
    cJSON *deep = nested_arrays(200);
    cJSON *issue, *path;
    int i;
    (void)state;

    assert_non_null(schema);
    assert_non_null(issues);
    for (i = 0; i < 300; i++) {
        cJSON *inner = cJSON_CreateObject();
        assert_non_null(inner);
        assert_true(cJSON_AddItemToObject(cur, "items", inner));
        cur = inner;
    }
    assert_true(cJSON_AddItemToObject(cur, "type", cJSON_CreateString("array")));

    /* 128 levels: the innermost array is validated at depth 127 */
    assert_int_equal(schema_validate(schema, ok, issues), 0);

    assert_int_equal(schema_validate(schema, deep, issues), 1);
    issue = cJSON_GetArrayItem(issues, 0);
    assert_string_equal(cJSON_GetObjectItem(issue, "message")->valuestring, "nesting too deep");
    path = cJSON_GetObjectItem(issue, "path");
    assert_int_equal(cJSON_GetArraySize(path), 128);

    cJSON_Delete(deep);
    cJSON_Delete(ok);
    cJSON_Delete(issues);
    cJSON_Delete(schema);
}

/* --- allocation failure ----------------------------------------------------------- */

static int alloc_budget;

static void *failing_malloc(size_t size)
{
    if (alloc_budget <= 0) {
        return NULL;
    }
    alloc_budget--;
    return malloc(size);
}

static void test_allocation_failure(void **state)
{
    const char *schema_json =
        "{\"type\":\"object\",\"required\":[\"id\"],\"additionalProperties\":false,"
        "\"properties\":{\"id\":{\"type\":\"integer\"},\"list\":{\"items\":{\"properties\":{\"name\":{\"type\":\"string\"}}}},"
        "\"n\":{\"anyOf\":[{\"type\":\"null\"},{\"minimum\":1}]}}}";
    const char *value_json = "{\"list\":[{},{\"name\":1}],\"n\":0,\"x\":true}";
    cJSON *schema = cJSON_Parse(schema_json);
    cJSON *value = cJSON_Parse(value_json);
    cJSON *reference = cJSON_CreateArray();
    cJSON_Hooks hooks = {failing_malloc, free};
    char *want;
    int expected, n, succeeded = 0;
    (void)state;

    assert_non_null(schema);
    assert_non_null(value);
    assert_non_null(reference);
    expected = schema_validate(schema, value, reference);
    assert_int_equal(expected, 4);
    want = cJSON_PrintUnformatted(reference);
    assert_non_null(want);

    /* N = 0..20 as required, then on until the first success. */
    for (n = 0; n <= 20 || !succeeded; n++) {
        cJSON *issues = cJSON_CreateArray();
        int rc;

        assert_true(n < 10000);
        assert_non_null(issues);
        alloc_budget = n;
        cJSON_InitHooks(&hooks);
        rc = schema_validate(schema, value, issues);
        cJSON_InitHooks(NULL);

        if (rc == -1) {
            /* the call's partial issues were rolled back */
            assert_int_equal(cJSON_GetArraySize(issues), 0);
        } else {
            char *got = cJSON_PrintUnformatted(issues);
            assert_int_equal(rc, expected);
            assert_non_null(got);
            assert_string_equal(got, want);
            cJSON_free(got);
            succeeded = 1;
        }
        cJSON_Delete(issues);
    }

    /* a valid value needs no allocation at all */
    {
        cJSON *good = cJSON_Parse("{\"id\":1,\"list\":[{\"name\":\"a\"}],\"n\":null}");
        cJSON *issues = cJSON_CreateArray();

        assert_non_null(good);
        assert_non_null(issues);
        alloc_budget = 0;
        cJSON_InitHooks(&hooks);
        assert_int_equal(schema_validate(schema, good, issues), 0);
        cJSON_InitHooks(NULL);
        cJSON_Delete(issues);
        cJSON_Delete(good);
    }

    cJSON_free(want);
    cJSON_Delete(reference);
    cJSON_Delete(value);
    cJSON_Delete(schema);
}

int test_schema_run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_each),
        cmocka_unit_test(test_type_integer_vs_number),
        cmocka_unit_test(test_type_array),
        cmocka_unit_test(test_type_failure_stops_node),
        cmocka_unit_test(test_required),
        cmocka_unit_test(test_required_nested_path_is_object),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_additional_properties_false),
        cmocka_unit_test(test_additional_properties_schema),
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_nested_path_through_array),
        cmocka_unit_test(test_min_max_items),
        cmocka_unit_test(test_min_max_length),
        cmocka_unit_test(test_length_counts_code_points),
        cmocka_unit_test(test_minimum_maximum),
        cmocka_unit_test(test_exclusive_bounds),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_const),
        cmocka_unit_test(test_any_of),
        cmocka_unit_test(test_any_of_nested_path),
        cmocka_unit_test(test_schema_true_false),
        cmocka_unit_test(test_invalid_schema_rejects),
        cmocka_unit_test(test_appends_to_existing_issues),
        cmocka_unit_test(test_schema_and_value_untouched),
        cmocka_unit_test(test_depth_guard),
        cmocka_unit_test(test_allocation_failure),
    };

    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}

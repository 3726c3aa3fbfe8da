/* test_json.c — the strict reader and the exact printer (wasm/src/json.c,
 * docs/json.md): every rule accepted and refused, each refusal with its
 * message, byte offset and path; tricky doubles bit for bit; the printer's
 * escapes and shapes; allocation failure at every allocation (a cx whose
 * fail_at is set: CX_NOMEM, never a crash, never a wrong answer); and the
 * differential corpus against Node's JSON.parse
 * (tests/fuzz/gen-json-corpus.mjs, written by build.sh native).
 *
 * Every test works in a handle of its own (X, entered by reset): cJSON's
 * trees and the printer's strings live there until the next test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx.h"
#include "json.h"
#include "lim.h"
#include "sb.h"
#include "tests.h"

static cx *X;

static int reset(void **state) {
    (void)state;
    cx_leave();
    cx_close(X);
    X = cx_open();
    if (X == NULL) return -1;
    cx_enter(X);
    return 0;
}

/* --- helpers -------------------------------------------------------------------- */

static cJSON *accept_n(int line, const char *text, size_t len) {
    json_error e;
    cJSON *v = NULL;
    int rc = json_parse(X, text, len, &v, &e);
    if (rc != CX_OK)
        fail_msg("line %d: %.*s refused (rc %d): %s at byte %zu", line, (int)len, text, rc,
                 rc == JSON_INVALID ? e.message : "(failure)", e.offset);
    if (v == NULL) fail_msg("line %d: accepted without a value", line);
    return v;
}

static const char *print(int line, const cJSON *v) {
    const char *s = json_print(X, v);
    if (s == NULL) fail_msg("line %d: json_print failed", line);
    return s;
}

/* text is accepted and json_print writes want for it. */
#define ROUND(text, want) round_n(__LINE__, (text), strlen(text), (want))
#define ACCEPT(text) round_n(__LINE__, (text), strlen(text), NULL)
static void round_n(int line, const char *text, size_t len, const char *want) {
    const char *got = print(line, accept_n(line, text, len));
    if (strcmp(got, want ? want : text) != 0)
        fail_msg("line %d: %.*s prints as %s, want %s", line, (int)len, text, got, want ? want : text);
}

/* text is refused with exactly this message, offset and path (as JSON). */
#define REFUSE(text, at, msg, path) refuse_n(__LINE__, (text), strlen(text), (at), (msg), (path))
static void refuse_n(int line, const char *text, size_t len, size_t at, const char *msg, const char *path) {
    json_error e;
    cJSON *v = (cJSON *)&e; /* must come back NULL */
    int rc = json_parse(X, text, len, &v, &e);
    if (rc != JSON_INVALID) fail_msg("line %d: %.*s: rc %d, want JSON_INVALID", line, (int)len, text, rc);
    if (v != NULL) fail_msg("line %d: a refusal handed out a value", line);
    if (e.message == NULL || strcmp(e.message, msg) != 0)
        fail_msg("line %d: %.*s: message \"%s\", want \"%s\"", line, (int)len, text, e.message ? e.message : "(null)", msg);
    if (e.offset != at) fail_msg("line %d: %.*s: offset %zu, want %zu", line, (int)len, text, e.offset, at);
    const char *p = e.path ? json_print(X, e.path) : "(null)";
    if (p == NULL || strcmp(p, path) != 0) fail_msg("line %d: %.*s: path %s, want %s", line, (int)len, text, p, path);
    if (X->rc != CX_OK) fail_msg("line %d: a refusal recorded a failure in the handle", line);
}

static char *repeat(const char *s, int n) {
    size_t len = strlen(s);
    char *r = cx_alloc(X, len * (size_t)n + 1);
    assert_non_null(r);
    for (int i = 0; i < n; i++) memcpy(r + len * (size_t)i, s, len);
    r[len * (size_t)n] = '\0';
    return r;
}

static char *cat(const char *a, const char *b, const char *c) {
    char *r = cx_alloc(X, strlen(a) + strlen(b) + strlen(c) + 1);
    assert_non_null(r);
    strcpy(r, a);
    strcat(r, b);
    strcat(r, c);
    return r;
}

/* --- the grammar ------------------------------------------------------------------ */

static void test_values(void **state) {
    (void)state;
    ACCEPT("0");
    ACCEPT("-0");
    ACCEPT("1.5");
    ACCEPT("\"x\"");
    ACCEPT("\"\"");
    ACCEPT("true");
    ACCEPT("false");
    ACCEPT("null");
    ACCEPT("[]");
    ACCEPT("{}");
    ROUND(" \t\r\n{ \"a\" : [ 1 , { } , [ ] ] } \n", "{\"a\":[1,{},[]]}");
    ROUND("[true,false,null,\"s\",-2.5,{\"k\":{\"l\":[]}}]", "[true,false,null,\"s\",-2.5,{\"k\":{\"l\":[]}}]");
    /* keys keep the text's order */
    ROUND("{\"b\":1,\"a\":2,\"1\":3}", "{\"b\":1,\"a\":2,\"1\":3}");
}

static void test_whole_text(void **state) {
    (void)state;
    REFUSE("{} x", 3, "expected the end of the text after the value, found 'x'", "[]");
    REFUSE("{}{}", 2, "expected the end of the text after the value, found '{'", "[]");
    REFUSE("1 2", 2, "expected the end of the text after the value, found '2'", "[]");
    REFUSE("[] ]", 3, "expected the end of the text after the value, found ']'", "[]");
    REFUSE("nullx", 4, "expected the end of the text after the value, found 'x'", "[]");
    REFUSE("\"a\" \"b\"", 4, "expected the end of the text after the value, found '\"'", "[]");
    REFUSE("", 0, "expected a value, found the end of the text", "[]");
    REFUSE("   ", 3, "expected a value, found the end of the text", "[]");
    REFUSE("\xEF\xBB\xBF{}", 0, "a byte order mark is not allowed", "[]");
    /* only space, tab, CR and LF are whitespace */
    REFUSE("\f1", 0, "expected a value, found byte 0x0C", "[]");
    REFUSE("1\v", 1, "expected the end of the text after the value, found byte 0x0B", "[]");
    REFUSE("\xC2\xA0" "1", 0, "expected a value, found byte 0xC2", "[]");
    REFUSE("/* c */ 1", 0, "expected a value, found '/'", "[]");
    REFUSE("'a'", 0, "expected a value, found '''", "[]");
    REFUSE("tru", 0, "invalid literal, expected 'true'", "[]");
    REFUSE("nul", 0, "invalid literal, expected 'null'", "[]");
    REFUSE("fals", 0, "invalid literal, expected 'false'", "[]");
    REFUSE("True", 0, "expected a value, found 'T'", "[]");
    /* a length, not a NUL: bytes past len are never read, a NUL inside is a byte */
    round_n(__LINE__, "[1]]]]", 3, "[1]");
    refuse_n(__LINE__, "[12]", 2, 2, "expected ',' or ']', found the end of the text", "[]");
    refuse_n(__LINE__, "[]\0", 3, 2, "expected the end of the text after the value, found byte 0x00", "[]");
    refuse_n(__LINE__, "\"a\0b\"", 5, 2, "control character 0x00 in a string (it must be escaped)", "[]");
    json_error e;
    cJSON *v;
    assert_int_equal(json_parse(X, NULL, 0, &v, &e), JSON_INVALID);
    assert_int_equal(json_parse(X, "[", 1, &v, NULL), JSON_INVALID); /* err is optional */
    assert_null(v);
    assert_int_equal(X->rc, CX_OK);
}

static void test_structure(void **state) {
    (void)state;
    REFUSE("{\"a\":1,}", 7, "trailing comma", "[]");
    REFUSE("[1,]", 3, "trailing comma", "[]");
    REFUSE("[1,2,3,]", 7, "trailing comma", "[]");
    REFUSE("{\"a\" 1}", 5, "expected ':' after the key, found '1'", "[]");
    REFUSE("{a:1}", 1, "expected a string key, found 'a'", "[]");
    REFUSE("{1:1}", 1, "expected a string key, found '1'", "[]");
    REFUSE("{,}", 1, "expected a string key, found ','", "[]");
    REFUSE("[1 2]", 3, "expected ',' or ']', found '2'", "[]");
    REFUSE("{\"a\":1 \"b\":2}", 7, "expected ',' or '}', found '\"'", "[]");
    REFUSE("[,1]", 1, "expected a value, found ','", "[0]");
    REFUSE("{\"a\":}", 5, "expected a value, found '}'", "[\"a\"]");
    REFUSE("[[]", 3, "expected ',' or ']', found the end of the text", "[]");
    REFUSE("{\"a\":1}}", 7, "expected the end of the text after the value, found '}'", "[]");
    REFUSE("]", 0, "expected a value, found ']'", "[]");
    REFUSE("{\"a\"}", 4, "expected ':' after the key, found '}'", "[]");
}

/* --- numbers ------------------------------------------------------------------------ */

static void test_number_grammar(void **state) {
    (void)state;
    ACCEPT("-0");
    ROUND("1E5", "100000");
    ROUND("1e+5", "100000");
    ROUND("1E-05", "0.00001");
    ROUND("-0.0", "-0");
    ROUND("0e0", "0");
    ROUND("1.50", "1.5");
    REFUSE("01", 0, "leading zeros are not allowed in numbers", "[]");
    REFUSE("-01", 0, "leading zeros are not allowed in numbers", "[]");
    REFUSE("00", 0, "leading zeros are not allowed in numbers", "[]");
    REFUSE("[1,01]", 3, "leading zeros are not allowed in numbers", "[1]");
    REFUSE("1.", 2, "expected a digit after the decimal point, found the end of the text", "[]");
    REFUSE("1.e5", 2, "expected a digit after the decimal point, found 'e'", "[]");
    REFUSE(".5", 0, "numbers need a digit before the decimal point", "[]");
    REFUSE("+1", 0, "numbers cannot start with '+'", "[]");
    REFUSE("0x10", 1, "invalid character in a number, found 'x'", "[]");
    REFUSE("1.2.3", 3, "invalid character in a number, found '.'", "[]");
    REFUSE("1e5e5", 3, "invalid character in a number, found 'e'", "[]");
    REFUSE("1_000", 1, "invalid character in a number, found '_'", "[]");
    REFUSE("-", 1, "expected a digit after '-', found the end of the text", "[]");
    REFUSE("--1", 1, "expected a digit after '-', found '-'", "[]");
    REFUSE("-Infinity", 1, "expected a digit after '-', found 'I'", "[]");
    REFUSE("Infinity", 0, "expected a value, found 'I'", "[]");
    REFUSE("NaN", 0, "expected a value, found 'N'", "[]");
    REFUSE("1e", 2, "expected a digit in the exponent, found the end of the text", "[]");
    REFUSE("1e+", 3, "expected a digit in the exponent, found the end of the text", "[]");
    REFUSE("[-]", 2, "expected a digit after '-', found ']'", "[0]");
}

static void test_number_range(void **state) {
    (void)state;
    REFUSE("1e400", 0, "number out of range (not a finite double)", "[]");
    REFUSE("-1e400", 0, "number out of range (not a finite double)", "[]");
    REFUSE("[1,-1e400]", 3, "number out of range (not a finite double)", "[1]");
    REFUSE("{\"n\":1e309}", 5, "number out of range (not a finite double)", "[\"n\"]");
    /* DBL_MAX is 1.7976931348623157e308; halfway to 2^1024 lies 1.79769313486231580793e308 */
    ROUND("1.7976931348623158e308", "1.7976931348623157e+308");
    REFUSE("1.7976931348623159e308", 0, "number out of range (not a finite double)", "[]");
    /* without an exponent: 309 digits may still be finite, 310 never */
    ROUND(cat("1", repeat("0", 307), ""), "1e+307");
    ROUND(cat("1", repeat("0", 308), ""), "1e+308");
    REFUSE(cat("1", repeat("0", 309), ""), 0, "number out of range (not a finite double)", "[]");
    REFUSE(cat("[", repeat("9", 309), "]"), 1, "number out of range (not a finite double)", "[0]");
    /* underflow is no error: it is 0 in JavaScript too; the sign stays */
    ROUND("1e-400", "0");
    ROUND("-1e-400", "-0");
    ROUND(cat("0.", repeat("0", 400), "1"), "0");
    ROUND(cat("1", repeat("0", 400), "e-400"), "1");
}

/* --- strings -------------------------------------------------------------------------- */

static void test_strings(void **state) {
    (void)state;
    ROUND("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\\"\\\\/\\b\\f\\n\\r\\t\"");
    ROUND("\"\\u00e9\\u00E9\\u20ac\"", "\"\xC3\xA9\xC3\xA9\xE2\x82\xAC\"");
    ROUND("\"\\u0001\\u001F\\u007f\"", "\"\\u0001\\u001f\x7F\"");
    ROUND("\"a\x7F" "b\"", "\"a\x7F" "b\"");
    ROUND("\"\\u2028\\u2029\"", "\"\xE2\x80\xA8\xE2\x80\xA9\"");
    REFUSE("\"a\nb\"", 2, "control character 0x0A in a string (it must be escaped)", "[]");
    REFUSE("\"\t\"", 1, "control character 0x09 in a string (it must be escaped)", "[]");
    REFUSE("[\"\x1F\"]", 2, "control character 0x1F in a string (it must be escaped)", "[0]");
    REFUSE("\"abc", 0, "unterminated string", "[]");
    REFUSE("\"abc\\", 0, "unterminated string", "[]");
    REFUSE("\"", 0, "unterminated string", "[]");
    REFUSE("\"\\x\"", 2, "invalid escape, found 'x'", "[]");
    REFUSE("\"\\'\"", 2, "invalid escape, found '''", "[]");
    REFUSE("\"\\U1234\"", 2, "invalid escape, found 'U'", "[]");
    REFUSE("\"\\u12\"", 1, "invalid \\u escape (it needs four hex digits)", "[]");
    REFUSE("\"\\u12G4\"", 1, "invalid \\u escape (it needs four hex digits)", "[]");
    REFUSE("{\"a\":[1,{\"b\":\"\\x\"}]}", 15, "invalid escape, found 'x'", "[\"a\",1,\"b\"]");
    /* an error inside a key belongs to the object, the key is not read yet */
    REFUSE("{\"a\":{\"b\\q\":1}}", 9, "invalid escape, found 'q'", "[\"a\"]");
}

static void test_utf8(void **state) {
    (void)state;
    /* the edges of each well-formed range are kept as they are */
    ACCEPT("\"\xC2\x80\"");
    ACCEPT("\"\xDF\xBF\"");
    ACCEPT("\"\xE0\xA0\x80\"");
    ACCEPT("\"\xED\x9F\xBF\""); /* U+D7FF */
    ACCEPT("\"\xEE\x80\x80\""); /* U+E000 */
    ACCEPT("\"\xEF\xBF\xBF\""); /* U+FFFF */
    ACCEPT("\"\xF0\x90\x80\x80\"");
    ACCEPT("\"\xF4\x8F\xBF\xBF\""); /* U+10FFFF */
    ACCEPT("{\"\xC3\xA9\":\"\xF0\x9F\x98\x80\"}");
    const char *msg = "invalid UTF-8 in a string";
    REFUSE("\"\xC0\x80\"", 1, msg, "[]");         /* overlong NUL */
    REFUSE("\"\xC1\xBF\"", 1, msg, "[]");         /* overlong */
    REFUSE("\"\xE0\x80\x80\"", 1, msg, "[]");     /* overlong */
    REFUSE("\"\xE0\x9F\xBF\"", 1, msg, "[]");     /* overlong */
    REFUSE("\"\xF0\x80\x80\x80\"", 1, msg, "[]"); /* overlong */
    REFUSE("\"\xF0\x8F\xBF\xBF\"", 1, msg, "[]"); /* overlong */
    REFUSE("\"\xED\xA0\x80\"", 1, msg, "[]");     /* U+D800 as UTF-8 */
    REFUSE("\"\xED\xBF\xBF\"", 1, msg, "[]");     /* U+DFFF as UTF-8 */
    REFUSE("\"\xF4\x90\x80\x80\"", 1, msg, "[]"); /* U+110000 */
    REFUSE("\"\xF5\x80\x80\x80\"", 1, msg, "[]");
    REFUSE("\"\xFF\"", 1, msg, "[]");
    REFUSE("\"\xFE\"", 1, msg, "[]");
    REFUSE("\"a\x80\"", 2, msg, "[]"); /* a lone continuation byte */
    REFUSE("\"\xE2\x82\"", 1, msg, "[]"); /* cut short */
    REFUSE("\"\xF0\x9F\x98\"", 1, msg, "[]");
    REFUSE("{\"k\xC3\":1}", 3, msg, "[]");
    REFUSE("\xC3\xA9", 0, "expected a value, found byte 0xC3", "[]"); /* outside a string */
}

static void test_surrogates(void **state) {
    (void)state;
    ROUND("\"\\uD83D\\uDE00\"", "\"\xF0\x9F\x98\x80\"");
    ROUND("\"\\ud83d\\ude00\"", "\"\xF0\x9F\x98\x80\"");
    ROUND("\"\\uDBFF\\uDFFF\\uD800\\uDC00\"", "\"\xF4\x8F\xBF\xBF\xF0\x90\x80\x80\"");
    REFUSE("\"\\uD800\"", 1, "unpaired surrogate \\uD800", "[]");
    REFUSE("\"\\uDC00\"", 1, "unpaired surrogate \\uDC00", "[]");
    REFUSE("\"\\uD800\\u0041\"", 1, "unpaired surrogate \\uD800", "[]");
    REFUSE("\"\\uDBFF\\uDBFF\"", 1, "unpaired surrogate \\uDBFF", "[]");
    REFUSE("\"x\\uD83Dy\"", 2, "unpaired surrogate \\uD83D", "[]");
    REFUSE("\"\\ude00\\ud83d\"", 1, "unpaired surrogate \\uDE00", "[]"); /* the wrong order */
    REFUSE("\"\\uD800\\u00\"", 7, "invalid \\u escape (it needs four hex digits)", "[]");
    REFUSE("{\"\\uD800\":1}", 2, "unpaired surrogate \\uD800", "[]");
}

static void test_nul(void **state) {
    (void)state;
    /* cJSON would keep "a" of "a\u0000b": refused everywhere instead */
    const char *msg = "\\u0000 is not allowed (strings cannot hold NUL)";
    REFUSE("\"a\\u0000b\"", 2, msg, "[]");
    REFUSE("\"\\u0000\"", 1, msg, "[]");
    REFUSE("{\"\\u0000\":1}", 2, msg, "[]");
    REFUSE("{\"a\":[\"\\u0000\"]}", 7, msg, "[\"a\",0]");
    ROUND("\"\\u0001\"", "\"\\u0001\"");
}

/* --- limits -------------------------------------------------------------------------------- */

static void test_depth(void **state) {
    (void)state;
    const char *ok = cat(repeat("[", 64), "", repeat("]", 64));
    cJSON *v = accept_n(__LINE__, ok, strlen(ok));
    assert_int_equal(lim_json_depth(v, LIM_JSON_DEPTH), 64); /* the same count as lim_json_depth */
    const char *zeros = cat("[", repeat("0,", 63), "0]");
    REFUSE(cat(repeat("[", 65), "", repeat("]", 65)), 64, "nesting deeper than 64 levels", zeros);
    REFUSE(repeat("[", 100000), 64, "nesting deeper than 64 levels", zeros); /* no stack spent on the rest */
    const char *keys = cat("[", repeat("\"a\",", 63), "\"a\"]");
    ACCEPT(cat(repeat("{\"a\":", 64), "1", repeat("}", 64)));
    REFUSE(cat(repeat("{\"a\":", 65), "1", repeat("}", 65)), 320, "nesting deeper than 64 levels", keys);
    ACCEPT(cat(repeat("[{\"a\":", 32), "1", repeat("}]", 32)));
}

static void test_duplicate_keys(void **state) {
    (void)state;
    REFUSE("{\"a\":1,\"a\":2}", 7, "duplicate key", "[\"a\"]");
    REFUSE("{\"a\":1,\"\\u0061\":2}", 7, "duplicate key", "[\"a\"]"); /* decoded keys compare */
    REFUSE("{\"\xC3\xA9\":1,\"\\u00e9\":2}", 8, "duplicate key", "[\"\xC3\xA9\"]");
    REFUSE("{\"a\":1,\"b\":{\"c\":1,\"c\":2}}", 18, "duplicate key", "[\"b\",\"c\"]");
    REFUSE("{\"b\":1,\"a\":2,\"b\":3,\"a\":4}", 13, "duplicate key", "[\"b\"]"); /* the earliest repetition */
    REFUSE("{\"a\":1,\"b\":2,\"a\":3,\"b\":4}", 13, "duplicate key", "[\"a\"]");
    REFUSE("{\"a\":1,\"a\":2,\"a\":3}", 7, "duplicate key", "[\"a\"]");
    REFUSE("{\"\":1,\"\":2}", 6, "duplicate key", "[\"\"]");
    REFUSE("[0,{\"x\":1,\"x\":2}]", 10, "duplicate key", "[1,\"x\"]");
    /* a syntax error inside the object comes first: duplicates are found at its end */
    REFUSE("{\"a\":1,\"a\":2,x}", 13, "expected a string key, found 'x'", "[]");
    ACCEPT("[{\"a\":1},{\"a\":1}]");
    ACCEPT("{\"a\":{\"a\":1},\"b\":{\"a\":1}}");
    ACCEPT("{\"a\":1,\"A\":2,\"a \":3,\"ab\":4}");
    /* many keys: sorted, not compared pairwise */
    sb s;
    sb_init(X, &s);
    sb_puts(&s, "{");
    for (int i = 0; i < 5000; i++) sb_printf(&s, "%s\"k%d\":%d", i ? "," : "", i, i);
    size_t open_len = s.len;
    sb_puts(&s, "}");
    const char *many = sb_str(&s);
    assert_non_null(many);
    cJSON *v = accept_n(__LINE__, many, strlen(many));
    assert_int_equal(cJSON_GetArraySize(v), 5000);
    s.len = open_len;
    sb_puts(&s, ",\"k4321\":0}");
    refuse_n(__LINE__, sb_str(&s), s.len, open_len + 1, "duplicate key", "[\"k4321\"]");
}

/* --- paths and issues ---------------------------------------------------------------------- */

static void test_issue(void **state) {
    (void)state;
    const char *text = "{\"payload\":{\"items\":[1,2,3,tru]}}";
    REFUSE(text, 27, "invalid literal, expected 'true'", "[\"payload\",\"items\",3]");
    json_error e;
    cJSON *v;
    assert_int_equal(json_parse(X, text, strlen(text), &v, &e), JSON_INVALID);
    cJSON *issue = json_issue(X, &e);
    assert_non_null(issue);
    assert_string_equal(print(__LINE__, issue),
                        "{\"path\":[\"payload\",\"items\",3],"
                        "\"message\":\"invalid literal, expected 'true' (at byte 27)\"}");
    /* err is left as it was: a second issue is the same */
    assert_string_equal(print(__LINE__, json_issue(X, &e)), print(__LINE__, issue));
    REFUSE("{\"a\":[{},{\"b\":[0,0,{\"c\":x}]}]}", 24, "expected a value, found 'x'", "[\"a\",1,\"b\",2,\"c\"]");
}

/* --- the printer ---------------------------------------------------------------------------- */

/* The doubles that cJSON 1.7.15's printer gets wrong and their JavaScript
 * form: text (as a client sends it) -> what Number#toString writes. */
static const struct {
    const char *text, *js;
} DOUBLES[] = {
    {"0.1", "0.1"},
    {"0.30000000000000004", "0.30000000000000004"},
    {"5e-324", "5e-324"},
    {"4.9406564584124654e-324", "5e-324"},
    {"2.2250738585072014e-308", "2.2250738585072014e-308"},
    {"2.2250738585072011e-308", "2.225073858507201e-308"},
    {"1.7976931348623157e308", "1.7976931348623157e+308"},
    {"-1.7976931348623157e308", "-1.7976931348623157e+308"},
    {"9007199254740993", "9007199254740992"},
    {"9007199254740992", "9007199254740992"},
    {"9007199254740994", "9007199254740994"},
    {"-9007199254740993", "-9007199254740992"},
    {"-0", "-0"},
    {"0", "0"},
    {"1e21", "1e+21"},
    {"1e20", "100000000000000000000"},
    {"123456789012345680000", "123456789012345680000"},
    {"123456789012345678901234567890", "1.2345678901234568e+29"},
    {"18446744073709551616", "18446744073709552000"},
    {"1e16", "10000000000000000"},
    {"1.5e16", "15000000000000000"},
    {"1e-6", "0.000001"},
    {"1e-7", "1e-7"},
    {"-1e-7", "-1e-7"},
    {"1.5e-7", "1.5e-7"},
    {"1.2345e-5", "0.000012345"},
    {"0.000001234", "0.000001234"},
    {"100", "100"},
    {"-1.5", "-1.5"},
    {"0.5", "0.5"},
    {"123.456", "123.456"},
    {"12345678.9", "12345678.9"},
    {"4.35", "4.35"},
    {"0.3333333333333333", "0.3333333333333333"},
    {"0.6666666666666666", "0.6666666666666666"},
    {"3.141592653589793", "3.141592653589793"},
    {"1e23", "1e+23"},
    {"9.999999999999999e22", "1e+23"}, /* the same double as 1e23 */
    {"1e308", "1e+308"},
    {"2.5e-300", "2.5e-300"},
    /* powers of two: the nearest 16 digits lie below and do not read back,
     * the next 16 above do (the next double up is twice as far) */
    {"6.0834930121445114e-210", "6.083493012144512e-210"},
    {"1.1881822289344749e-212", "1.188182228934475e-212"},
    {"9.3326361850321888e-302", "9.332636185032189e-302"},
    {"1E-05", "0.00001"},
};

static void same_bits(int line, double a, double b, const char *what) {
    if (memcmp(&a, &b, sizeof a) != 0) fail_msg("line %d: %s: %.17g is not %.17g bit for bit", line, what, a, b);
}

static void test_doubles(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof DOUBLES / sizeof *DOUBLES; i++) {
        const char *text = DOUBLES[i].text, *js = DOUBLES[i].js;
        double x = strtod(text, NULL);
        char buf[JSON_NUMBER_MAX];
        size_t n = json_number(buf, x);
        if (strcmp(buf, js) != 0 || n != strlen(js)) fail_msg("json_number(%s) = %s, want %s", text, buf, js);
        same_bits(__LINE__, strtod(buf, NULL), x, text);
        /* through the reader and the printer, twice */
        const char *arr = cat("[", text, "]");
        cJSON *v = accept_n(__LINE__, arr, strlen(arr));
        same_bits(__LINE__, v->child->valuedouble, x, text);
        const char *out = print(__LINE__, v);
        assert_string_equal(out, cat("[", js, "]"));
        cJSON *w = accept_n(__LINE__, out, strlen(out));
        same_bits(__LINE__, w->child->valuedouble, x, text);
        assert_string_equal(print(__LINE__, w), out);
    }
    /* every power of ten a double can hold reads back bit for bit */
    char buf[JSON_NUMBER_MAX];
    for (int e = -330; e <= 310; e++) {
        char text[16];
        snprintf(text, sizeof text, "1e%d", e);
        double x = strtod(text, NULL);
        if (isinf(x)) continue;
        json_number(buf, x);
        same_bits(__LINE__, strtod(buf, NULL), x, text);
    }
}

static void test_nonfinite(void **state) {
    (void)state;
    cJSON *a = cJSON_CreateArray();
    assert_non_null(a);
    cJSON_AddItemToArray(a, cJSON_CreateNumber(INFINITY));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(-INFINITY));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(NAN));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(-0.0));
    assert_string_equal(print(__LINE__, a), "[null,null,null,-0]");
    char buf[JSON_NUMBER_MAX];
    assert_int_equal(json_number(buf, NAN), 4);
    assert_string_equal(buf, "null");
}

static void test_print_strings(void **state) {
    (void)state;
    cJSON *o = cJSON_CreateObject();
    assert_non_null(o);
    cJSON_AddStringToObject(o, "ctl", "\x01\x1f\x7f\b\f\n\r\t");
    cJSON_AddStringToObject(o, "q\"\\/", "\"\\/");
    cJSON_AddStringToObject(o, "utf8", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xE2\x80\xA8");
    assert_string_equal(print(__LINE__, o),
                        "{\"ctl\":\"\\u0001\\u001f\x7f\\b\\f\\n\\r\\t\",\"q\\\"\\\\/\":\"\\\"\\\\/\","
                        "\"utf8\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xE2\x80\xA8\"}");
    /* bytes that are not UTF-8 (only C can make them): one U+FFFD per
     * maximal ill-formed subsequence, so the output is always UTF-8 */
    static const struct {
        const char *in, *out;
    } BAD[] = {
        {"\xC3", "\"\xEF\xBF\xBD\""},
        {"a\xC3" "b", "\"a\xEF\xBF\xBD" "b\""},
        {"\xE2\x82", "\"\xEF\xBF\xBD\""},
        {"\xF0\x9F\x98", "\"\xEF\xBF\xBD\""},
        {"\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},
        {"\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},
        {"\xFF\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},
        {"\xF4\x90\x80\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},
        {"\xE2\x82\xE2\x82\xAC", "\"\xEF\xBF\xBD\xE2\x82\xAC\""},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        cJSON *s = cJSON_CreateString(BAD[i].in);
        assert_non_null(s);
        const char *out = print(__LINE__, s);
        if (strcmp(out, BAD[i].out) != 0) fail_msg("case %zu: %s, want %s", i, out, BAD[i].out);
        accept_n(__LINE__, out, strlen(out)); /* and it reads back */
    }
}

static void test_print_shapes(void **state) {
    (void)state;
    /* raw items as they are; NULL texts and unknown types print as null / "" */
    cJSON *a = cJSON_CreateArray();
    assert_non_null(a);
    cJSON_AddItemToArray(a, cJSON_CreateRaw("{\"stored\":[1,2]}"));
    cJSON *raw = cJSON_CreateRaw("x");
    cJSON_free(raw->valuestring);
    raw->valuestring = NULL;
    cJSON_AddItemToArray(a, raw);
    cJSON *str = cJSON_CreateString("x");
    str->valuestring = NULL;
    cJSON_AddItemToArray(a, str);
    cJSON *odd = cJSON_CreateNull();
    odd->type = cJSON_Invalid;
    cJSON_AddItemToArray(a, odd);
    cJSON_AddItemToArray(a, cJSON_CreateObject());
    cJSON_AddItemToArray(a, cJSON_CreateArray());
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", 1);
    o->child->string = NULL; /* a key nobody set */
    cJSON_AddItemToArray(a, o);
    cJSON_AddItemReferenceToArray(a, o); /* flags above the type byte */
    assert_string_equal(print(__LINE__, a), "[{\"stored\":[1,2]},null,\"\",null,{},[],{\"\":1},{\"\":1}]");
    /* a value's siblings are not its to print */
    cJSON *two = accept_n(__LINE__, "[[1],2]", 7);
    assert_string_equal(print(__LINE__, two->child), "[1]");
    /* nesting costs no C stack: 100,000 levels a workflow could build */
    cJSON *deep = cJSON_CreateArray(), *cur = deep;
    for (int i = 1; i < 100000; i++) {
        cJSON *next = cJSON_CreateArray();
        assert_non_null(next);
        cJSON_AddItemToArray(cur, next);
        cur = next;
    }
    cJSON_AddItemToArray(cur, cJSON_CreateObject());
    cJSON_AddItemToObject(cur->child, "k", cJSON_CreateTrue());
    const char *text = print(__LINE__, deep);
    assert_int_equal(strlen(text), 2 * 100000 + strlen("{\"k\":true}"));
    assert_memory_equal(text + 99999, "[{\"k\":true}]]", 13);
}

/* --- allocation failure ---------------------------------------------------------------------- */

/* Runs parse (+ print or issue) in a fresh handle whose allocation n fails
 * (only n with once, n and every later one without), for every n until a
 * run makes fewer than n+1 allocations. Each step either answers exactly
 * as without failure or says CX_NOMEM with the record set: never a crash,
 * never a refusal for a valid text, never a different answer. */
static void sweep(const char *text, int want_rc, const char *want) {
    long ns = 0;
    for (int once = 1; once >= 0; once--) {
        for (long n = 0;; n++) {
            cx *Y = cx_open();
            assert_non_null(Y);
            cx_enter(Y);
            cx_fail_at(Y, n, once);
            json_error e;
            cJSON *v = NULL;
            const char *got = NULL;
            int rc = json_parse(Y, text, strlen(text), &v, &e);
            if (rc == CX_OK) {
                got = json_print(Y, v);
            } else if (rc == JSON_INVALID) {
                cJSON *issue = json_issue(Y, &e);
                got = issue ? json_print(Y, issue) : NULL;
            }
            if (rc != want_rc && rc != CX_NOMEM)
                fail_msg("n=%ld once=%d: rc %d, want %d or CX_NOMEM", n, once, rc, want_rc);
            if (rc == CX_NOMEM && v != NULL) fail_msg("n=%ld once=%d: CX_NOMEM with a value", n, once);
            if (got == NULL && Y->rc != CX_NOMEM) fail_msg("n=%ld once=%d: no answer, no record", n, once);
            if (got != NULL && Y->rc != CX_OK) fail_msg("n=%ld once=%d: a failure was swallowed", n, once);
            if (got != NULL && strcmp(got, want) != 0) fail_msg("n=%ld once=%d: %s, want %s", n, once, got, want);
            long used = Y->nalloc;
            cx_leave();
            cx_close(Y);
            ns++;
            if (used <= n) break; /* allocation n never happened: every one has failed once */
        }
    }
    cx_enter(X);
    assert_true(ns > 2);
}

static void test_nomem(void **state) {
    (void)state;
    const char *text = "{\"a\":[1,2.5,\"\\u00e9\",{\"k\":null,\"j\":true}],\"big\":1e300,\"s\":\"x\\ny\"}";
    sweep(text, CX_OK, "{\"a\":[1,2.5,\"\xC3\xA9\",{\"k\":null,\"j\":true}],\"big\":1e+300,\"s\":\"x\\ny\"}");
    /* refusals build their message and path: that can fail too */
    sweep("{\"payload\":{\"items\":[1,2,3,tru]}}", JSON_INVALID,
          "{\"path\":[\"payload\",\"items\",3],\"message\":\"invalid literal, expected 'true' (at byte 27)\"}");
    sweep("{\"a\":{\"b\":1,\"b\":2}}", JSON_INVALID, "{\"path\":[\"a\",\"b\"],\"message\":\"duplicate key (at byte 12)\"}");
    sweep("[1,2,x]", JSON_INVALID, "{\"path\":[2],\"message\":\"expected a value, found 'x' (at byte 5)\"}");
    /* growing buffers: many keys and a long number */
    sb s;
    sb_init(X, &s);
    sb_puts(&s, "{");
    for (int i = 0; i < 200; i++) sb_printf(&s, "%s\"key-%d\":[%d]", i ? "," : "", i, i);
    sb_puts(&s, "}");
    const char *many = sb_str(&s);
    assert_non_null(many);
    sweep(many, CX_OK, many);
    sweep(cat("[", repeat("1", 300), "e-290]"), CX_OK, "[1111111111.1111112]");
}

/* --- the differential corpus: JSON.parse / JSON.stringify ------------------------------------------ */

/* Puts an object's integer-like keys first, ascending, the others after in
 * their order: the order of V8's objects, so JSON.stringify's output. (An
 * array index: "0" or no leading zero, below 2^32 - 1.) */
static int index_key(const char *k, unsigned long long *v) {
    if (k[0] == '\0' || (k[0] == '0' && k[1] != '\0') || strlen(k) > 10) return 0;
    unsigned long long x = 0;
    for (const char *p = k; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        x = x * 10 + (unsigned long long)(*p - '0');
    }
    *v = x;
    return x < 4294967295ULL;
}

static int by_index(const void *a, const void *b) {
    unsigned long long x, y;
    index_key((*(cJSON *const *)a)->string, &x);
    index_key((*(cJSON *const *)b)->string, &y);
    return x < y ? -1 : x > y;
}

static void js_order(cJSON *v) {
    if (cJSON_IsObject(v) && v->child != NULL) {
        int n = cJSON_GetArraySize(v), ni = 0, nr = 0;
        cJSON **idx = malloc(sizeof *idx * (size_t)n), **rest = malloc(sizeof *rest * (size_t)n);
        assert_non_null(idx);
        assert_non_null(rest);
        unsigned long long k;
        for (cJSON *c = v->child; c; c = c->next) {
            if (index_key(c->string, &k)) idx[ni++] = c;
            else rest[nr++] = c;
        }
        qsort(idx, (size_t)ni, sizeof *idx, by_index);
        cJSON *prev = NULL;
        for (int i = 0; i < n; i++) {
            cJSON *c = i < ni ? idx[i] : rest[i - ni];
            if (prev) prev->next = c;
            else v->child = c;
            prev = c;
        }
        prev->next = NULL;
        v->child->prev = prev;
        for (cJSON *c = v->child->next, *p = v->child; c; p = c, c = c->next) c->prev = p;
        free(idx);
        free(rest);
    }
    for (cJSON *c = v->child; c; c = c->next) js_order(c);
}

static char *unhex(const char *h, size_t n, size_t *len) {
    if (n == 1 && h[0] == '-') n = 0; /* the empty text */
    char *out = malloc(n / 2 + 1);
    assert_non_null(out);
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned v;
        if (sscanf(h + i, "%2x", &v) != 1) fail_msg("corpus: bad hex");
        out[i / 2] = (char)v;
    }
    out[n / 2] = '\0';
    *len = n / 2;
    return out;
}

/* The documented differences: json_parse refuses, JSON.parse accepts; flag
 * is what the generator's scan of the text calls each. */
static const struct {
    char flag;
    const char *message; /* how json_parse's message starts */
} DIFFS[] = {
    {'K', "duplicate key"},
    {'D', "nesting deeper than"},
    {'Z', "\\u0000 is not allowed"},
    {'S', "unpaired surrogate"},
    {'I', "number out of range"},
};
#define NDIFFS (sizeof DIFFS / sizeof *DIFFS)

static void test_corpus(void **state) {
    (void)state;
    const char *path = getenv("AB_JSON_CORPUS");
#ifdef AB_JSON_CORPUS
    if (path == NULL) path = AB_JSON_CORPUS;
#endif
    if (path == NULL) path = "build/native/json-corpus.txt";
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("%s: cannot open (build.sh native writes it with tests/fuzz/gen-json-corpus.mjs)", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *all = malloc((size_t)size + 1);
    assert_non_null(all);
    assert_int_equal(fread(all, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    all[size] = '\0';

    long texts = 0, compared = 0, refused = 0, diffs[NDIFFS] = {0}, bad = 0;
    for (char *line = all, *next; *line; line = next) {
        char *end = strchr(line, '\n');
        next = end ? end + 1 : line + strlen(line);
        if (end) *end = '\0';
        char verdict = line[0], *flags = line + 2, *hex = strchr(flags, ' ');
        if (hex == NULL) fail_msg("corpus: malformed line %.40s", line);
        *hex++ = '\0';
        char *canon_hex = strchr(hex, ' ');
        if (canon_hex) *canon_hex++ = '\0';
        size_t len, clen = 0;
        char *text = unhex(hex, strlen(hex), &len);
        char *canon = canon_hex ? unhex(canon_hex, strlen(canon_hex), &clen) : NULL;
        texts++;

        cx *Y = cx_open();
        assert_non_null(Y);
        cx_enter(Y);
        json_error e;
        cJSON *v;
        int rc = json_parse(Y, text, len, &v, &e);
        const char *why = NULL;
        if (rc == CX_NOMEM) why = "out of memory";
        else if (verdict == 'R') {
            if (rc == CX_OK) why = "accepted what JSON.parse refuses";
            else refused++;
        } else if (rc == JSON_INVALID) {
            size_t d = 0;
            while (d < NDIFFS && strncmp(e.message, DIFFS[d].message, strlen(DIFFS[d].message)) != 0) d++;
            if (d == NDIFFS) why = "refused what JSON.parse accepts";
            else if (strchr(flags, DIFFS[d].flag) == NULL) why = "a documented refusal the text does not show";
            else diffs[d]++;
        } else if (strcmp(flags, "-") != 0) {
            why = "accepted a documented difference";
        } else {
            /* the same text as JSON.stringify, and a fixed point */
            js_order(v);
            const char *out = json_print(Y, v);
            cJSON *w = NULL;
            if (out == NULL || canon == NULL || strcmp(out, canon) != 0) why = "printed differently";
            else if (json_parse(Y, out, strlen(out), &w, NULL) != CX_OK) why = "output not read back";
            else if (strcmp(json_print(Y, w), out) != 0) why = "not a fixed point";
            else compared++;
        }
        if (why != NULL && bad++ < 10) {
            const char *out = rc == CX_OK ? json_print(Y, v) : NULL;
            print_message("corpus: %s: %s (hex %s): json_parse rc %d %s at %zu; printed %s; JSON.stringify %s\n",
                          why, text, hex, rc, rc == JSON_INVALID ? e.message : "", e.offset,
                          out ? out : "-", canon ? canon : "-");
        }
        cx_leave();
        cx_close(Y);
        free(text);
        free(canon);
    }
    free(all);
    cx_enter(X);
    print_message("json corpus: %ld texts: %ld printed as JSON.stringify does, %ld refused by both; "
                  "documented refusals: %ld duplicate key, %ld depth, %ld \\u0000, %ld unpaired surrogate, "
                  "%ld out of range\n",
                  texts, compared, refused, diffs[0], diffs[1], diffs[2], diffs[3], diffs[4]);
    if (bad) fail_msg("corpus: %ld disagreement(s) with JSON.parse", bad);
    /* a corpus that says something: enough of each kind */
    assert_true(compared >= 1000);
    assert_true(refused >= 1000);
    for (size_t d = 0; d < NDIFFS; d++) assert_true(diffs[d] >= 1);
}

/* json_int_value takes exactly the integers json_print writes and that a
 * double holds exactly, and gives what cJSON_Parse gives for them; anything
 * else is left to the parser (NULL). */
static void test_int_value(void **state) {
    (void)state;
    static const char *const ints[] = {"0", "-0", "7", "-42", "2876543210", "100000000000000",
                                       "999999999999999", "-999999999999999"};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        cJSON *fast = json_int_value(ints[i]), *slow = cJSON_Parse(ints[i]);
        if (fast == NULL || !cJSON_IsNumber(fast)) fail_msg("%s: not taken", ints[i]);
        double a = cJSON_GetNumberValue(fast), b = cJSON_GetNumberValue(slow);
        if (memcmp(&a, &b, sizeof a) != 0) fail_msg("%s: %.17g, the parser %.17g", ints[i], a, b);
        assert_int_equal(fast->valueint, slow->valueint);
        assert_string_equal(print(__LINE__, fast), ints[i]);
    }
    static const char *const others[] = {"", "-", "01", "-01", "00", "1.5", "1e3", "1E3", "1.0",
                                         "1000000000000000", "12345678901234567", " 1", "1 ",
                                         "+1", "\"1\"", "true", "null", "[1]", "0x10", "1-"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (json_int_value(others[i]) != NULL) fail_msg("\"%s\" taken as an integer", others[i]);
}

int test_json_run(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_values, reset),
        cmocka_unit_test_setup(test_int_value, reset),
        cmocka_unit_test_setup(test_whole_text, reset),
        cmocka_unit_test_setup(test_structure, reset),
        cmocka_unit_test_setup(test_number_grammar, reset),
        cmocka_unit_test_setup(test_number_range, reset),
        cmocka_unit_test_setup(test_strings, reset),
        cmocka_unit_test_setup(test_utf8, reset),
        cmocka_unit_test_setup(test_surrogates, reset),
        cmocka_unit_test_setup(test_nul, reset),
        cmocka_unit_test_setup(test_depth, reset),
        cmocka_unit_test_setup(test_duplicate_keys, reset),
        cmocka_unit_test_setup(test_issue, reset),
        cmocka_unit_test_setup(test_doubles, reset),
        cmocka_unit_test_setup(test_nonfinite, reset),
        cmocka_unit_test_setup(test_print_strings, reset),
        cmocka_unit_test_setup(test_print_shapes, reset),
        cmocka_unit_test_setup(test_nomem, reset),
        cmocka_unit_test_setup(test_corpus, reset),
    };
    int failed = cmocka_run_group_tests_name("json", tests, NULL, NULL);
    cx_leave();
    cx_close(X);
    X = NULL;
    return failed;
}

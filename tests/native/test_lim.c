/* test_lim.c — identifiers, units and limits (lim.c, SPEC §3 and §8) and
 * the retry back-off (eng_backoff_ms, SPEC §8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "cx.h"
#include "eng.h"
#include "exports.h"
#include "lim.h"
#include "tests.h"

/* lim_ functions that return strings allocate in a handle: one per test. */
static cx *X;

static int reset(void **state) {
    (void)state;
    cx_close(X);
    X = cx_open();
    cx_enter(X);
    return X ? 0 : -1;
}

/* --- durations --------------------------------------------------------- */

static void dur_ok(const char *s, int64_t want) {
    int64_t v = -7;
    if (lim_parse_duration(s, &v) != 0) fail_msg("duration \"%s\" rejected", s);
    assert_int_equal(v, want);
}

static void dur_bad(const char *s) {
    int64_t v = -7;
    if (lim_parse_duration(s, &v) == 0) fail_msg("duration \"%s\" accepted as %lld", s, (long long)v);
    assert_int_equal(v, -7); /* untouched on failure */
}

static void test_duration_units(void **state) {
    (void)state;
    dur_ok("0ms", 0);
    dur_ok("1ms", 1);
    dur_ok("250ms", 250);
    dur_ok("1s", 1000);
    dur_ok("5s", 5000);
    dur_ok("1m", 60000);
    dur_ok("1h", 3600000);
    dur_ok("1d", 86400000);
    dur_ok("7d", 7LL * 86400000);
    dur_ok("0d", 0);
    dur_ok("007s", 7000);
}

static void test_duration_malformed(void **state) {
    (void)state;
    dur_bad(NULL);
    dur_bad("");
    dur_bad("ms");
    dur_bad("1");
    dur_bad("s1");
    dur_bad("-1s");
    dur_bad("+1s");
    dur_bad("1.5s");
    dur_bad("1e3ms");
    dur_bad("1S");
    dur_bad("1MS");
    dur_bad("1Ms");
    dur_bad("1D");
    dur_bad("1H");
    dur_bad(" 1s");
    dur_bad("1 s");
    dur_bad("1s ");
    dur_bad("1\ts");
    dur_bad("1sec");
    dur_bad("1w");
    dur_bad("1y");
    dur_bad("1kb");
    dur_bad("1ss");
    dur_bad("1s1");
}

static void test_duration_overflow(void **state) {
    (void)state;
    /* Exact up to 2^53 ms (epoch-ms doubles stay exact). */
    dur_ok("9007199254740992ms", 9007199254740992LL);
    dur_bad("9007199254740993ms");
    dur_ok("104249991d", 104249991LL * 86400000);
    dur_bad("104249992d");
    dur_bad("9223372036854775807ms");
    dur_bad("9223372036854775808ms");
    dur_bad("99999999999999999999999999s");
    dur_bad("106751991167301d"); /* overflows int64 when multiplied */
}

/* --- sizes ---------------------------------------------------------------- */

static void size_ok(const char *s, int64_t want) {
    int64_t v = -7;
    if (lim_parse_size(s, &v) != 0) fail_msg("size \"%s\" rejected", s);
    assert_int_equal(v, want);
}

static void size_bad(const char *s) {
    int64_t v = -7;
    if (lim_parse_size(s, &v) == 0) fail_msg("size \"%s\" accepted as %lld", s, (long long)v);
}

static void test_size_units(void **state) {
    (void)state;
    size_ok("0b", 0);
    size_ok("1b", 1);
    size_ok("1kb", 1024);
    size_ok("1mb", 1024 * 1024);
    size_ok("64mb", 64LL * 1024 * 1024);
    size_ok("1gb", 1024LL * 1024 * 1024);
    size_ok("3gb", 3LL * 1024 * 1024 * 1024);
    size_ok("1024kb", 1024 * 1024);
}

static void test_size_malformed(void **state) {
    (void)state;
    size_bad(NULL);
    size_bad("");
    size_bad("kb");
    size_bad("1");
    size_bad("1B");
    size_bad("1KB");
    size_bad("1Kb");
    size_bad("1MB");
    size_bad("1GB");
    size_bad("1k");
    size_bad("1m");
    size_bad("1g");
    size_bad("1tb");
    size_bad("1kib");
    size_bad(" 1kb");
    size_bad("1 kb");
    size_bad("1kb ");
    size_bad("-1kb");
    size_bad("1.5mb");
    size_bad("1s");
}

static void test_size_overflow(void **state) {
    (void)state;
    size_ok("8589934591gb", 8589934591LL * 1024 * 1024 * 1024);
    size_bad("8589934592gb"); /* 2^63 */
    size_bad("9007199254740992kb");
    size_bad("99999999999999999999b");
}

/* --- ids and names --------------------------------------------------------------- */

static char *repeat(char *buf, const char *unit, int times) {
    buf[0] = '\0';
    for (int i = 0; i < times; i++) strcat(buf, unit);
    return buf;
}

static void test_valid_id(void **state) {
    (void)state;
    char buf[600];
    assert_true(lim_valid_id("a"));
    assert_true(lim_valid_id("order-42"));
    assert_true(lim_valid_id("ABCxyz0189._:@-"));
    assert_true(lim_valid_id("_single"));
    assert_true(lim_valid_id("a__b"));
    assert_true(lim_valid_id("x__"));
    assert_true(lim_valid_id("-"));
    assert_true(lim_valid_id(repeat(buf, "a", 128)));
    assert_false(lim_valid_id(repeat(buf, "a", 129)));
    assert_false(lim_valid_id(NULL));
    assert_false(lim_valid_id(""));
    assert_false(lim_valid_id("__"));
    assert_false(lim_valid_id("__index:0"));
    assert_false(lim_valid_id("__x"));
    const char *bad[] = {"a b", "a/b", "a%20b", "a?b", "a#b", "a+b", "a,b", "a;b", "a=b", "a~b",
                         "a\"b", "a'b", "a\\b", "a\nb", "a\tb", "caf\xc3\xa9", "a*b", "(a)",
                         "[a]", "{a}", "a!b", "a$b", "a&b", "a|b", "a<b", "a>b", "a^b", "a`b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (lim_valid_id(bad[i])) fail_msg("id \"%s\" accepted", bad[i]);
    /* every allowed byte, one by one */
    for (int c = 1; c < 256; c++) {
        char id[3] = {'x', (char)c, '\0'};
        int allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
        if (lim_valid_id(id) != allowed) fail_msg("byte 0x%02x: valid_id %d, want %d", c, !allowed, allowed);
    }
}

static void test_valid_name(void **state) {
    (void)state;
    char buf[600];
    assert_true(lim_valid_name("fetch-data"));
    assert_true(lim_valid_name("with space"));
    assert_true(lim_valid_name("punctuation!?#/%&*()[]{}"));
    assert_true(lim_valid_name("caf\xc3\xa9"));              /* é */
    assert_true(lim_valid_name("\xe6\x97\xa5\xe6\x9c\xac")); /* 日本 */
    assert_true(lim_valid_name("\xf0\x9f\x98\x80"));         /* U+1F600 */
    assert_true(lim_valid_name("\xf4\x8f\xbf\xbf"));         /* U+10FFFF */
    assert_true(lim_valid_name("\xc2\xa0"));                 /* U+00A0, past the C1 range */
    assert_true(lim_valid_name(repeat(buf, "a", 128)));
    assert_false(lim_valid_name(repeat(buf, "a", 129)));
    assert_true(lim_valid_name(repeat(buf, "\xc3\xa9", 64)));          /* 128 bytes */
    assert_false(lim_valid_name(repeat(buf, "\xe6\x97\xa5", 43)));     /* 129 bytes */
    assert_true(lim_valid_name(repeat(buf, "\xf0\x9f\x98\x80", 32)));  /* 128 bytes */
    assert_false(lim_valid_name(NULL));
    assert_false(lim_valid_name(""));
    /* control characters */
    assert_false(lim_valid_name("a\nb"));
    assert_false(lim_valid_name("a\tb"));
    assert_false(lim_valid_name("\x01"));
    assert_false(lim_valid_name("a\x1f"));
    assert_false(lim_valid_name("a\x7f"));
    assert_false(lim_valid_name("a\xc2\x80"));  /* U+0080 (C1) */
    assert_false(lim_valid_name("a\xc2\x9f"));  /* U+009F (C1) */
    /* malformed UTF-8 */
    assert_false(lim_valid_name("\x80"));                 /* lone continuation */
    assert_false(lim_valid_name("a\xbf"));
    assert_false(lim_valid_name("\xc3"));                 /* truncated 2-byte */
    assert_false(lim_valid_name("\xe6\x97"));             /* truncated 3-byte */
    assert_false(lim_valid_name("\xf0\x9f\x98"));         /* truncated 4-byte */
    assert_false(lim_valid_name("\xc3\x28"));             /* bad continuation */
    assert_false(lim_valid_name("\xc0\xaf"));             /* overlong '/' */
    assert_false(lim_valid_name("\xc1\xbf"));             /* overlong */
    assert_false(lim_valid_name("\xe0\x80\xaf"));         /* overlong 3-byte */
    assert_false(lim_valid_name("\xf0\x80\x80\xaf"));     /* overlong 4-byte */
    assert_false(lim_valid_name("\xed\xa0\x80"));         /* surrogate U+D800 */
    assert_false(lim_valid_name("\xed\xbf\xbf"));         /* surrogate U+DFFF */
    assert_false(lim_valid_name("\xf4\x90\x80\x80"));     /* U+110000 */
    assert_false(lim_valid_name("\xf8\x88\x80\x80\x80")); /* 5-byte form */
    assert_false(lim_valid_name("\xff"));
    assert_false(lim_valid_name("\xfe"));
}

/* --- JSON depth -------------------------------------------------------------------- */

/* n nested containers: "[[[...]]]" or {"a":{"a":...}} around a scalar. */
static char *nested(int n, int objects, const char *inner) {
    size_t cap = (size_t)n * 8 + strlen(inner) + 1;
    char *s = cx_alloc(X, cap);
    assert_non_null(s);
    s[0] = '\0';
    for (int i = 0; i < n; i++) strcat(s, objects ? "{\"a\":" : "[");
    strcat(s, inner);
    for (int i = 0; i < n; i++) strcat(s, objects ? "}" : "]");
    return s;
}

static int depth_of(const char *json) {
    cJSON *v = cJSON_Parse(json);
    if (v == NULL) fail_msg("could not parse %s", json);
    return lim_json_depth(v, LIM_JSON_DEPTH);
}

static void test_json_depth(void **state) {
    (void)state;
    /* scalars have no nesting; every container adds one level */
    assert_int_equal(depth_of("1"), 0);
    assert_int_equal(depth_of("\"s\""), 0);
    assert_int_equal(depth_of("null"), 0);
    assert_int_equal(depth_of("true"), 0);
    assert_int_equal(lim_json_depth(NULL, LIM_JSON_DEPTH), 0);
    assert_int_equal(depth_of("[]"), 1);
    assert_int_equal(depth_of("{}"), 1);
    assert_int_equal(depth_of("[1,2,3]"), 1);
    assert_int_equal(depth_of("{\"a\":1,\"b\":\"x\"}"), 1);
    assert_int_equal(depth_of("[[]]"), 2);
    assert_int_equal(depth_of("[{}]"), 2);
    assert_int_equal(depth_of("{\"a\":[]}"), 2);
    assert_int_equal(depth_of("[[1]]"), 2);
    /* the deepest branch counts, wherever it is */
    assert_int_equal(depth_of("[1,[2,[3]],[4]]"), 3);
    assert_int_equal(depth_of("[[[[]]],1]"), 4);
    assert_int_equal(depth_of("{\"x\":[],\"y\":{\"z\":{\"w\":[1]}},\"v\":2}"), 4);
    assert_int_equal(depth_of("[[],[],[[],[[]]],[]]"), 4);
    assert_int_equal(depth_of("[[],{},[],{}]"), 2);

    /* 64 levels are fine, 65 are over: arrays, objects, empty and not */
    assert_int_equal(depth_of(nested(64, 0, "")), 64);
    assert_int_equal(depth_of(nested(64, 0, "1")), 64);
    assert_int_equal(depth_of(nested(64, 1, "1")), 64);
    assert_int_equal(depth_of(nested(63, 1, "{}")), 64);
    assert_int_equal(depth_of(nested(63, 0, "{}")), 64);
    assert_int_equal(depth_of(nested(65, 0, "")), LIM_JSON_DEPTH + 1);
    assert_int_equal(depth_of(nested(65, 1, "1")), LIM_JSON_DEPTH + 1);
    assert_int_equal(depth_of(nested(64, 1, "[]")), LIM_JSON_DEPTH + 1);
    assert_int_equal(depth_of(nested(64, 0, "{}")), LIM_JSON_DEPTH + 1);
    /* far deeper input stops counting at limit + 1 without recursion */
    assert_int_equal(depth_of(nested(500, 0, "")), LIM_JSON_DEPTH + 1);
    /* a smaller limit */
    cJSON *v = cJSON_Parse("[[[1]]]");
    assert_int_equal(lim_json_depth(v, 2), 3);
    assert_int_equal(lim_json_depth(v, 3), 3);
    /* the deep branch after a shallow sibling, and siblings after it */
    char *s = cx_alloc(X, 2000);
    assert_non_null(s);
    strcpy(s, "[1,");
    strcat(s, nested(64, 0, ""));
    strcat(s, ",2]");
    assert_int_equal(depth_of(s), LIM_JSON_DEPTH + 1);
    strcpy(s, "[");
    strcat(s, nested(63, 0, ""));
    strcat(s, ",{\"k\":[]}]");
    assert_int_equal(depth_of(s), 64);
}

/* --- URL decoding --------------------------------------------------------------------- */

static void dec_ok(const char *in, const char *want) {
    char *got = lim_url_decode(X, in, strlen(in));
    if (got == NULL) fail_msg("\"%s\" did not decode", in);
    assert_string_equal(got, want);
}

static void dec_bad(const char *in) {
    char *got = lim_url_decode(X, in, strlen(in));
    if (got != NULL) fail_msg("\"%s\" decoded to \"%s\"", in, got);
}

static void test_url_decode(void **state) {
    (void)state;
    dec_ok("", "");
    dec_ok("plain", "plain");
    dec_ok("%41", "A");
    dec_ok("a%2Fb", "a/b");
    dec_ok("a%2fb", "a/b");
    dec_ok("%3A%40", ":@");
    dec_ok("hello%20world", "hello world");
    dec_ok("a+b", "a+b"); /* '+' is literal in a path */
    dec_ok("%25", "%");
    dec_ok("%2525", "%25"); /* decoded once */
    dec_ok("%E6%97%A5", "\xe6\x97\xa5");
    dec_ok("x%41", "xA");
    dec_ok("%41x", "Ax");
    dec_bad("%");
    dec_bad("a%");
    dec_bad("%4");
    dec_bad("a%4");
    dec_bad("%zz");
    dec_bad("%4g");
    dec_bad("%g4");
    dec_bad("%00");
    dec_bad("a%00b");
    /* only n bytes are read */
    char *got = lim_url_decode(X, "abc%41def", 3);
    assert_non_null(got);
    assert_string_equal(got, "abc");
    assert_null(lim_url_decode(X, "ab%4", 4));
    got = lim_url_decode(X, "%41%42", 3);
    assert_non_null(got);
    assert_string_equal(got, "A");
}

/* --- constant-time comparison ------------------------------------------------------------- */

static void test_secure_equal(void **state) {
    (void)state;
    assert_true(lim_secure_equal("secret", 6, "secret", 6));
    assert_true(lim_secure_equal("", 0, "", 0));
    assert_false(lim_secure_equal("secret", 6, "secreT", 6));
    assert_false(lim_secure_equal("Secret", 6, "secret", 6));
    assert_false(lim_secure_equal("secre", 5, "secret", 6));
    assert_false(lim_secure_equal("secret", 6, "secre", 5));
    assert_false(lim_secure_equal("secret!", 7, "secret", 6));
    assert_false(lim_secure_equal("", 0, "x", 1));
    assert_false(lim_secure_equal("x", 1, "", 0));
    /* bytes beyond a NUL count: lengths, not C strings */
    assert_false(lim_secure_equal("ab\0c", 4, "ab\0d", 4));
    assert_true(lim_secure_equal("ab\0c", 4, "ab\0c", 4));
    /* a given string that only differs past the secret's length */
    assert_false(lim_secure_equal("tokenX", 6, "token", 5));
}

/* --- back-off ----------------------------------------------------------------------------- */

static void test_backoff(void **state) {
    (void)state;
    /* attempt = the attempt that just failed: the first retry waits `delay` */
    for (int a = 1; a <= 6; a++) assert_true(eng_backoff_ms('f', 500, a) == 500);
    assert_true(eng_backoff_ms('l', 500, 1) == 500);
    assert_true(eng_backoff_ms('l', 500, 2) == 1000);
    assert_true(eng_backoff_ms('l', 500, 3) == 1500);
    assert_true(eng_backoff_ms('l', 100, 10) == 1000);
    assert_true(eng_backoff_ms('e', 500, 1) == 500);
    assert_true(eng_backoff_ms('e', 500, 2) == 1000);
    assert_true(eng_backoff_ms('e', 500, 3) == 2000);
    assert_true(eng_backoff_ms('e', 500, 4) == 4000);
    assert_true(eng_backoff_ms('e', 100, 11) == 102400);
    assert_true(eng_backoff_ms('e', 1000, 1) == 1000);
    assert_true(eng_backoff_ms('f', 0, 3) == 0);
    assert_true(eng_backoff_ms('e', 0, 3) == 0);
    /* absurd attempt counts stay finite */
    double big = eng_backoff_ms('e', 1, 100000);
    assert_true(big > 0 && big == big && big < 1e308);
}

/* Query integers: digits only, bounded, nothing else. */
static void test_parse_digits(void **state) {
    (void)state;
    assert_int_equal(lim_parse_digits("0", 1, 10), 0);
    assert_int_equal(lim_parse_digits("1000", 4, 1000), 1000);
    assert_int_equal(lim_parse_digits("1001", 4, 1000), -1);
    assert_int_equal(lim_parse_digits("9223372036854775807", 19, INT64_MAX), INT64_MAX);
    assert_int_equal(lim_parse_digits("9223372036854775808", 19, INT64_MAX), -1);
    const char *bad[] = {"", " 1", "+1", "-1", "0x10", "1e3", "1.", "nan", "inf", "1 "};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(lim_parse_digits(bad[k], strlen(bad[k]), INT64_MAX), -1);
    assert_int_equal(lim_parse_digits("12~x", 2, 100), 12); /* only the n bytes given */
}

int test_lim_run(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parse_digits, reset),
        cmocka_unit_test_setup(test_duration_units, reset),
        cmocka_unit_test_setup(test_duration_malformed, reset),
        cmocka_unit_test_setup(test_duration_overflow, reset),
        cmocka_unit_test_setup(test_size_units, reset),
        cmocka_unit_test_setup(test_size_malformed, reset),
        cmocka_unit_test_setup(test_size_overflow, reset),
        cmocka_unit_test_setup(test_valid_id, reset),
        cmocka_unit_test_setup(test_valid_name, reset),
        cmocka_unit_test_setup(test_json_depth, reset),
        cmocka_unit_test_setup(test_url_decode, reset),
        cmocka_unit_test_setup(test_secure_equal, reset),
        cmocka_unit_test_setup(test_backoff, reset),
    };
    int failed = cmocka_run_group_tests_name("lim", tests, NULL, NULL);
    cx_leave();
    cx_close(X);
    X = NULL;
    return failed;
}

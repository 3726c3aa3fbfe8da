/* lim.h — the identifiers, units and limits of docs/http-api.md and docs/steps.md, as pure
 * functions (no I/O, no allocation except where a result is returned). */
#ifndef AB_LIM_H
#define AB_LIM_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"
#include "cx.h"

#define LIM_BODY_MAX (1024 * 1024)        /* request body */
#define LIM_STEP_RESULT_MAX (1024 * 1024) /* one serialized step result */
#define LIM_JSON_DEPTH 64                 /* nesting levels */
#define LIM_NAME_MAX 128                  /* ids, step/event/update names */
#define LIM_DEFAULT_RESULT_LIMIT ((int64_t)64 * 1024 * 1024)
/* Every stored value is at most 1 MiB (a step result, the workflow's
 * result, an update's data, a payload) and every stored message at most
 * LIM_MESSAGE_MAX, and each lives in a row of its own or with bounded
 * company, so no accepted request can exceed SQLite's 2 MB per row. */
#define LIM_VALUE_MAX (1024 * 1024)
#define LIM_MESSAGE_MAX 4096
/* A step's retryHistory keeps its newest entries within this many bytes. */
#define LIM_HISTORY_MAX (256 * 1024)

/* "<int>(ms|s|m|h|d)" -> milliseconds. Returns 0 on success, -1 if malformed
 * or out of range. */
int lim_parse_duration(const char *s, int64_t *ms);

/* "<int>(b|kb|mb|gb)" (binary units) -> bytes. 0 or -1 as above. */
int lim_parse_size(const char *s, int64_t *bytes);

/* Instance id: 1..128 bytes of [A-Za-z0-9._:@-], not starting with "__",
 * not "." or "..";
 * LIM_ID_RULE says so in the words of every error message. */
int lim_valid_id(const char *s);
#define LIM_ID_RULE "1 to 128 characters of A-Z a-z 0-9 . _ : @ -, not starting with __, not . or .."

/* Step, event and update names: 1..128 bytes of valid UTF-8 without control
 * characters. */
int lim_valid_name(const char *s);

/* Nesting depth of a JSON value: containers count, a scalar is 0, [] is 1.
 * Stops counting at limit+1. */
int lim_json_depth(const cJSON *v, int limit);

/* Percent-decodes a URL path segment into a fresh arena string; NULL if the
 * encoding is malformed or decodes to a NUL byte. */
char *lim_url_decode(cx *X, const char *s, size_t n);

/* A random RFC 4122 version-4 UUID (arena string), from host randomness. */
char *lim_uuid(cx *X);

/* Constant-time comparison of two byte strings (the time depends only on
 * the length of b, the secret). */
int lim_secure_equal(const char *a, size_t alen, const char *b, size_t blen);

/* The n bytes at s as a non-negative decimal integer up to max; -1 if empty,
 * not all digits, or larger (query values are parsed this strictly: no sign,
 * space, hex or exponent). */
int64_t lim_parse_digits(const char *s, size_t n, int64_t max);

/* s cut to at most max bytes (at a UTF-8 boundary, "…" appended) in a fresh
 * arena string; s itself when it fits; NULL only on allocation failure. */
const char *lim_clip(cx *X, const char *s, size_t max);

/* 32-bit FNV-1a, for shard selection and hash tables. */
uint32_t lim_hash(const char *s, size_t n);

/* The listing index: LIM_INDEX_SHARDS objects named "__index:<n>" (a name
 * no instance id can take); an instance's entry lives in shard
 * lim_shard_of(id). */
#define LIM_INDEX_SHARDS 8
int lim_shard_of(const char *id);
/* "__index:<n>" in the arena, or NULL. */
char *lim_shard_name(cx *X, int n);

#endif

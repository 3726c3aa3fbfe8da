/* json.h — untrusted JSON in, exact JSON out: a strict reader in front of
 * cJSON and a printer whose numbers survive the round trip bit for bit.
 *
 * Why: cJSON 1.7.15 is lenient where a durable store must not be. It keeps
 * duplicate keys (the first one wins on lookup; JavaScript's JSON.parse keeps
 * the last), truncates a string at "\u0000" (its strings are NUL-terminated),
 * accepts "1.", "01", raw control characters and bytes that are not UTF-8,
 * skips any byte up to 0x20 as whitespace, ignores trailing garbage when
 * given a length ("{} x" is {}), and prints numbers through "%.15g" with an
 * epsilon comparison, so 0.30000000000000004 comes back as 0.3 and
 * 1.7976931348623157e308 as 1.79769313486232e+308, which is Infinity. What a
 * client sends is stored and shown back; it must be exactly what it meant.
 *
 * The contract (docs/json.md, "JSON: what goes in comes out"):
 *
 *   json_parse accepts exactly RFC 8259 JSON text — one value, optional
 *   whitespace (space, tab, CR, LF) around it — that is also valid UTF-8
 *   (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF),
 *   nests at most LIM_JSON_DEPTH (64) containers deep, has no object with
 *   two equal keys (compared after decoding escapes), contains no "\u0000"
 *   and no unpaired surrogate escape, and whose numbers are finite doubles
 *   (1e400 is refused; 1e-400 is 0 as in JavaScript; -0 stays -0).
 *
 *   json_print writes compact JSON; every number is the shortest decimal
 *   that reads back as the same double, in JavaScript's Number#toString
 *   format, so for accepted text json_print(json_parse(t)) is what
 *   JSON.stringify(JSON.parse(t)) gives, except that -0 prints as -0 and
 *   keys keep the text's order (V8 moves integer-like keys first).
 *
 * Memory: everything lives in the handle's arena and dies with the call;
 * nothing is freed. json_parse builds its tree with cJSON, which allocates
 * from the *current* handle (cx_enter), so X must be the current handle.
 *
 * Errors are values: CX_OK, JSON_INVALID (the text is not acceptable; *err
 * says where and why; nothing is recorded in X, it is the caller's input
 * that is wrong) or CX_NOMEM (recorded in X). An allocation failure is never
 * reported as invalid input, and invalid input never as an allocation
 * failure.
 */
#ifndef AB_JSON_H
#define AB_JSON_H

#include <stddef.h>

#include "cJSON.h"
#include "cx.h"
#include "sb.h"

/* json_parse's answer for text that is not acceptable. Positive, so it can
 * never be mistaken for a cx_rc. */
#define JSON_INVALID 1

/* Why a text was refused. */
typedef struct json_error {
    size_t offset;       /* byte offset into the text: the offending byte, or the start
                            of the string, escape, number, key or container in question;
                            the text's length at its end */
    const char *message; /* lower case, no offset, e.g. "duplicate key" (static or arena) */
    cJSON *path;         /* array (arena) of strings (keys) and numbers (indexes) from the
                            root to the value in question; [] at the top level */
} json_error;

/* Parses text[0..len) (need not be NUL-terminated). Validates the whole
 * text against the contract above in one pass first and only then lets
 * cJSON_ParseWithLength build the tree, so cJSON only ever sees text it
 * reads exactly as JSON means it.
 *
 * Returns CX_OK with *out the value (arena, the caller's to keep or drop),
 * JSON_INVALID with *out NULL and *err filled (err may be NULL if the caller
 * does not care why), or CX_NOMEM with *out NULL.
 *
 * A duplicate key is found when its object ends (the keys are sorted then,
 * which costs n log n whatever the keys are); every other problem where it
 * occurs. So the error reported is the first in the text, except that a
 * syntax error inside an object comes before a duplicate key of that
 * object. */
int json_parse(cx *X, const char *text, size_t len, cJSON **out, json_error *err);

/* One escape of a JSON string, as json_parse reads it (db.c's pages of rows
 * read theirs the same way): t[at] is its backslash, t[0..len) the text.
 * Returns the escape's length (2, 6, or 12 for a surrogate pair, which is one
 * character) with *cp the character; or 0 with *bad the offset of the fault,
 * *why what it is, and *cp the code point of a lone surrogate. */
typedef enum json_esc_fault {
    JSON_ESC_END = 1, /* the text ends inside the escape */
    JSON_ESC_HEX,     /* \u without four hex digits */
    JSON_ESC_NUL,     /* \u0000: strings cannot hold NUL */
    JSON_ESC_LONE,    /* half a surrogate pair */
    JSON_ESC_BAD      /* no such escape */
} json_esc_fault;
size_t json_escape(const char *t, size_t len, size_t at, unsigned *cp, size_t *bad,
                   json_esc_fault *why);

/* A stored JSON text that is an integer as json_print writes one (an
 * optional '-', then "0" or 1..15 digits without a leading zero: exact as a
 * double), as a cJSON number; NULL for any other text (or no memory), which
 * the caller parses. Replay hands a step its stored result: a count, a sum,
 * an id is often all it is, and needs no parser. */
cJSON *json_int_value(const char *t);

/* Appends the UTF-8 of code point cp (not a surrogate, below 0x110000). */
void json_put_utf8(sb *s, unsigned cp);

/* A validation issue for err, shaped like schema_validate's and
 * http_issue's: {"path": [...], "message": "<message> (at byte <offset>)"},
 * for VALIDATION_ERROR details.issues. A fresh value (arena); err is not
 * changed. NULL when an allocation failed (CX_NOMEM recorded). Needs X
 * current, like json_parse. */
cJSON *json_issue(cx *X, const json_error *err);

/* Compact JSON text of v (NUL-terminated, arena), or NULL with CX_NOMEM
 * recorded. v is borrowed and must not be NULL.
 *
 *   numbers: json_number below. NaN and ±Infinity cannot come out of
 *     json_parse, but a workflow's C code can make them: they print as null,
 *     which is what JSON.stringify does.
 *   strings and keys: '"', '\' and control characters are escaped as
 *     JSON.stringify does (\b \f \n \r \t, else \u00XX in lower case);
 *     everything else is kept, valid UTF-8 as is. Bytes that are not valid
 *     UTF-8 (only C code can make them) print as U+FFFD, one per maximal
 *     invalid subsequence (as a WHATWG decoder reads them), so the output is
 *     always UTF-8. A NULL string prints as "".
 *   raw items (cJSON_Raw) are emitted as they are: the engine stores JSON
 *     text it has already checked and embeds it without re-parsing (a NULL
 *     raw text prints null).
 *   an item of no known type prints as null.
 *
 * Deliberately not checked: a C-built object with two equal keys, or
 * nesting deeper than 64, prints as it is; json_parse would refuse the text.
 * Nesting costs no C stack (the walk is iterative). */
char *json_print(cx *X, const cJSON *v);
/* A raw node (JSON text printed as it is) holding `text` itself, not a copy
 * (cJSON_CreateRaw copies): text must live in the call's arena, as the node
 * does. NULL on allocation failure or a NULL text. */
cJSON *json_raw_of(char *text);

/* Room for any json_number output, NUL included. */
#define JSON_NUMBER_MAX 32

/* Writes x into buf as JavaScript's Number#toString does: the fewest
 * significant digits (at most 17) that read back (strtod) as exactly x,
 * plain notation for 1e-6 <= |x| < 1e21 ("0.1", "123456789012345680000"),
 * exponent notation otherwise ("1e+21", "5e-324", "1.7976931348623157e+308").
 * -0 is "-0" (JavaScript says "0": the one place the two differ, so that
 * -0 survives); NaN and ±Infinity are "null". Returns the length. */
size_t json_number(char buf[JSON_NUMBER_MAX], double x);

/* Appends str (NULL: "") as a JSON string, escaped as JSON.stringify
 * escapes it, invalid UTF-8 as U+FFFD (what json_print writes for a string),
 * and x as json_number writes it: for answers written straight into an sb,
 * where a tree of cJSON nodes would cost more than the text. */
void json_put_string(sb *s, const char *str);
void json_put_number(sb *s, double x);

#endif

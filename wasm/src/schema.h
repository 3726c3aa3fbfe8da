/* schema.h -- JSON Schema (subset) validation of cJSON values.
 *
 * Keywords: type, properties, required, additionalProperties, items, enum,
 * const, minimum, maximum, exclusiveMinimum, exclusiveMaximum (draft-07
 * numbers), minLength, maxLength, minItems, maxItems, anyOf, and the boolean
 * schemas true and false. Annotations (title, description, default, examples,
 * $schema, $id, $comment) are accepted and ignored; schema_lint() refuses any
 * other keyword, so a definition never relies on a rule that is not checked.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include "cJSON.h"
#include "cx.h"

/* Validates value against schema and appends one issue per violation to
 * `issues` (a cJSON array owned by the caller): {"path": [..], "message": ".."}.
 * path items are strings (property names) or numbers (array indexes), from the
 * root of value. Returns the number of issues appended (0 = valid), or -1 when
 * an allocation failed. schema and value are borrowed, never modified.
 *
 * On -1 the issues appended by this call are removed again, so `issues` is
 * as the caller passed it. -1 is also returned when `issues` is not an array.
 * A known keyword with a malformed value (e.g. "minimum": "1") is reported as
 * an issue "invalid schema keyword 'minimum'": a broken schema rejects input
 * rather than silently accepting it. */
int schema_validate(const cJSON *schema, const cJSON *value, cJSON *issues);

/* Checks that schema is one this validator understands: every keyword known
 * (or an annotation) with a well-formed value, recursively. Appends
 * {"path": [..], "message"} issues (path into the schema); returns their
 * count, or -1 on allocation failure. */
int schema_lint(const cJSON *schema, cJSON *issues);

/* Validates value against a schema given as JSON text (NULL accepts
 * anything), parsing each schema text once per call (cached in X).
 * Returns 0 valid, 1 invalid with *issues set (arena), or a negative cx_rc:
 * CX_NOMEM (recorded), or CX_BADDEF when the text is not JSON (the build
 * refuses such definitions; this is the run-time guard): not recorded, the
 * caller records a message that names the definition. */
int schema_check(cx *X, const char *schema_text, const cJSON *value, cJSON **issues);

/* "path.to.field: message" of the first issue, for error messages. */
const char *schema_first_issue(cx *X, const cJSON *issues);

#endif /* SCHEMA_H */

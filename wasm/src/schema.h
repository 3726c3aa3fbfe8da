/* schema.h -- JSON Schema (subset) validation of cJSON values.
 *
 * Keywords: type, properties, required, additionalProperties, items, enum,
 * const, minimum, maximum, exclusiveMinimum, exclusiveMaximum (draft-07
 * numbers), minLength, maxLength, minItems, maxItems, anyOf, and the boolean
 * schemas true and false. Other keywords are ignored.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include "cJSON.h"

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

#endif /* SCHEMA_H */

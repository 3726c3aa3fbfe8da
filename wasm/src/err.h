/* err.h — the error catalog of the HTTP API: every code with its HTTP status
 * and source (docs/http-api.md, "Errors"). One table in err.c names them all.
 */
#ifndef AB_ERR_H
#define AB_ERR_H

typedef enum err_code {
    ERR_NONE = 0,
    ERR_WORKFLOW_NOT_FOUND,
    ERR_WORKFLOW_ALREADY_EXISTS,
    ERR_WORKFLOW_TYPE_UNKNOWN,
    ERR_VALIDATION_ERROR,
    ERR_EVENT_INVALID,
    ERR_WORKFLOW_NOT_RUNNING,
    ERR_STEP_FAILED,
    ERR_STEP_RETRY_EXHAUSTED,
    ERR_EVENT_TIMEOUT,
    ERR_UPDATE_TIMEOUT,
    ERR_RESOURCE_NOT_FOUND,
    ERR_METHOD_NOT_ALLOWED,
    ERR_UNAUTHORIZED,
    ERR_PAYLOAD_TOO_LARGE,
    ERR_INTERNAL_ERROR,
    ERR__COUNT
} err_code;

const char *err_name(err_code code);
int err_status(err_code code);
/* "api" | "engine" | "step" | "validation" */
const char *err_source(err_code code);
/* The code named `name`, or ERR_NONE if there is none. */
err_code err_parse(const char *name);

#endif

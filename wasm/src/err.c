/* err.c — see err.h. */
#include "err.h"

#include <string.h>

static const struct {
    const char *name;
    int status;
    const char *source;
} catalog[ERR__COUNT] = {
    [ERR_NONE] = {"", 200, "api"},
    [ERR_WORKFLOW_NOT_FOUND] = {"WORKFLOW_NOT_FOUND", 404, "api"},
    [ERR_WORKFLOW_ALREADY_EXISTS] = {"WORKFLOW_ALREADY_EXISTS", 409, "api"},
    [ERR_WORKFLOW_TYPE_UNKNOWN] = {"WORKFLOW_TYPE_UNKNOWN", 400, "api"},
    [ERR_VALIDATION_ERROR] = {"VALIDATION_ERROR", 400, "validation"},
    [ERR_EVENT_INVALID] = {"EVENT_INVALID", 400, "validation"},
    [ERR_WORKFLOW_NOT_RUNNING] = {"WORKFLOW_NOT_RUNNING", 409, "engine"},
    [ERR_STEP_FAILED] = {"STEP_FAILED", 500, "step"},
    [ERR_STEP_RETRY_EXHAUSTED] = {"STEP_RETRY_EXHAUSTED", 500, "step"},
    [ERR_EVENT_TIMEOUT] = {"EVENT_TIMEOUT", 408, "engine"},
    [ERR_UPDATE_TIMEOUT] = {"UPDATE_TIMEOUT", 408, "engine"},
    [ERR_RESOURCE_NOT_FOUND] = {"RESOURCE_NOT_FOUND", 404, "api"},
    [ERR_METHOD_NOT_ALLOWED] = {"METHOD_NOT_ALLOWED", 405, "api"},
    [ERR_UNAUTHORIZED] = {"UNAUTHORIZED", 401, "api"},
    [ERR_PAYLOAD_TOO_LARGE] = {"PAYLOAD_TOO_LARGE", 413, "api"},
    [ERR_INTERNAL_ERROR] = {"INTERNAL_ERROR", 500, "engine"},
};

static int in_range(err_code code) { return (int)code >= 0 && code < ERR__COUNT; }

const char *err_name(err_code code) { return in_range(code) ? catalog[code].name : ""; }
int err_status(err_code code) { return in_range(code) ? catalog[code].status : 500; }
const char *err_source(err_code code) { return in_range(code) ? catalog[code].source : "engine"; }

err_code err_parse(const char *name) {
    for (int i = 1; name && i < ERR__COUNT; i++)
        if (strcmp(catalog[i].name, name) == 0) return (err_code)i;
    return ERR_NONE;
}

/* hello.c — an example workflow. Every AB_WORKFLOW in workflows/ is
 * registered by `ablauf build`; the API is in ablauf.h (docs: the ablauf
 * package's docs/writing-workflows.md). */
#include "ablauf.h"

static ab_rc greet(ab_ctx *c, const cJSON *in, cJSON **out) {
    return ab_ok_str(c, out, "Hello, %s!", ab_get_str(in, "name"));
}

static ab_rc hello_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *greeting;
    AB_TRY(ab_do(c, "greet", NULL, greet, in, &greeting));
    return ab_ok(c, result, ab_obj(c, "greeting", greeting, AB_END));
}

AB_WORKFLOW(hello) = {
    .type = "hello",
    .input_schema = AB_JSON({"type": "object", "required": ["name"],
                             "properties": {"name": {"type": "string"}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["greeting"],
                              "properties": {"greeting": {"type": "string"}}}),
    .run = hello_run,
};

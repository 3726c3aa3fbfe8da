/* registry.c — the workflows this deployment serves. An application lists its
 * own here; the engine looks types up in this table and nowhere else. */
#include "ablauf.h"

extern const ab_workflow wf_echo, wf_test, wf_multi_step, wf_failing_step, wf_backoff_config,
    wf_non_retriable, wf_duplicate_step, wf_multi_event, wf_replay_counter, wf_sleep_until,
    wf_size_limit, wf_size_limit_retry, wf_sse_test, wf_live_progress, wf_crash_once,
    wf_no_schema, wf_benchmark, wf_benchmark_replay, wf_resume_updates, wf_http_call,
    wf_http_parallel, wf_activity_call, wf_activity_steps, wf_charge_receipt,
    wf_http_sequence;

/* The native test build adds workflows that make mistakes on purpose
 * (tests/native/workflows.c); no deployment serves them. */
#ifdef AB_NATIVE_TESTS
extern const ab_workflow tw_forgot_try, tw_forgot_try_next, tw_bad_result, tw_drift, tw_bad_schema,
    tw_fetch_seq, tw_race, tw_raw_fetch;
#define AB_TEST_WORKFLOWS &tw_forgot_try, &tw_forgot_try_next, &tw_bad_result, &tw_drift, &tw_bad_schema, \
    &tw_fetch_seq, &tw_race, &tw_raw_fetch,
#else
#define AB_TEST_WORKFLOWS
#endif

const ab_workflow *const ab_registry[] = {
    &wf_echo,          &wf_test,           &wf_multi_step,     &wf_failing_step,
    &wf_backoff_config, &wf_non_retriable,  &wf_duplicate_step, &wf_multi_event,
    &wf_replay_counter, &wf_sleep_until,    &wf_size_limit,     &wf_size_limit_retry,
    &wf_sse_test,       &wf_live_progress,  &wf_crash_once,     &wf_no_schema,
    &wf_benchmark,      &wf_benchmark_replay, &wf_resume_updates, &wf_http_call,
    &wf_http_parallel,  &wf_activity_call,  &wf_activity_steps, &wf_charge_receipt,
    &wf_http_sequence,      AB_TEST_WORKFLOWS NULL,
};

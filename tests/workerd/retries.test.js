// retries.test.js — retries, back-off, permanent failures, duplicate steps
// and result size limits (SPEC §3, §5, §8, §9).
import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  advanced, alarmAt, created, disarm, expectStatusShape, statusOf, stepOf, stubOf, timeline, uid,
} from './helpers.js';

// Back-offs here are real timers of 100ms..1s: each test disarms the alarm
// right after reading the armed time, so only _advance moves time.
async function createdQuiet(type, id, payload) {
  const s = await created(type, id, payload);
  await disarm(id);
  return s;
}

async function advancedQuiet(id) {
  const s = await advanced(id);
  await disarm(id);
  return s;
}

describe('failing-step', () => {
  it('retries with back-off and completes "recovered" (failCount 2)', async () => {
    const id = uid('fail2');
    const s1 = expectStatusShape(await created('failing-step', id, { failCount: 2 }));
    const armed = await alarmAt(id);
    await disarm(id);
    expect(s1.status).toBe('sleeping');
    let step = stepOf(s1, 'unreliable');
    expect(step).toMatchObject({ type: 'do', status: 'sleeping', attempts: 1, error: 'Intentional failure #1', result: null });
    expect(step.retryHistory).toHaveLength(1);
    expect(step.retryHistory[0]).toMatchObject({ attempt: 1, error: 'Intentional failure #1' });
    // limit 3, delay 500ms, exponential: the first retry waits 500ms.
    expect(step.wakeAt - step.retryHistory[0].timestamp).toBe(500);
    expect(armed).toBe(step.wakeAt);

    const s2 = expectStatusShape(await advancedQuiet(id));
    expect(s2.status).toBe('sleeping');
    step = stepOf(s2, 'unreliable');
    expect(step).toMatchObject({ status: 'sleeping', attempts: 2, error: 'Intentional failure #2' });
    expect(step.retryHistory.map((h) => [h.attempt, h.error])).toEqual([
      [1, 'Intentional failure #1'], [2, 'Intentional failure #2']]);
    expect(step.wakeAt - step.retryHistory[1].timestamp).toBe(1000);

    const s3 = expectStatusShape(await advanced(id));
    expect(s3.status).toBe('completed');
    expect(s3.result).toBe('recovered');
    step = stepOf(s3, 'unreliable');
    expect(step).toMatchObject({ status: 'completed', attempts: 3, result: 'recovered', wakeAt: null });
    expect(step.retryHistory).toHaveLength(2);
    expect(await statusOf(id)).toEqual(s3);
  });

  it('errors STEP_RETRY_EXHAUSTED after 3 attempts (failCount 3)', async () => {
    const id = uid('fail3');
    await createdQuiet('failing-step', id, { failCount: 3 });
    await advancedQuiet(id);
    const s = expectStatusShape(await advanced(id));
    expect(s.status).toBe('errored');
    expect(s.errorCode).toBe('STEP_RETRY_EXHAUSTED');
    expect(s.error).toBe('Step "unreliable" failed after 3 attempts: Intentional failure #3');
    expect(s.result).toBeNull();
    const step = stepOf(s, 'unreliable');
    expect(step).toMatchObject({ status: 'failed', attempts: 3, wakeAt: null, error: 'Intentional failure #3' });
    expect(step.retryHistory.map((h) => h.attempt)).toEqual([1, 2, 3]);
    // Ended: no alarm, and nothing more happens.
    expect(await alarmAt(id)).toBeNull();
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(false);
    expect(await statusOf(id)).toEqual(s);
  });

  it('completes at once with failCount 0', async () => {
    const s = await created('failing-step', uid('fail0'), { failCount: 0 });
    expect(s.status).toBe('completed');
    expect(s.result).toBe('recovered');
    expect(stepOf(s, 'unreliable')).toMatchObject({ attempts: 1, retryHistory: null });
  });

  it('shows attempts and retryHistory in the timeline', async () => {
    const id = uid('fail-tl');
    await createdQuiet('failing-step', id, { failCount: 1 });
    const done = await advanced(id);
    expect(done.status).toBe('completed');
    const res = await timeline(id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, type: 'failing-step', status: 'completed' });
    expect(res.body.timeline).toHaveLength(1);
    const t = res.body.timeline[0];
    expect(t).toMatchObject({ name: 'unreliable', type: 'do', status: 'completed', attempts: 2, error: null });
    expect(t.startedAt).toBe(stepOf(done, 'unreliable').startedAt);
    expect(t.retryHistory).toEqual(stepOf(done, 'unreliable').retryHistory);
    expect(t.retryHistory).toHaveLength(1);
  });
});

describe('backoff-config', () => {
  const expected = {
    fixed: (a) => 100,
    linear: (a) => 100 * a,
    exponential: (a) => 100 * 2 ** (a - 1),
  };
  for (const [strategy, wait] of Object.entries(expected)) {
    it(`waits per the ${strategy} strategy after each failed attempt`, async () => {
      const id = uid(`backoff-${strategy}`);
      const failCount = 4;
      let s = await createdQuiet('backoff-config', id, { failCount, strategy });
      for (let attempt = 1; attempt <= failCount; attempt++) {
        expect(s.status, `after attempt ${attempt}`).toBe('sleeping');
        const step = stepOf(s, 'configurable-step');
        expect(step.attempts).toBe(attempt);
        expect(step.retryHistory).toHaveLength(attempt);
        const h = step.retryHistory[attempt - 1];
        expect(h).toMatchObject({ attempt, error: `Intentional failure #${attempt}` });
        expect(step.wakeAt - h.timestamp, `${strategy} attempt ${attempt}`).toBe(wait(attempt));
        s = await advancedQuiet(id);
      }
      expect(s.status).toBe('completed');
      expect(s.result).toBe('ok');
      expect(stepOf(s, 'configurable-step').attempts).toBe(failCount + 1);
    });
  }

  it('exhausts the per-step limit of 5', async () => {
    const id = uid('backoff-exhaust');
    let s = await createdQuiet('backoff-config', id, { failCount: 5, strategy: 'linear' });
    for (let i = 0; i < 4; i++) s = await advancedQuiet(id);
    expect(s.status).toBe('errored');
    expect(s.errorCode).toBe('STEP_RETRY_EXHAUSTED');
    expect(s.error).toBe('Step "configurable-step" failed after 5 attempts: Intentional failure #5');
  });
});

describe('non-retriable', () => {
  it('fails permanently without retry when shouldFail', async () => {
    const id = uid('nonretry-fail');
    const s = expectStatusShape(await created('non-retriable', id, { shouldFail: true }));
    expect(s.status).toBe('errored');
    expect(s.errorCode).toBe('STEP_FAILED');
    expect(s.error).toBe('Step "maybe-fail" failed: Intentional permanent failure');
    const step = stepOf(s, 'maybe-fail');
    expect(step).toMatchObject({ status: 'failed', attempts: 1, wakeAt: null, error: 'Intentional permanent failure' });
    expect(step.retryHistory).toHaveLength(1);
    expect(await alarmAt(id)).toBeNull();
    // Nothing is pending: the instance stays as it is.
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(false);
    expect(await statusOf(id)).toEqual(s);
  });

  it('succeeds when not asked to fail', async () => {
    const s = await created('non-retriable', uid('nonretry-ok'), { shouldFail: false });
    expect(s.status).toBe('completed');
    expect(s.result).toBe('success');
    expect(stepOf(s, 'maybe-fail')).toMatchObject({ attempts: 1, retryHistory: null });
  });
});

describe('duplicate-step', () => {
  it('errors the instance with the duplicate-step message', async () => {
    const id = uid('dup');
    const s = expectStatusShape(await created('duplicate-step', id, {}));
    expect(s.status).toBe('errored');
    expect(s.errorCode).toBe('VALIDATION_ERROR');
    expect(s.error).toBe('Duplicate step name "fetch-data"');
    expect(s.steps.filter((x) => x.name === 'fetch-data')).toHaveLength(1);
    expect(stepOf(s, 'fetch-data')).toMatchObject({ status: 'completed', result: 'data', attempts: 1 });
    expect(await statusOf(id)).toEqual(s);
  });
});

describe('result size limits', () => {
  it('size-limit: overflowing the 1kb limit errors without retry', async () => {
    const id = uid('size');
    const s = expectStatusShape(await created('size-limit', id, { chunkSize: 600, stepCount: 3 }));
    expect(s.status).toBe('errored');
    expect(s.error).toContain('result size limit');
    expect(s.errorCode).toBe('STEP_FAILED');
    expect(stepOf(s, 'chunk-0')).toMatchObject({ status: 'completed', attempts: 1 });
    const over = stepOf(s, 'chunk-1');
    expect(over).toMatchObject({ status: 'failed', attempts: 1, wakeAt: null });
    expect(over.error).toContain('result size limit');
    expect(s.steps.map((x) => x.name)).toEqual(['chunk-0', 'chunk-1']);
  });

  it('size-limit: results within the limit complete', async () => {
    const s = await created('size-limit', uid('size-ok'), { chunkSize: 100, stepCount: 5 });
    expect(s.status).toBe('completed');
    expect(s.result).toEqual({ totalChunks: 5 });
  });

  it('size-limit-retry: overflow is retried, then STEP_RETRY_EXHAUSTED after 2 attempts', async () => {
    const id = uid('size-retry');
    const s1 = await createdQuiet('size-limit-retry', id, { chunkSize: 600, stepCount: 2 });
    expect(s1.status).toBe('sleeping');
    const step = stepOf(s1, 'chunk-1');
    expect(step).toMatchObject({ status: 'sleeping', attempts: 1 });
    expect(step.error).toContain('result size limit');
    expect(step.wakeAt - step.retryHistory[0].timestamp).toBe(100);
    const s2 = await advanced(id);
    expect(s2.status).toBe('errored');
    expect(s2.errorCode).toBe('STEP_RETRY_EXHAUSTED');
    expect(s2.error).toMatch(/^Step "chunk-1" failed after 2 attempts: /);
    expect(s2.error).toContain('result size limit');
    expect(stepOf(s2, 'chunk-1')).toMatchObject({ status: 'failed', attempts: 2 });
    expect(stepOf(s2, 'chunk-0')).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('a single step result over 1 MiB fails without retry even in retry mode', async () => {
    const id = uid('size-step');
    const s = await created('size-limit-retry', id, { chunkSize: 1024 * 1024 + 1, stepCount: 1 });
    expect(s.status).toBe('errored');
    expect(s.errorCode).toBe('STEP_FAILED');
    expect(stepOf(s, 'chunk-0')).toMatchObject({ status: 'failed', attempts: 1 });
  });
});

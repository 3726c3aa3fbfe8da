// io.test.js — call steps inside workerd: the demo's activities (success,
// retries, a non-retriable failure) and the built-in activities against
// miniflare's real KV namespace and queue (wrangler.toml: DEMO_KV, RECEIPTS,
// whose consumer files receipts in DEMO_KV), and bad input from C.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { advanced, created, expectStatusShape, statusOf, stepOf, uid } from './helpers.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** _advance until the instance is no longer sleeping (retry back-offs). */
async function untilRest(id, first) {
  let s = first;
  for (let i = 0; i < 10 && (s.status === 'sleeping' || s.status === 'running'); i++) {
    await sleep(120); // past the 100 ms back-off, so the retry's attempt is due either way
    s = await advanced(id);
  }
  return s;
}

describe('activities', () => {
  it('activity-call: the activity\'s value is the result, one attempt', async () => {
    const id = uid('act');
    const s = expectStatusShape(await created('activity-call', id, { text: 'hello' }));
    expect(s.status).toBe('completed');
    expect(s.result).toEqual({ text: 'HELLO' });
    const step = stepOf(s, 'upper');
    expect(step).toMatchObject({ type: 'call', status: 'completed', attempts: 1, result: 'HELLO' });
    expect(step.request).toEqual({ activity: 'uppercase', args: { text: 'hello', failCount: 0 } });
  });

  it('activity-call with failCount 2: two thrown errors are retried, attempt counts reach the activity', async () => {
    const id = uid('act-retry');
    const s = await untilRest(id, await created('activity-call', id, { text: 'abc', failCount: 2 }));
    expect(s.status).toBe('completed');
    expect(s.result).toEqual({ text: 'ABC' });
    const step = stepOf(s, 'upper');
    expect(step.attempts).toBe(3);
    expect(step.retryHistory.map((h) => h.error)).toEqual(['Activity failure #1', 'Activity failure #2']);
  });

  it('activity-call exhausting its 4 attempts errors with STEP_RETRY_EXHAUSTED', async () => {
    const id = uid('act-exhaust');
    const s = await untilRest(id, await created('activity-call', id, { text: 'x', failCount: 9 }));
    expect(s.status).toBe('errored');
    expect(s.errorCode).toBe('STEP_RETRY_EXHAUSTED');
    expect(s.error).toBe('Step "upper" failed after 4 attempts: Activity failure #4');
  });

  it('a NonRetriableError fails the step at once', async () => {
    const id = uid('refuse');
    const s = await created('activity-steps', id, { calls: [{ activity: 'refuse', args: { reason: 'card declined' } }] });
    expect(s.status).toBe('errored');
    expect(s.errorCode).toBe('STEP_FAILED');
    expect(s.error).toBe('Step "call-0" failed: card declined');
    expect(stepOf(s, 'call-0').attempts).toBe(1);
  });
});

describe('built-in activities against real bindings', () => {
  it('kv.put / kv.get / kv.delete round-trip through DEMO_KV', async () => {
    const id = uid('kv');
    const key = `k-${id}`;
    const s = await created('activity-steps', id, {
      calls: [
        { activity: 'kv.put', args: { binding: 'DEMO_KV', key, value: { a: [1, 'two'] } } },
        { activity: 'kv.get', args: { binding: 'DEMO_KV', key, type: 'json' } },
        { activity: 'kv.get', args: { binding: 'DEMO_KV', key } },
        { activity: 'kv.put', args: { binding: 'DEMO_KV', key: `${key}-text`, value: 'plain' } },
        { activity: 'kv.delete', args: { binding: 'DEMO_KV', key } },
        { activity: 'kv.get', args: { binding: 'DEMO_KV', key } },
      ],
    });
    expect(s.status, JSON.stringify(s)).toBe('completed');
    expect(s.result.results).toEqual([null, { a: [1, 'two'] }, '{"a":[1,"two"]}', null, null, null]);
    expect(await env.DEMO_KV.get(`${key}-text`)).toBe('plain');
    expect(await env.DEMO_KV.get(key)).toBe(null);
  });

  it('queue.send reaches the queue: the consumer files the message in KV', async () => {
    const id = uid('q');
    const s = await created('activity-steps', id, {
      calls: [{ activity: 'queue.send', args: { binding: 'RECEIPTS', body: { order: id, amount: 42 } } }],
    });
    expect(s.status, JSON.stringify(s)).toBe('completed');
    let filed = null;
    for (let i = 0; i < 100 && filed === null; i++) {
      filed = await env.DEMO_KV.get(`receipt:${id}`, 'json');
      if (filed === null) await sleep(100);
    }
    expect(filed).toEqual({ order: id, amount: 42 });
  });
});

describe('bad input is a clear step error', () => {
  it('an unknown activity fails the step after one attempt', async () => {
    const id = uid('unknown');
    const s = await created('activity-steps', id, { calls: [{ activity: 'no-such-thing', args: {} }] });
    expect(s.status).toBe('errored');
    expect(s.errorCode).toBe('STEP_FAILED');
    expect(s.error).toBe('Step "call-0" failed: Unknown activity "no-such-thing" (register it in createAblauf({ activities }))');
    expect(stepOf(s, 'call-0').attempts).toBe(1);
  });

  it('a binding that is not bound, and arguments without a key', async () => {
    const id = uid('unbound');
    let s = await created('activity-steps', id, { calls: [{ activity: 'kv.get', args: { binding: 'NOPE', key: 'k' } }] });
    expect(s.error).toBe('Step "call-0" failed: kv.get: binding "NOPE" is not bound in this worker (wrangler.toml)');
    s = await created('activity-steps', uid('nokey'), { calls: [{ activity: 'kv.get', args: { binding: 'DEMO_KV' } }] });
    expect(s.error).toBe('Step "call-0" failed: kv.get: args need "key", a non-empty string');
  });

  it('an undeclared secret and a malformed request never leave the engine', async () => {
    let s = await created('http-call', uid('undeclared'), { url: 'https://example.invalid/{{API_KEY}}' });
    expect(s.status).toBe('errored');
    expect(s.error).toBe('Step "call" failed: invalid request: secret "API_KEY" is not declared by workflow "http-call" (list it in the definition\'s secrets)');
    s = await created('http-call', uid('ftp'), { url: 'ftp://example.invalid/file' });
    expect(s.error).toBe('Step "call" failed: invalid request: the url "ftp://example.invalid/file" is not http:// or https://');
    expect(stepOf(s, 'call').attempts).toBe(1);
  });

  it('a declared secret that the worker does not have fails for good, naming it', async () => {
    const s = await created('http-call', uid('unset'), { url: 'https://example.invalid/', headers: { authorization: '{{DEMO_SECRET}}' } });
    expect(s.status).toBe('errored');
    expect(s.error).toBe('Step "call" failed: secret "DEMO_SECRET" is not set in the worker\'s environment (a var or secret)');
    const again = await statusOf(s.id);
    expect(again.status).toBe('errored');
  });
});

// Concurrent requests to one instance, over real HTTP against wrangler dev.
// Requests, alarms and socket events of one object may interleave at every
// await of the shim; the outcome must be that of some serial order, and a
// client's concurrency must never be mistaken for an isolate death (a death
// shows as a crash entry in a step's retryHistory, an extra attempt, or
// "crashed N times in a row").
import { inject, describe, expect, it } from 'vitest';
import { apiCaller } from '../support/api.js';

const base = inject('baseUrl');

const call = apiCaller(base);

/** Every step ran exactly once and no failure was recorded. */
function expectNoDeath(s) {
  expect(s.errorCode).toBeNull();
  for (const step of s.steps) {
    if (step.type !== 'do') continue;
    expect(step.retryHistory ?? []).toEqual(
      (step.retryHistory ?? []).filter((h) => !/crashed/.test(h.error)),
    );
  }
}

function shuffle(a, seed) {
  let x = seed;
  for (let i = a.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const j = x % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('concurrent requests to one instance', () => {
  it('50 mixed requests at each of 10 replay-counter instances end as a serial order would', async () => {
    const run = Date.now();
    const ids = Array.from({ length: 10 }, (_, i) => `cc-${run}-${i}`);
    for (const id of ids) {
      const c = await call('POST', '', { type: 'replay-counter', id, payload: { id } });
      expect(c.status).toBe(201);
      expect(c.body.status).toBe('waiting');
    }
    const answers = await Promise.all(ids.flatMap((id, k) => {
      const reqs = [];
      for (let i = 0; i < 12; i++) reqs.push(['POST', `/${id}/pause`]);
      for (let i = 0; i < 12; i++) reqs.push(['POST', `/${id}/resume`]);
      for (let i = 0; i < 10; i++) reqs.push(['GET', `/${id}`]);
      for (let i = 0; i < 10; i++) reqs.push(['POST', `/${id}/_advance`]);
      for (let i = 0; i < 6; i++) reqs.push(['POST', `/${id}/events/continue`, {}]);
      return shuffle(reqs, k + 1).map(([m, p, b]) => call(m, p, b));
    }));
    // 409 is an ended (completed) instance refusing pause/resume: allowed.
    for (const a of answers) expect([200, 202, 409]).toContain(a.status);
    for (const id of ids) {
      // Whatever the order, a "continue" arrived: one more resume (in case the
      // last word was a pause) and the instance completes.
      const r = await call('POST', `/${id}/resume`);
      expect([200, 409]).toContain(r.status);
      const s = (await call('GET', `/${id}`)).body;
      expect(s.status).toBe('completed');
      expect(s.result).toEqual({ result1: 'first', result2: 'second', result3: 'third' });
      expectNoDeath(s);
      for (const step of s.steps.filter((x) => x.type === 'do')) expect(step.attempts).toBe(1);
    }
  });

  it('parallel _advance on backoff-config retries exactly as the policy says', async () => {
    const run = Date.now();
    const ids = Array.from({ length: 5 }, (_, i) => `cb-${run}-${i}`);
    for (const id of ids) {
      const c = await call('POST', '', { type: 'backoff-config', id, payload: { failCount: 2, strategy: 'fixed' } });
      expect(c.status).toBe(201);
    }
    const answers = await Promise.all(ids.flatMap((id) =>
      Array.from({ length: 8 }, () => call('POST', `/${id}/_advance`))));
    for (const a of answers) expect(a.status).toBe(200);
    for (const id of ids) {
      let s = (await call('GET', `/${id}`)).body;
      for (let i = 0; i < 10 && s.status !== 'completed'; i++) s = (await call('POST', `/${id}/_advance`)).body;
      expect(s.status).toBe('completed');
      expect(s.result).toBe('ok');
      const step = s.steps[0];
      expect(step.attempts).toBe(3);
      expect(step.retryHistory.map((h) => h.error)).toEqual(['Intentional failure #1', 'Intentional failure #2']);
    }
  });

  it('simultaneous events to 10 waiting instances all resume, none errors', async () => {
    const run = Date.now();
    const ids = Array.from({ length: 10 }, (_, i) => `ce-${run}-${i}`);
    for (const id of ids) {
      const c = await call('POST', '', { type: 'test', id, payload: { name: 'Ann' } });
      expect(c.status).toBe(201);
      await call('POST', `/${id}/_advance`);
    }
    const answers = await Promise.all(ids.flatMap((id) =>
      Array.from({ length: 5 }, () => call('POST', `/${id}/events/approval`, { approved: true }))));
    for (const a of answers) expect([202, 409]).toContain(a.status);
    for (const id of ids) {
      const s = (await call('GET', `/${id}`)).body;
      expect(s.status).toBe('completed');
      expect(s.result.message).toBe('Ann was approved');
      expectNoDeath(s);
    }
  });

  it('the listing catches up with 30 concurrent creates and their changes, delivered after each answer', async () => {
    const run = Date.now();
    const ids = Array.from({ length: 30 }, (_, i) => `cl-${run}-${i}`);
    const created = await Promise.all(ids.map((id) => call('POST', '', { type: 'test', id, payload: { name: 'Lu' } })));
    for (const c of created) expect(c.status).toBe(201);
    // half of them move on: sleeping -> waiting
    await Promise.all(ids.slice(0, 15).map((id) => call('POST', `/${id}/_advance`)));
    const want = new Map(ids.map((id, i) => [id, i < 15 ? 'waiting' : 'sleeping']));
    // No answer waited for the index shards; within a few seconds every
    // entry is there, with the status of the instance's last change.
    let listed = new Map();
    for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
      const l = await call('GET', '?type=test&limit=1000');
      expect(l.status).toBe(200);
      listed = new Map(l.body.workflows.filter((w) => want.has(w.id)).map((w) => [w.id, w.status]));
      if ([...want].every(([id, st]) => listed.get(id) === st)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Object.fromEntries(listed)).toEqual(Object.fromEntries(want));
  });
});

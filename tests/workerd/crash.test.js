// crash.test.js — crash safety (SPEC §8, §9 crash-once): a wasm trap inside a
// step body is answered 500, recorded as a crashed attempt, retried by the
// rules, and never takes other instances down.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  advance, advanced, create, created, expectError, expectStatusShape, sendEvent, statusOf, stepOf, stubOf, timeline, uid,
} from './helpers.js';

/** Calls _advance until the instance completes (bounded); returns the Status. */
async function advanceUntilCompleted(id, max = 10) {
  for (let i = 0; i < max; i++) {
    const res = await advance(id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const s = expectStatusShape(res.body);
    expect(s.status).not.toBe('errored');
    // SPEC §2: the answer shows the instance at rest, even right after a crash.
    expect(s.status).not.toBe('running');
    if (s.status === 'completed') return s;
  }
  throw new Error(`instance ${id} did not complete after ${max} _advance calls`);
}

/** Creates crash-once and drives it into the trap; returns the id. */
async function crashOnce() {
  const id = uid('crash');
  const s = await created('crash-once', id, {});
  expect(s.status).toBe('sleeping');
  expect(stepOf(s, 'first')).toMatchObject({ status: 'completed', result: 'safe', attempts: 1 });
  expect(stepOf(s, 'gap')).toMatchObject({ type: 'sleep', status: 'sleeping' });
  const res = await advance(id);
  const e = expectError(res, 'INTERNAL_ERROR');
  expect(e.status).toBe(500);
  return id;
}

describe('crash-once', () => {
  it('answers the trapping request 500, then recovers and completes', async () => {
    const id = await crashOnce();
    // The very next request works.
    const after = await statusOf(id);
    expect(after.id).toBe(id);
    expect(['running', 'sleeping', 'completed']).toContain(after.status);
    expect(stepOf(after, 'first')).toMatchObject({ status: 'completed', attempts: 1 });

    const done = await advanceUntilCompleted(id);
    expect(done.result).toEqual({ a: 'safe', b: 'recovered' });
    expect(done.error).toBeNull();
    const first = stepOf(done, 'first');
    expect(first).toMatchObject({ status: 'completed', attempts: 1, result: 'safe', retryHistory: null });
    const second = stepOf(done, 'second');
    expect(second).toMatchObject({ status: 'completed', attempts: 2, result: 'recovered' });
    expect(second.retryHistory).toHaveLength(1);
    expect(second.retryHistory[0].attempt).toBe(1);
    expect(second.retryHistory[0].error).toContain('crashed');
    expect(await statusOf(id)).toEqual(done);

    const tl = await timeline(id);
    expect(tl.body.timeline.map((t) => [t.name, t.attempts])).toEqual([['first', 1], ['second', 2]]);
  });

  it('keeps other instances working: created before and after the trap', async () => {
    const before = uid('crash-before');
    expect((await created('test', before, { name: 'Vic' })).status).toBe('sleeping');

    const crashed = await crashOnce();

    // An echo created right after the 500 succeeds.
    const echo = await create('echo', uid('crash-after-echo'), { message: 'still here' });
    expect(echo.status).toBe(201);
    expect(echo.body.result).toEqual({ original: 'still here', echoed: 'still here' });

    // The instance created before the trap runs on.
    expect((await advanced(before)).status).toBe('waiting');
    const ev = await sendEvent(before, 'approval', { approved: true });
    expect(ev.status).toBe(202);
    expect(ev.body.status.result).toEqual({ message: 'Vic was approved', greeting: 'Hello, Vic!' });

    // A multi-step instance created after the trap completes in one request.
    const ms = await created('multi-step', uid('crash-after-ms'), { value: 5 });
    expect(ms.result).toEqual({ a: 6, b: 12, c: 22, d: 'result:22' });

    // And the crashed one still completes.
    const done = await advanceUntilCompleted(crashed);
    expect(done.result).toEqual({ a: 'safe', b: 'recovered' });
  });

  it('two crashing instances recover independently', async () => {
    const a = await crashOnce();
    const b = await crashOnce();
    const doneB = await advanceUntilCompleted(b);
    const doneA = await advanceUntilCompleted(a);
    for (const d of [doneA, doneB]) {
      expect(d.result).toEqual({ a: 'safe', b: 'recovered' });
      expect(stepOf(d, 'second').attempts).toBe(2);
      expect(stepOf(d, 'first').attempts).toBe(1);
    }
  });

  it('requests that end normally, even with an error, are never mistaken for crashes', async () => {
    // Each POST marks an event in progress; an answer of any kind must clear
    // the mark, or the engine would count deaths and finally error the instance.
    const id = uid('crash-none');
    expect((await created('test', id, { name: 'Kim' })).status).toBe('sleeping');
    const stub = stubOf(id);
    for (let i = 0; i < 5; i++) {
      const res = await stub.fetch(`https://x/__ablauf/workflows/${id}/no-such-route`, { method: 'POST' });
      expect(res.status).toBe(404);
      const bad = await sendEvent(id, 'approval', { approved: 'not a boolean' });
      expect(bad.status).toBe(400);
    }
    expect((await advanced(id)).status).toBe('waiting');
    const ev = await sendEvent(id, 'approval', { approved: false });
    expect(ev.body.status.status).toBe('completed');
    expect(ev.body.status.result.message).toBe('Kim was rejected');
  });

});

// An isolate that dies loses every write of its event after the committed
// event mark. These tests put an object's storage into exactly the state such
// a death leaves (the mark still set, the step marker present or lost), then
// let the real shim and engine carry on (docs/retries-and-crashes.md).
function sql(id, query) {
  return runInDurableObject(stubOf(id), (_o, state) => state.storage.sql.exec(query).toArray());
}

async function sleepingBeforeAStep() {
  const id = uid('death');
  const s = await created('sleep-until-test', id, { wakeAt: Date.now() + 3600_000 });
  expect(s.status).toBe('sleeping');
  return id;
}

describe('isolate death', () => {
  it('a death outside any known step makes the next body run behind a committed marker, answered at rest', async () => {
    const id = await sleepingBeforeAStep();
    await sql(id, 'UPDATE ab_instance SET event_open = 4242'); // an event began and never finished
    const res = await advance(id);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('completed'); // armed, committed, run: never "running"
    expect(stepOf(res.body, 'after-sleep')).toMatchObject({ status: 'completed', attempts: 1, retryHistory: null });
    const [row] = await sql(id, 'SELECT careful, died, deaths, event_open FROM ab_instance');
    expect(row).toEqual({ careful: 0, died: 0, deaths: 0, event_open: 0 });
  });

  it('a death inside a step body is recorded as a crashed attempt and retried', async () => {
    const id = await sleepingBeforeAStep();
    // The body of after-sleep was running (its marker committed) when the isolate died.
    await sql(id, `UPDATE ab_steps SET status = 'completed', wake_at = NULL WHERE name = 'nap'`);
    await sql(id, `INSERT INTO ab_steps (name, ord, type, status, attempts, started_at)
                   VALUES ('after-sleep', 99, 'do', 'running', 1, ${Date.now()})`);
    await sql(id, 'UPDATE ab_instance SET event_open = 4242, careful = 1');
    const first = await advance(id);
    expect(first.body.status).toBe('sleeping'); // back-off before attempt 2
    const step = stepOf(first.body, 'after-sleep');
    expect(step.status).toBe('sleeping');
    expect(step.retryHistory).toHaveLength(1);
    expect(step.retryHistory[0]).toMatchObject({ attempt: 1 });
    expect(step.retryHistory[0].error).toContain('crashed');
    const done = await advance(id);
    expect(done.body.status).toBe('completed');
    expect(stepOf(done.body, 'after-sleep')).toMatchObject({ status: 'completed', attempts: 2, result: 'after' });
  });

  it('an alarm after a death runs the armed step on the following alarm', async () => {
    const id = await sleepingBeforeAStep();
    await sql(id, 'UPDATE ab_instance SET event_open = 4242');
    await sql(id, `UPDATE ab_steps SET wake_at = ${Date.now() - 1} WHERE name = 'nap'`);
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(true);
    // The careful pass stopped at the armed step ("running") with the alarm
    // due now; that alarm (real, or run here) runs the body.
    let s = await statusOf(id);
    for (let i = 0; i < 10 && s.status === 'running'; i++) {
      await runDurableObjectAlarm(stubOf(id));
      s = await statusOf(id);
    }
    expect(s.status).toBe('completed');
    expect(stepOf(s, 'after-sleep')).toMatchObject({ attempts: 1, status: 'completed' });
  });

  it('repeated deaths outside any step body end the instance instead of looping', async () => {
    const id = await sleepingBeforeAStep();
    await sql(id, 'UPDATE ab_instance SET event_open = 4242, deaths = 2');
    const res = await advance(id);
    expect(res.body.status).toBe('errored');
    expect(res.body.errorCode).toBe('INTERNAL_ERROR');
    expect(res.body.error).toContain('crashed 3 times in a row outside any step body');
  });
});

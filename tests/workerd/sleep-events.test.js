// sleep-events.test.js — sleeps, waits, events and the alarm (SPEC §7, §8, §9).
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  AT_REST, advanced, alarmAt, created, expectError, expectStatusShape, sendEvent, statusOf, stepOf, stubOf, uid,
} from './helpers.js';

/** Creates a `test` instance and drives it to the approval wait. */
async function toWaiting(name) {
  const id = uid('test');
  const s = await created('test', id, { name });
  expect(s.status).toBe('sleeping');
  const w = await advanced(id);
  expect(w.status).toBe('waiting');
  return { id, status: w };
}

describe('test workflow', () => {
  it('greets, sleeps, waits for approval and completes "approved"', async () => {
    const id = uid('test-approved');
    const s = expectStatusShape(await created('test', id, { name: 'Ann' }));
    expect(s.status).toBe('sleeping');
    expect(s.result).toBeNull();
    expect(stepOf(s, 'greet')).toMatchObject({ type: 'do', status: 'completed', result: 'Hello, Ann!', attempts: 1 });
    const pause = stepOf(s, 'pause');
    expect(pause).toMatchObject({ type: 'sleep', status: 'sleeping' });
    expect(pause.wakeAt - pause.startedAt).toBe(5000);
    expect(s.steps.map((x) => x.name)).toEqual(['greet', 'pause']);
    // The alarm is armed for the wake-up.
    expect(await alarmAt(id)).toBe(pause.wakeAt);

    const w = expectStatusShape(await advanced(id));
    expect(w.status).toBe('waiting');
    expect(stepOf(w, 'pause')).toMatchObject({ status: 'completed', wakeAt: null });
    const approval = stepOf(w, 'approval');
    expect(approval).toMatchObject({ type: 'wait_for_event', status: 'waiting' });
    expect(approval.wakeAt - approval.startedAt).toBe(60000);
    expect(await alarmAt(id)).toBe(approval.wakeAt);

    const ev = await sendEvent(id, 'approval', { approved: true });
    expect(ev.status).toBe(202);
    expect(Object.keys(ev.body).sort()).toEqual(['delivery', 'status']);
    expect(ev.body.delivery).toBe('resumed');
    const done = expectStatusShape(ev.body.status);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ message: 'Ann was approved', greeting: 'Hello, Ann!' });
    expect(stepOf(done, 'approval')).toMatchObject({ status: 'completed', result: { approved: true } });
    expect(stepOf(done, 'greet').attempts).toBe(1);
    expect(await statusOf(id)).toEqual(done);
    expect(await alarmAt(id)).toBeNull();
  });

  it('completes "rejected" for approved: false', async () => {
    const { id } = await toWaiting('Bob');
    const ev = await sendEvent(id, 'approval', { approved: false });
    expect(ev.status).toBe(202);
    expect(ev.body.delivery).toBe('resumed');
    expect(ev.body.status.status).toBe('completed');
    expect(ev.body.status.result).toEqual({ message: 'Bob was rejected', greeting: 'Hello, Bob!' });
  });

  it('errors with EVENT_TIMEOUT when the approval wait times out', async () => {
    const { id } = await toWaiting('Cid');
    const t = expectStatusShape(await advanced(id));
    expect(t.status).toBe('errored');
    expect(t.errorCode).toBe('EVENT_TIMEOUT');
    expect(t.error).toContain('Event "approval" timed out');
    const approval = stepOf(t, 'approval');
    expect(approval.status).toBe('failed');
    expect(approval.error).toContain('Event "approval" timed out');
    expect(t.result).toBeNull();
    expect(await statusOf(id)).toEqual(t);
    // Too late for the event now.
    const late = expectError(await sendEvent(id, 'approval', { approved: true }), 'WORKFLOW_NOT_RUNNING');
    expect(late.details.currentStatus).toBe('errored');
  });

  it('buffers an event that arrives during the sleep and consumes it at the wait', async () => {
    const id = uid('test-early');
    await created('test', id, { name: 'Dee' });
    const ev = await sendEvent(id, 'approval', { approved: true });
    expect(ev.status).toBe(202);
    expect(ev.body.delivery).toBe('buffered');
    expect(ev.body.status.status).toBe('sleeping');
    expect(ev.body.status.steps.map((x) => x.name)).toEqual(['greet', 'pause']);
    const done = await advanced(id);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ message: 'Dee was approved', greeting: 'Hello, Dee!' });
  });

  it('a sleep is not woken early by an alarm that fires before its time', async () => {
    const id = uid('test-early-alarm');
    const s = await created('test', id, { name: 'Eve' });
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(true);
    const after = await statusOf(id);
    expect(after.status).toBe('sleeping');
    expect(stepOf(after, 'pause').wakeAt).toBe(stepOf(s, 'pause').wakeAt);
    expect(after.updatedAt).toBe(s.updatedAt);
  });
});

describe('the alarm', () => {
  it('a duplicate alarm changes nothing', async () => {
    const id = uid('dup-alarm');
    const s = await created('test', id, { name: 'Fay' });
    expect(s.status).toBe('sleeping');
    const stub = stubOf(id);
    const first = await runDurableObjectAlarm(stub);
    const a = await statusOf(id);
    const second = await runDurableObjectAlarm(stub);
    const b = await statusOf(id);
    expect(first).toBe(true);
    expect(typeof second).toBe('boolean');
    for (const x of [a, b]) {
      expect(x.status).toBe('sleeping');
      expect(x.updatedAt).toBe(s.updatedAt);
      expect(x.steps).toEqual(s.steps);
    }
    // Still wakes correctly afterwards.
    expect((await advanced(id)).status).toBe('waiting');
  });

  it('a due alarm runs the pass (the alarm itself drives the sleep)', async () => {
    const id = uid('alarm-drives');
    const s = await created('sleep-until-test', id, { wakeAt: Date.now() + 3_600_000 });
    expect(s.status).toBe('sleeping');
    // Make the timer due without the test hook's pass: move the wake time in SQL.
    await runInDurableObject(stubOf(id), (_o, state) => {
      state.storage.sql.exec("UPDATE ab_steps SET wake_at = 0 WHERE name = 'nap'");
    });
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(true);
    const done = await statusOf(id);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ before: 'before', after: 'after' });
    // Completed: nothing is armed, so a further alarm does not run.
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(false);
    const again = await statusOf(id);
    expect(again).toEqual(done);
  });

  it('a duplicate alarm on a waiting instance changes nothing', async () => {
    const { id, status } = await toWaiting('Gus');
    await runDurableObjectAlarm(stubOf(id));
    await runDurableObjectAlarm(stubOf(id));
    const after = await statusOf(id);
    expect(after.status).toBe('waiting');
    expect(after.updatedAt).toBe(status.updatedAt);
    expect(after.steps).toEqual(status.steps);
  });
});

describe('multi-event', () => {
  it('buffers events sent before their wait (last write wins) and consumes them', async () => {
    const id = uid('multi-event');
    const s = await created('multi-event', id, { name: 'Ivy' });
    expect(s.status).toBe('waiting');
    expect(stepOf(s, 'greet').result).toBe('Hi, Ivy');
    expect(stepOf(s, 'first-approval').status).toBe('waiting');

    const b1 = await sendEvent(id, 'second-approval', { ok: false });
    expect(b1.status).toBe(202);
    expect(b1.body.delivery).toBe('buffered');
    expect(b1.body.status.status).toBe('waiting');
    const b2 = await sendEvent(id, 'second-approval', { ok: true });
    expect(b2.body.delivery).toBe('buffered');
    expect(b2.body.status.steps.map((x) => x.name)).toEqual(['greet', 'first-approval']);

    const r = await sendEvent(id, 'first-approval', { ok: true });
    expect(r.status).toBe(202);
    expect(r.body.delivery).toBe('resumed');
    const done = r.body.status;
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ greeting: 'Hi, Ivy', first: true, second: true });
    expect(stepOf(done, 'second-approval')).toMatchObject({ status: 'completed', result: { ok: true } });
  });

  it('consumes a buffered event once: a second wait would not see it again', async () => {
    const id = uid('multi-event-2');
    await created('multi-event', id, { name: 'Jo' });
    expect((await sendEvent(id, 'first-approval', { ok: false })).body.delivery).toBe('resumed');
    const st = await statusOf(id);
    expect(st.status).toBe('waiting');
    expect(stepOf(st, 'second-approval').status).toBe('waiting');
    const r = await sendEvent(id, 'second-approval', { ok: false });
    expect(r.body.delivery).toBe('resumed');
    expect(r.body.status.result).toEqual({ greeting: 'Hi, Jo', first: false, second: false });
  });

  it('times out the second wait after the first was delivered', async () => {
    const id = uid('multi-event-timeout');
    await created('multi-event', id, { name: 'Kai' });
    await sendEvent(id, 'first-approval', { ok: true });
    const t = await advanced(id);
    expect(t.status).toBe('errored');
    expect(t.errorCode).toBe('EVENT_TIMEOUT');
    expect(t.error).toContain('Event "second-approval" timed out');
  });
});

describe('replay-counter', () => {
  it('never re-runs completed step bodies on replay', async () => {
    const id = uid('replay');
    const s = await created('replay-counter', id, { id });
    expect(s.status).toBe('waiting');
    expect(s.steps.map((x) => [x.name, x.status])).toEqual([
      ['step-1', 'completed'], ['step-2', 'completed'], ['continue', 'waiting']]);
    const w = stepOf(s, 'continue');
    expect(w.wakeAt).toBeNull(); // no timeout
    // An _advance with no timer due replays without change.
    const a = await advanced(id);
    expect(a.status).toBe('waiting');
    expect(a.steps).toEqual(s.steps);

    const r = await sendEvent(id, 'continue', {});
    expect(r.body.delivery).toBe('resumed');
    const done = r.body.status;
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ result1: 'first', result2: 'second', result3: 'third' });
    for (const st of done.steps.filter((x) => x.type === 'do')) {
      expect(st.attempts, st.name).toBe(1);
      expect(st.retryHistory).toBeNull();
    }
    expect(done.steps.filter((x) => x.type === 'do').map((x) => x.name)).toEqual(['step-1', 'step-2', 'step-3']);
  });
});

describe('sleep-until-test', () => {
  it('completes at once for a wake time in the past', async () => {
    const id = uid('until-past');
    const s = await created('sleep-until-test', id, { wakeAt: Date.now() - 60_000 });
    expect(s.status).toBe('completed');
    expect(s.result).toEqual({ before: 'before', after: 'after' });
    expect(stepOf(s, 'nap')).toMatchObject({ type: 'sleep_until', status: 'completed', wakeAt: null });
  });

  it('sleeps until a future wake time, then completes on _advance', async () => {
    const id = uid('until-future');
    const at = Date.now() + 86_400_000;
    const s = await created('sleep-until-test', id, { wakeAt: at });
    expect(s.status).toBe('sleeping');
    expect(stepOf(s, 'nap')).toMatchObject({ type: 'sleep_until', status: 'sleeping', wakeAt: at });
    expect(s.steps.map((x) => x.name)).toEqual(['before-sleep', 'nap']);
    expect(await alarmAt(id)).toBe(at);
    const done = await advanced(id);
    expect(AT_REST).toContain(done.status);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ before: 'before', after: 'after' });
    expect(stepOf(done, 'before-sleep').attempts).toBe(1);
  });
});

// lifecycle.test.js — pause, resume, terminate from every state; events to
// ended instances (SPEC §2, §8).
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  advance, advanced, alarmAt, created, expectError, expectStatusShape, pause, resume, sendEvent, statusOf, stepOf,
  stubOf, terminate, uid,
} from './helpers.js';

async function ok(resP) {
  const res = await resP;
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return expectStatusShape(res.body);
}

async function sleeping(name = 'Ann') {
  const id = uid('lc-sleep');
  const s = await created('test', id, { name });
  expect(s.status).toBe('sleeping');
  return { id, s };
}

async function waiting(name = 'Ann') {
  const { id } = await sleeping(name);
  const s = await advanced(id);
  expect(s.status).toBe('waiting');
  return { id, s };
}

async function completed() {
  const id = uid('lc-done');
  const s = await created('echo', id, { message: 'm' });
  expect(s.status).toBe('completed');
  return { id, s };
}

async function completedTest() {
  const { id } = await waiting();
  const r = await sendEvent(id, 'approval', { approved: true });
  expect(r.body.status.status).toBe('completed');
  return { id, s: r.body.status };
}

async function errored() {
  const id = uid('lc-err');
  const s = await created('non-retriable', id, { shouldFail: true });
  expect(s.status).toBe('errored');
  return { id, s };
}

async function erroredTest() {
  const { id } = await waiting();
  const s = await advanced(id);
  expect(s.status).toBe('errored');
  return { id, s };
}

async function terminated() {
  const { id } = await sleeping();
  const s = await ok(terminate(id));
  expect(s.status).toBe('terminated');
  return { id, s };
}

const bufferedEvents = (id) =>
  runInDurableObject(stubOf(id), (_o, state) => state.storage.sql.exec('SELECT name FROM ab_events').toArray().length);

describe('pause and resume a running instance', () => {
  it('sleeping: pause, pause again (no-op), resume, resume again (no-op)', async () => {
    const { id, s } = await sleeping();
    const p = await ok(pause(id));
    expect(p.status).toBe('paused');
    expect(p.steps).toEqual(s.steps);
    expect(p.updatedAt).toBeGreaterThanOrEqual(s.updatedAt);
    expect(await alarmAt(id)).toBeNull();

    const p2 = await ok(pause(id));
    expect(p2).toEqual(p);
    expect(await statusOf(id)).toEqual(p);

    const r = await ok(resume(id));
    expect(r.status).toBe('sleeping');
    expect(stepOf(r, 'pause').wakeAt).toBe(stepOf(s, 'pause').wakeAt);
    expect(await alarmAt(id)).toBe(stepOf(s, 'pause').wakeAt);

    const r2 = await ok(resume(id));
    expect(r2).toEqual(r);
    expect(await statusOf(id)).toEqual(r);

    // And it still runs to the end.
    expect((await advanced(id)).status).toBe('waiting');
    expect((await sendEvent(id, 'approval', { approved: true })).body.status.result)
      .toEqual({ message: 'Ann was approved', greeting: 'Hello, Ann!' });
  });

  it('waiting: pause, resume restores the wait and its timeout', async () => {
    const { id, s } = await waiting();
    const wakeAt = stepOf(s, 'approval').wakeAt;
    const p = await ok(pause(id));
    expect(p.status).toBe('paused');
    expect(await alarmAt(id)).toBeNull();
    const r = await ok(resume(id));
    expect(r.status).toBe('waiting');
    expect(stepOf(r, 'approval')).toMatchObject({ status: 'waiting', wakeAt });
    expect(await alarmAt(id)).toBe(wakeAt);
    expect(await ok(resume(id))).toEqual(r);
  });

  it('a paused instance does not advance on _advance or the alarm', async () => {
    const { id } = await sleeping();
    const p = await ok(pause(id));
    const a = await advanced(id);
    expect(a.status).toBe('paused');
    expect(a.steps.map((x) => [x.name, x.status])).toEqual([['greet', 'completed'], ['pause', 'sleeping']]);
    expect(a.result).toBeNull();
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(false);
    const after = await statusOf(id);
    expect(after.status).toBe('paused');
    expect(after.steps.map((x) => [x.name, x.status])).toEqual([['greet', 'completed'], ['pause', 'sleeping']]);
    expect(after.updatedAt).toBe(p.updatedAt);
  });

  it('a paused waiting instance does not time out', async () => {
    const { id } = await waiting();
    await ok(pause(id));
    const a = await advanced(id);
    expect(a.status).toBe('paused');
    expect(stepOf(a, 'approval').status).toBe('waiting');
    expect(a.error).toBeNull();
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(false);
    expect((await statusOf(id)).status).toBe('paused');
  });

  it('an event delivered while paused is buffered and consumed on resume', async () => {
    const { id } = await waiting('Pia');
    await ok(pause(id));
    const ev = await sendEvent(id, 'approval', { approved: true });
    expect(ev.status).toBe(202);
    expect(ev.body.delivery).toBe('buffered');
    expect(ev.body.status.status).toBe('paused');
    expect(stepOf(ev.body.status, 'approval').status).toBe('waiting');
    expect(await bufferedEvents(id)).toBe(1);
    const r = await ok(resume(id));
    expect(r.status).toBe('completed');
    expect(r.result).toEqual({ message: 'Pia was approved', greeting: 'Hello, Pia!' });
    expect(await bufferedEvents(id)).toBe(0);
  });

  it('an event delivered while paused during a sleep waits for the sleep', async () => {
    const { id } = await sleeping('Quin');
    await ok(pause(id));
    expect((await sendEvent(id, 'approval', { approved: false })).body.delivery).toBe('buffered');
    const r = await ok(resume(id));
    expect(r.status).toBe('sleeping');
    const done = await advanced(id);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ message: 'Quin was rejected', greeting: 'Hello, Quin!' });
  });
});

describe('terminate', () => {
  for (const [name, make] of [['sleeping', sleeping], ['waiting', waiting]]) {
    it(`terminates a ${name} instance: final, timers cancelled`, async () => {
      const { id, s } = await make();
      const t = await ok(terminate(id));
      expect(t.status).toBe('terminated');
      // the steps keep their status for the record; nothing waits any more
      expect(t.steps).toEqual(s.steps.map((x) => ({ ...x, wakeAt: null })));
      expect(s.steps.some((x) => x.wakeAt !== null)).toBe(true);
      expect(t.result).toBeNull();
      expect(await alarmAt(id)).toBeNull();
      expect(await runDurableObjectAlarm(stubOf(id))).toBe(false);
      // _advance has no timer to fire: it reports the instance unchanged.
      const adv = await advance(id);
      expect(adv.status).toBe(200);
      expect(adv.body).toEqual(t);
      expect(await statusOf(id)).toEqual(t);
    });
  }

  it('terminates a paused instance', async () => {
    const { id } = await waiting();
    await ok(pause(id));
    const t = await ok(terminate(id));
    expect(t.status).toBe('terminated');
    expect(await alarmAt(id)).toBeNull();
    expectError(await resume(id), 'WORKFLOW_NOT_RUNNING');
    expect((await statusOf(id)).status).toBe('terminated');
  });

  it('clears buffered events', async () => {
    const { id } = await sleeping();
    expect((await sendEvent(id, 'approval', { approved: true })).body.delivery).toBe('buffered');
    expect(await bufferedEvents(id)).toBe(1);
    const t = await ok(terminate(id));
    expect(t.status).toBe('terminated');
    expect(await bufferedEvents(id)).toBe(0);
    expect(await alarmAt(id)).toBeNull();
  });
});

describe('ended instances', () => {
  const ended = [
    ['completed', completed], ['errored', errored], ['terminated', terminated],
  ];
  for (const [state, make] of ended) {
    it(`pause/resume/terminate on ${state} → 409 WORKFLOW_NOT_RUNNING, nothing changes`, async () => {
      const { id } = await make();
      const before = await statusOf(id);
      expect(before.status).toBe(state);
      for (const op of [pause, resume, terminate]) {
        const e = expectError(await op(id), 'WORKFLOW_NOT_RUNNING');
        expect(e.details.currentStatus).toBe(state);
        expect(e.message).toContain(id);
      }
      expect(await statusOf(id)).toEqual(before);
    });
  }

  const withEvents = [
    ['completed', completedTest], ['errored', erroredTest], ['terminated', terminated],
  ];
  for (const [state, make] of withEvents) {
    it(`an event to a ${state} instance → 409 WORKFLOW_NOT_RUNNING with details.currentStatus`, async () => {
      const { id } = await make();
      const before = await statusOf(id);
      const e = expectError(await sendEvent(id, 'approval', { approved: true }), 'WORKFLOW_NOT_RUNNING');
      expect(e.details.currentStatus).toBe(state);
      expect(await statusOf(id)).toEqual(before);
      expect(await bufferedEvents(id)).toBe(0);
      // Validation is checked first.
      const bad = expectError(await sendEvent(id, 'approval', { approved: 'no' }), 'EVENT_INVALID');
      expect(bad.details.event).toBe('approval');
    });
  }
});

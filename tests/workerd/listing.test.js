// listing.test.js — GET /__ablauf/workflows (filters, order, cursor pages,
// status changes) and GET .../timeline (SPEC §2, §4, §8).
import { describe, expect, it } from 'vitest';
import {
  advanced, api, created, expectError, list, listAll, pause, resume, sendEvent, statusOf, terminate,
  timeline, uid,
} from './helpers.js';

async function entryOf(id, query = {}) {
  const res = await list({ limit: '1000', ...query });
  expect(res.status).toBe(200);
  return res.body.workflows.find((w) => w.id === id);
}

/** The listing entry agrees with the instance's Status. */
async function expectListed(id, status) {
  const s = await statusOf(id);
  expect(s.status).toBe(status);
  const e = await entryOf(id, { type: s.type });
  expect(e, `${id} listed`).toBeDefined();
  expect(e).toEqual({ id, type: s.type, status, createdAt: s.createdAt, updatedAt: s.updatedAt });
  const byStatus = await entryOf(id, { type: s.type, status });
  expect(byStatus).toEqual(e);
}

describe('listing', () => {
  it('answers the SPEC shape and filters by type and status', async () => {
    const echoId = uid('ls-echo');
    const testId = uid('ls-test');
    await created('echo', echoId, { message: 'x' });
    await created('test', testId, { name: 'L' });

    const all = await list();
    expect(all.status).toBe(200);
    expect(Object.keys(all.body).sort()).toEqual(['nextCursor', 'workflows']);
    for (const w of all.body.workflows) expect(Object.keys(w).sort()).toEqual(['createdAt', 'id', 'status', 'type', 'updatedAt']);

    const echoes = await list({ type: 'echo', limit: '1000' });
    expect(echoes.body.workflows.every((w) => w.type === 'echo')).toBe(true);
    expect(echoes.body.workflows.map((w) => w.id)).toContain(echoId);
    expect(echoes.body.workflows.map((w) => w.id)).not.toContain(testId);

    const sleepingTests = await list({ type: 'test', status: 'sleeping', limit: '1000' });
    expect(sleepingTests.body.workflows.every((w) => w.type === 'test' && w.status === 'sleeping')).toBe(true);
    expect(sleepingTests.body.workflows.map((w) => w.id)).toContain(testId);

    const completedTests = await list({ type: 'test', status: 'completed', limit: '1000' });
    expect(completedTests.body.workflows.map((w) => w.id)).not.toContain(testId);

    const completed = await list({ status: 'completed', limit: '1000' });
    expect(completed.body.workflows.every((w) => w.status === 'completed')).toBe(true);
    expect(completed.body.workflows.map((w) => w.id)).toContain(echoId);

    const none = await list({ type: 'no-such-type' });
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ workflows: [], nextCursor: null });
  });

  it('validates limit (1..1000), status and cursor', async () => {
    for (const limit of ['0', '1001', '-1', 'abc', '1.5', '']) {
      expectError(await list({ limit }), 'VALIDATION_ERROR');
    }
    for (const limit of ['1', '1000']) {
      const res = await list({ limit });
      expect(res.status, limit).toBe(200);
      expect(res.body.workflows.length).toBeLessThanOrEqual(Number(limit));
    }
    expectError(await list({ status: 'sleepy' }), 'VALIDATION_ERROR');
    expectError(await list({ cursor: 'garbage' }), 'VALIDATION_ERROR');
  });

  it('defaults to at most 100 entries and orders newest updatedAt first', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const id = uid('ls-order');
      await created('multi-step', id, { value: i });
      ids.push(id);
    }
    const res = await list();
    expect(res.body.workflows.length).toBeLessThanOrEqual(100);
    const full = await list({ limit: '1000' });
    const times = full.body.workflows.map((w) => w.updatedAt);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeLessThanOrEqual(times[i - 1]);
    // A later change moves an instance to the front.
    const id = uid('ls-front');
    await created('test', id, { name: 'Front' });
    await advanced(id);
    const first = (await list({ limit: '1' })).body.workflows[0];
    const s = await statusOf(id);
    expect(first.updatedAt).toBeGreaterThanOrEqual(s.updatedAt);
  });

  it('pages with a cursor and visits every instance exactly once', async () => {
    const ids = [];
    for (let i = 0; i < 12; i++) {
      const id = uid(`ls-page-${String(i).padStart(2, '0')}`);
      await created('no-schema', id, {});
      ids.push(id);
    }
    const seen = await listAll({ type: 'no-schema' }, 5);
    const seenIds = seen.map((w) => w.id);
    expect(new Set(seenIds).size).toBe(seenIds.length); // no instance twice
    for (const id of ids) expect(seenIds.filter((x) => x === id), id).toHaveLength(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i].updatedAt).toBeLessThanOrEqual(seen[i - 1].updatedAt);

    // The first page has 5 entries and a cursor; pages are disjoint.
    const p1 = await list({ type: 'no-schema', limit: '5' });
    expect(p1.body.workflows).toHaveLength(5);
    expect(typeof p1.body.nextCursor).toBe('string');
    const p2 = await list({ type: 'no-schema', limit: '5', cursor: p1.body.nextCursor });
    expect(p2.status).toBe(200);
    const p1Ids = new Set(p1.body.workflows.map((w) => w.id));
    for (const w of p2.body.workflows) expect(p1Ids.has(w.id)).toBe(false);

    // Same with a status filter.
    const byStatus = await listAll({ type: 'no-schema', status: 'completed' }, 5);
    for (const id of ids) expect(byStatus.filter((w) => w.id === id)).toHaveLength(1);
  });

  it('reflects every status change', async () => {
    const id = uid('ls-changes');
    await created('test', id, { name: 'Moe' });
    await expectListed(id, 'sleeping');
    await advanced(id);
    await expectListed(id, 'waiting');
    await pause(id);
    await expectListed(id, 'paused');
    await resume(id);
    await expectListed(id, 'waiting');
    await terminate(id);
    await expectListed(id, 'terminated');

    const done = uid('ls-complete');
    await created('test', done, { name: 'Ned' });
    await advanced(done);
    await sendEvent(done, 'approval', { approved: true });
    await expectListed(done, 'completed');

    const err = uid('ls-error');
    await created('non-retriable', err, { shouldFail: true });
    await expectListed(err, 'errored');

    const timedOut = uid('ls-timeout');
    await created('multi-event', timedOut, { name: 'Oz' });
    await expectListed(timedOut, 'waiting');
    await advanced(timedOut);
    await expectListed(timedOut, 'errored');
  });
});

describe('timeline', () => {
  it('lists only do steps that started, sorted by startedAt', async () => {
    const id = uid('tl-test');
    await created('test', id, { name: 'Tia' });
    let res = await timeline(id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, type: 'test', status: 'sleeping' });
    expect(res.body.timeline.map((t) => t.name)).toEqual(['greet']);
    await advanced(id);
    await sendEvent(id, 'approval', { approved: true });
    res = await timeline(id);
    expect(res.body.status).toBe('completed');
    expect(res.body.timeline).toHaveLength(1);
    const s = await statusOf(id);
    const greet = s.steps.find((x) => x.name === 'greet');
    expect(res.body.timeline[0]).toEqual({
      name: 'greet', type: 'do', status: 'completed', startedAt: greet.startedAt, duration: greet.duration,
      attempts: 1, error: null, retryHistory: null,
    });
  });

  it('orders several do steps by startedAt', async () => {
    const id = uid('tl-replay');
    await created('replay-counter', id, { id });
    let res = await timeline(id);
    expect(res.body.timeline.map((t) => t.name)).toEqual(['step-1', 'step-2']);
    await sendEvent(id, 'continue', {});
    res = await timeline(id);
    const tl = res.body.timeline;
    expect(tl.map((t) => t.name)).toEqual(['step-1', 'step-2', 'step-3']);
    for (let i = 1; i < tl.length; i++) expect(tl[i].startedAt).toBeGreaterThanOrEqual(tl[i - 1].startedAt);
    for (const t of tl) expect(t).toMatchObject({ type: 'do', status: 'completed', attempts: 1, retryHistory: null });
  });

  it('includes a failed step with its attempts and retry history', async () => {
    const id = uid('tl-fail');
    await created('non-retriable', id, { shouldFail: true });
    const res = await timeline(id);
    expect(res.body.status).toBe('errored');
    expect(res.body.timeline).toHaveLength(1);
    const t = res.body.timeline[0];
    expect(t).toMatchObject({ name: 'maybe-fail', status: 'failed', attempts: 1, error: 'Intentional permanent failure' });
    expect(t.retryHistory).toHaveLength(1);
    expect(t.retryHistory[0]).toMatchObject({ attempt: 1, error: 'Intentional permanent failure' });
  });

  it('answers 404 for an unknown instance', async () => {
    const id = uid('tl-missing');
    const e = expectError(await api('GET', `/workflows/${id}/timeline`), 'WORKFLOW_NOT_FOUND');
    expect(e.message).toBe(`Workflow "${id}" not found`);
  });
});

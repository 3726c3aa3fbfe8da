// The binding client (SPEC §10) inside workerd, against the real Durable Object.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Ablauf, AblaufError } from '../../examples/demo/worker.js';
import { rejection } from '../support/shared.js';

const ablauf = () => new Ablauf(env.WORKFLOW_RUNNER);


describe('Ablauf binding client', () => {
  it('creates, reads and waits for a persisted update', async () => {
    const wf = await ablauf().create('sse-test', { id: 'bind-sse-1', payload: { itemCount: 10 } });
    expect(wf.id).toBe('bind-sse-1');
    const status = await wf.getStatus();
    expect(status.status).toBe('completed');
    expect(status.result).toEqual({ processed: 10 });
    const done = await wf.waitForUpdate({ update: 'done', timeout: '10s' });
    expect(done).toEqual({ message: 'Processed 10 items' });
  });

  it('get() makes a handle without a network call and drives events and lifecycle', async () => {
    const a = ablauf();
    await a.create('test', { id: 'bind-test-1', payload: { name: 'Ann' } });
    const wf = a.get({ id: 'bind-test-1' });
    expect((await wf.pause()).status).toBe('paused');
    expect((await wf.resume()).status).toBe('sleeping');
    const res = await wf.sendEvent({ event: 'approval', payload: { approved: true } });
    expect(res.delivery).toBe('buffered');
    expect((await wf.terminate()).status).toBe('terminated');
    const err = await rejection(wf.resume());
    expect(err).toBeInstanceOf(AblaufError);
    expect(err.code).toBe('WORKFLOW_NOT_RUNNING');
    expect(err.status).toBe(409);
    expect(err.details).toEqual({ currentStatus: 'terminated' });
  });

  it('rejects with AblaufError carrying the §5 fields', async () => {
    const err = await rejection(ablauf().create('echo', { id: 'bind-bad-1', payload: { message: 7 } }));
    expect(err).toBeInstanceOf(AblaufError);
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.status).toBe(400);
    expect(err.details.issues[0].path).toEqual(['message']);
    const missing = await rejection(ablauf().get({ id: 'bind-nope' }).getStatus());
    expect(missing.code).toBe('WORKFLOW_NOT_FOUND');
    expect(missing.message).toBe('Workflow "bind-nope" not found');
  });

  it('waitForUpdate rejects with UPDATE_TIMEOUT, and WORKFLOW_NOT_RUNNING when the instance ends first', async () => {
    const a = ablauf();
    const live = await a.create('live-progress', { id: 'bind-live-1', payload: { steps: 2 } });
    const timeout = await rejection(live.waitForUpdate({ update: 'done', timeout: '50ms' }));
    expect(timeout.code).toBe('UPDATE_TIMEOUT');
    const ended = await a.create('sse-test', { id: 'bind-sse-2', payload: { itemCount: 1 } });
    const gone = await rejection(ended.waitForUpdate({ update: 'progress', timeout: '5s' }));
    expect(gone.code).toBe('WORKFLOW_NOT_RUNNING');
  });

  it('resolves an update that arrives live while waiting', async () => {
    const a = ablauf();
    const live = await a.create('live-progress', { id: 'bind-live-2', payload: { steps: 3 } });
    const waiting = live.waitForUpdate({ update: 'done', timeout: '10s' });
    await live.sendEvent({ event: 'go', payload: {} });
    expect(await waiting).toEqual({ total: 3 });
  });

  it('lists instances through the index', async () => {
    const a = ablauf();
    await a.create('no-schema', { id: 'bind-list-1', payload: {} });
    const page = await a.list({ type: 'no-schema', limit: 10 });
    expect(page.workflows.map((w) => w.id)).toContain('bind-list-1');
    expect(page.nextCursor).toBeNull();
  });
});

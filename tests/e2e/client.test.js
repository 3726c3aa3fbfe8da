// shim/client.js (createAblaufClient) against the real server: every HTTP
// method, AblaufError, and subscribe() with replay, live updates, forced
// disconnects (reconnect with ?after, no duplicate, no gap) and abort.
import { inject, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createAblaufClient, AblaufError } from '../../shim/client.js';
import { liveProgressSequence, rejection } from '../support/shared.js';

const base = inject('baseUrl');
const client = createAblaufClient({ url: base });

let n = 0;
const uniqueId = (prefix) => `${prefix}-${process.pid}-${Date.now()}-${++n}`;

/**
 * A WebSocket class for the client's `WebSocket` option: wraps `ws`, records
 * every connection, and terminates the i-th connection right after its
 * kill[i]-th frame (later frames of that connection are dropped, as on a real
 * network failure).
 */
function instrumentedWebSocket(kill = []) {
  const connections = [];
  let notify = () => {};
  class InstrumentedWebSocket {
    constructor(url) {
      const conn = { url, frames: [], opened: false, closeCode: null, socket: this };
      const index = connections.push(conn) - 1;
      let dropping = false;
      this.ws = new WebSocket(url);
      this.ws.on('open', () => { conn.opened = true; notify(); this.onopen?.({ type: 'open' }); });
      this.ws.on('message', (data) => {
        if (dropping) return;
        const text = data.toString();
        conn.frames.push(text);
        this.onmessage?.({ data: text });
        if (conn.frames.length === kill[index]) {
          dropping = true;
          this.ws.terminate();
        }
      });
      this.ws.on('close', (code, reason) => {
        conn.closeCode = code;
        notify();
        this.onclose?.({ code, reason: reason.toString() });
      });
      this.ws.on('error', () => this.onerror?.({ type: 'error' }));
    }
    get readyState() { return this.ws.readyState; }
    close(code, reason) { this.ws.close(code, reason); }
  }
  /** Resolves once `pred(connections)` holds (checked on every open/close). */
  const until = (pred) => new Promise((resolve) => {
    const check = () => { if (pred(connections)) resolve(connections); };
    const prev = notify;
    notify = () => { prev(); check(); };
    check();
  });
  return { WebSocket: InstrumentedWebSocket, connections, until };
}

/** What subscribe() yields for live-progress(steps) when connected from the start. */
const liveProgressUpdates = liveProgressSequence;

async function collect(iterable, sink = []) {
  for await (const u of iterable) sink.push(u);
  return sink;
}


describe('createAblaufClient: HTTP methods', () => {
  it('types() lists every demo workflow with its schemas', async () => {
    const { types } = await client.types();
    const live = types.find((t) => t.type === 'live-progress');
    expect(live.events).toHaveProperty('go');
    expect(Object.keys(live.updates).sort()).toEqual(['done', 'progress']);
    expect(types.map((t) => t.type)).toEqual(expect.arrayContaining(['echo', 'sse-test', 'multi-event']));
  });

  it('create() starts an instance, idempotently for the same id and type; get() reads it', async () => {
    const id = uniqueId('echo');
    const first = await client.create('echo', { id, payload: { message: 'hey' } });
    expect(first).toMatchObject({ id, type: 'echo', status: 'completed', result: { original: 'hey', echoed: 'hey' } });
    const again = await client.create('echo', { id, payload: { message: 'hey' } });
    expect(again.id).toBe(id);
    expect(again.createdAt).toBe(first.createdAt);
    const got = await client.get(id);
    expect(got.status).toBe('completed');
    expect(got.steps.map((s) => s.name)).toEqual(['echo']);
    const generated = await client.create('echo', { payload: { message: 'gen' } });
    expect(generated.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('list() filters by type and status and pages with nextCursor', async () => {
    const ids = [uniqueId('list'), uniqueId('list'), uniqueId('list')];
    for (const id of ids) await client.create('multi-step', { id, payload: { value: 1 } });
    const page1 = await client.list({ type: 'multi-step', status: 'completed', limit: 2 });
    expect(page1.workflows).toHaveLength(2);
    expect(page1.workflows.every((w) => w.type === 'multi-step' && w.status === 'completed')).toBe(true);
    expect(typeof page1.nextCursor).toBe('string');
    const seen = [];
    let page = page1;
    for (let i = 0; i < 50; i++) {
      expect(page.workflows.length).toBeLessThanOrEqual(2);
      seen.push(...page.workflows.map((w) => w.id));
      if (ids.every((id) => seen.includes(id)) || page.nextCursor === null) break;
      page = await client.list({ type: 'multi-step', status: 'completed', limit: 2, cursor: page.nextCursor });
    }
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
    const none = await client.list({ type: 'multi-step', status: 'waiting' });
    expect(none.workflows.filter((w) => ids.includes(w.id))).toEqual([]);
  });

  it('timeline() lists the do steps in start order', async () => {
    const id = uniqueId('tl');
    await client.create('multi-step', { id, payload: { value: 2 } });
    const tl = await client.timeline(id);
    expect(tl).toMatchObject({ id, type: 'multi-step', status: 'completed' });
    expect(tl.timeline.map((e) => e.name)).toEqual(['step-a', 'step-b', 'step-c', 'step-d']);
  });

  it('sendEvent() delivers events (buffered and resumed)', async () => {
    const id = uniqueId('me');
    const created = await client.create('multi-event', { id, payload: { name: 'Ada' } });
    expect(created.status).toBe('waiting');
    const buffered = await client.sendEvent(id, 'second-approval', { ok: false });
    expect(buffered.delivery).toBe('buffered');
    const resumed = await client.sendEvent(id, 'first-approval', { ok: true });
    expect(resumed.delivery).toBe('resumed');
    expect(resumed.status.status).toBe('completed');
    expect(resumed.status.result).toEqual({ greeting: 'Hi, Ada', first: true, second: false });
  });

  it('pause(), resume() and terminate() drive the instance status', async () => {
    const id = uniqueId('ctl');
    await client.create('live-progress', { id, payload: { steps: 3 } });
    expect((await client.pause(id)).status).toBe('paused');
    expect((await client.resume(id)).status).toBe('waiting');
    expect((await client.terminate(id)).status).toBe('terminated');
    const err = await rejection(client.pause(id));
    expect(err).toBeInstanceOf(AblaufError);
    expect(err.code).toBe('WORKFLOW_NOT_RUNNING');
    expect(err.status).toBe(409);
  });

  it('updates() returns the persisted updates after a seq, with data parsed', async () => {
    const id = uniqueId('upd');
    await client.create('live-progress', { id, payload: { steps: 4 } });
    await client.sendEvent(id, 'go', {});
    const all = await client.updates(id);
    expect(all.updates.map((u) => [u.seq, u.event, u.data])).toEqual([
      [1, 'progress', { step: 2 }], [2, 'progress', { step: 4 }], [3, 'done', { total: 4 }],
    ]);
    expect(typeof all.updates[0].createdAt).toBe('number');
    const later = await client.updates(id, { after: 2 });
    expect(later.updates.map((u) => u.seq)).toEqual([3]);
  });

  it('rejects with AblaufError carrying the §5 fields for a 404', async () => {
    const id = uniqueId('missing');
    const err = await rejection(client.get(id));
    expect(err).toBeInstanceOf(AblaufError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('WORKFLOW_NOT_FOUND');
    expect(err.status).toBe(404);
    expect(err.message).toBe(`Workflow "${id}" not found`);
  });

  it('rejects with AblaufError carrying the §5 fields for a 400', async () => {
    const unknown = await rejection(client.create('no-such-type', { payload: {} }));
    expect(unknown).toBeInstanceOf(AblaufError);
    expect(unknown.code).toBe('WORKFLOW_TYPE_UNKNOWN');
    expect(unknown.status).toBe(400);

    const invalid = await rejection(client.create('echo', { id: uniqueId('bad'), payload: { message: 42 } }));
    expect(invalid).toBeInstanceOf(AblaufError);
    expect(invalid.code).toBe('VALIDATION_ERROR');
    expect(invalid.status).toBe(400);
    expect(Array.isArray(invalid.details.issues)).toBe(true);
    expect(invalid.details.issues.length).toBeGreaterThan(0);

    const event = await rejection(client.sendEvent(uniqueId('x'), 'go', {}));
    expect(event.status).toBe(404);
  });

  it('sends the token as a Bearer header over HTTP and as ?access_token= on the WebSocket', async () => {
    const seen = [];
    const spyFetch = (url, init) => { seen.push(init.headers); return fetch(url, init); };
    const ws = instrumentedWebSocket();
    const c = createAblaufClient({
      url: `${base}/__ablauf/`, wsUrl: base.replace(/^http/, 'ws'), token: 's3cret',
      headers: { 'x-extra': '1' }, fetch: spyFetch, WebSocket: ws.WebSocket,
    });
    const wf = await c.create('sse-test', { id: uniqueId('tok'), payload: { itemCount: 4 } });
    expect(seen[0]).toMatchObject({ authorization: 'Bearer s3cret', 'x-extra': '1', 'content-type': 'application/json' });
    const got = await collect(c.subscribe(wf.id));
    expect(got).toEqual([{ event: 'done', data: { message: 'Processed 4 items' }, seq: 1 }]);
    const url = new URL(ws.connections[0].url);
    expect(url.pathname).toBe(`/__ablauf/workflows/${wf.id}/ws`);
    expect(url.searchParams.get('access_token')).toBe('s3cret');
    expect(url.searchParams.get('after')).toBe('0');
  });
});

describe('createAblaufClient: subscribe()', () => {
  it('yields every persisted and live update of live-progress in order and ends on the end frame', async () => {
    const STEPS = 12;
    const id = uniqueId('sub');
    await client.create('live-progress', { id, payload: { steps: STEPS } });
    const ws = instrumentedWebSocket();
    const c = createAblaufClient({ url: base, WebSocket: ws.WebSocket });
    const got = [];
    const done = collect(c.subscribe(id), got);
    await ws.until((cs) => cs.length === 1 && cs[0].opened);
    await c.sendEvent(id, 'go', {});
    await done; // ends by itself
    expect(got).toEqual(liveProgressUpdates(STEPS));
    expect(ws.connections).toHaveLength(1);
    expect(JSON.parse(ws.connections[0].frames.at(-1))).toEqual({ event: 'close', data: {} });
  });

  it('replays the persisted updates after `after` for a finished instance', async () => {
    const id = uniqueId('replay');
    await client.create('live-progress', { id, payload: { steps: 6 } });
    await client.sendEvent(id, 'go', {});
    const got = await collect(client.subscribe(id, { after: 1 }));
    expect(got).toEqual([
      { event: 'progress', data: { step: 4 }, seq: 2 },
      { event: 'progress', data: { step: 6 }, seq: 3 },
      { event: 'done', data: { total: 6 }, seq: 4 },
    ]);
  });

  it('reconnects after forced disconnects with ?after: no duplicate and no gap in persisted seqs', async () => {
    const STEPS = 20;
    const id = uniqueId('drop');
    await client.create('live-progress', { id, payload: { steps: STEPS } });
    // Connection 1 dies after its 10th frame, connection 2 after its 2nd.
    const ws = instrumentedWebSocket([10, 2]);
    const c = createAblaufClient({ url: base, WebSocket: ws.WebSocket, backoff: { base: 50, cap: 500 } });
    const got = [];
    const done = collect(c.subscribe(id), got);
    await ws.until((cs) => cs.length === 1 && cs[0].opened);
    await c.sendEvent(id, 'go', {});
    await done;

    const conns = ws.connections;
    expect(conns.length).toBeGreaterThanOrEqual(3);
    expect(conns[0].frames).toHaveLength(10);
    expect(conns[1].frames).toHaveLength(2);
    // Each reconnect resumes after the last seq the previous connections delivered.
    let last = 0;
    for (const conn of conns) {
      expect(new URL(conn.url).searchParams.get('after')).toBe(String(last));
      const seqs = conn.frames.map((f) => JSON.parse(f).seq).filter((s) => s !== undefined);
      if (seqs.length) {
        expect(seqs[0]).toBe(last + 1); // the server replays from after+1
        last = seqs.at(-1);
      }
    }
    // What the iterator yielded: every persisted update exactly once, in order.
    const expected = liveProgressUpdates(STEPS);
    const persisted = got.filter((u) => u.seq !== undefined);
    expect(persisted).toEqual(expected.filter((u) => u.seq !== undefined));
    expect(persisted.map((u) => u.seq)).toEqual(Array.from({ length: STEPS / 2 + 1 }, (_, i) => i + 1));
    // The frames before the first drop arrived live, broadcasts included.
    expect(got.slice(0, 10)).toEqual(expected.slice(0, 10));
    expect(got.at(-1)).toEqual({ event: 'done', data: { total: STEPS }, seq: STEPS / 2 + 1 });
  });

  it('ends when the signal aborts and closes its socket', async () => {
    const id = uniqueId('abort');
    await client.create('live-progress', { id, payload: { steps: 2 } });
    const ws = instrumentedWebSocket();
    const c = createAblaufClient({ url: base, WebSocket: ws.WebSocket });
    const ac = new AbortController();
    const got = [];
    const done = collect(c.subscribe(id, { signal: ac.signal }), got);
    await ws.until((cs) => cs.length === 1 && cs[0].opened);
    ac.abort();
    await done; // resolves, no throw
    expect(got).toEqual([]);
    await ws.until((cs) => cs[0].closeCode !== null);
    expect(ws.connections).toHaveLength(1);
    // The instance itself is untouched.
    expect((await c.get(id)).status).toBe('waiting');

    const pre = new AbortController();
    pre.abort();
    expect(await collect(c.subscribe(id, { signal: pre.signal }))).toEqual([]);
  });

  it('throws AblaufError for a workflow without updates (close 1008) and for an unknown id', async () => {
    const echo = await client.create('echo', { payload: { message: 'm' } });
    const noUpdates = await rejection(collect(client.subscribe(echo.id)));
    expect(noUpdates).toBeInstanceOf(AblaufError);
    expect(noUpdates.details.closeCode).toBe(1008);

    const id = uniqueId('ghost');
    const missing = await rejection(collect(client.subscribe(id)));
    expect(missing).toBeInstanceOf(AblaufError);
    expect(missing.code).toBe('WORKFLOW_NOT_FOUND');
    expect(missing.status).toBe(404);
  });
});

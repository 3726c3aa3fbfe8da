// The WebSocket protocol of SPEC §6 against the real server (wrangler dev),
// with raw `ws` clients: broadcast fan-out to many sockets, replay of
// persisted updates, the end frame, ping/pong and the refusal cases.
import { inject, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { liveProgressSequence } from '../support/shared.js';

const base = inject('baseUrl');
const api = `${base}/__ablauf`;
const wsBase = api.replace(/^http/, 'ws');

let seq = 0;
const uniqueId = (prefix) => `${prefix}-${process.pid}-${Date.now()}-${++seq}`;

async function post(path, body) {
  const res = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? null),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * A raw client: `opened` resolves on open, `closed` with every text frame
 * received (parsed) and the close code once the socket closes.
 */
function rawClient(id, query = '') {
  const ws = new WebSocket(`${wsBase}/workflows/${id}/ws${query}`);
  const frames = [];
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error('unexpected response'), { statusCode: res.statusCode })));
    ws.once('error', reject);
  });
  opened.catch(() => {});
  ws.on('message', (data, isBinary) => {
    expect(isBinary).toBe(false);
    frames.push(JSON.parse(data.toString()));
  });
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ frames, code, reason: reason.toString() })));
  return { ws, frames, opened, closed };
}

/** The frames live-progress sends for `steps` steps, in order (data parsed). */
const liveProgressFrames = liveProgressSequence;

const END = { event: 'close', data: {} };

/** Update frames carry their value as JSON text; returns them with it parsed. */
function parsed(frames) {
  return frames.map((f) => {
    if (f.event === 'close' && f.seq === undefined) return f;
    expect(typeof f.data).toBe('string');
    return { ...f, data: JSON.parse(f.data) };
  });
}

describe('WebSocket live updates (SPEC §6)', () => {
  const STEPS = 20;
  const CLIENTS = 200;
  const liveId = uniqueId('lp-fanout');

  it(`broadcasts every frame in order to ${CLIENTS} concurrent clients, then ends them with 1000`, async () => {
    const created = await post('/workflows', { type: 'live-progress', id: liveId, payload: { steps: STEPS } });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('waiting');

    const clients = Array.from({ length: CLIENTS }, () => rawClient(liveId));
    await Promise.all(clients.map((c) => c.opened));
    // Nothing has been emitted yet, so nothing is replayed.
    expect(clients.every((c) => c.frames.length === 0)).toBe(true);

    const go = await post(`/workflows/${liveId}/events/go`, {});
    expect(go.status).toBe(202);
    expect(go.body.delivery).toBe('resumed');
    expect(go.body.status.status).toBe('completed');

    const results = await Promise.all(clients.map((c) => c.closed));
    const expected = [...liveProgressFrames(STEPS), END];
    for (const r of results) {
      expect(r.code).toBe(1000);
      expect(parsed(r.frames)).toEqual(expected);
    }
    // Persisted frames carry strictly increasing seqs 1..n.
    const seqs = results[0].frames.filter((f) => f.seq !== undefined).map((f) => f.seq);
    expect(seqs).toEqual(Array.from({ length: STEPS / 2 + 1 }, (_, i) => i + 1));
  }, 120000);

  it('gives a late joiner only the persisted frames in seq order, then the end frame', async () => {
    const late = rawClient(liveId);
    const r = await late.closed;
    expect(r.code).toBe(1000);
    const persisted = liveProgressFrames(STEPS).filter((f) => f.seq !== undefined);
    expect(parsed(r.frames)).toEqual([...persisted, END]);
  });

  it('replays only the persisted frames after ?after=N', async () => {
    const r = await rawClient(liveId, '?after=7').closed;
    expect(r.code).toBe(1000);
    const persisted = liveProgressFrames(STEPS).filter((f) => f.seq > 7);
    expect(persisted.map((f) => f.seq)).toEqual([8, 9, 10, 11]);
    expect(parsed(r.frames)).toEqual([...persisted, END]);
  });

  it('answers the text frame "ping" with "pong" and ignores other frames', async () => {
    const id = uniqueId('lp-ping');
    expect((await post('/workflows', { type: 'live-progress', id, payload: { steps: 2 } })).status).toBe(201);
    const ws = new WebSocket(`${wsBase}/workflows/${id}/ws`);
    const texts = [];
    let gotPong;
    const pong = new Promise((resolve) => { gotPong = resolve; });
    ws.on('message', (data) => {
      texts.push(data.toString());
      if (data.toString() === 'pong') gotPong();
    });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    ws.send('hello'); // ignored
    ws.send('ping');
    await pong;
    expect(texts).toEqual(['pong']);
    // The socket is still usable: the instance's updates still arrive.
    const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    await post(`/workflows/${id}/events/go`, {});
    expect(await closed).toBe(1000);
    expect(texts.at(-1)).toBe(JSON.stringify(END));
    expect(texts.slice(1).map((t) => JSON.parse(t).event)).toEqual(['progress', 'progress', 'progress', 'done', 'close']);
  });

  it('answers 426 to a plain GET of the ws URL', async () => {
    const id = uniqueId('lp-426');
    await post('/workflows', { type: 'live-progress', id, payload: { steps: 1 } });
    const res = await fetch(`${api}/workflows/${id}/ws`);
    expect(res.status).toBe(426);
    const body = await res.json();
    expect(typeof body.error.code).toBe('string');
  });

  it('refuses the upgrade with 404 WORKFLOW_NOT_FOUND for an unknown id', async () => {
    const id = uniqueId('nope');
    const ws = new WebSocket(`${wsBase}/workflows/${id}/ws`);
    const { status, body } = await new Promise((resolve, reject) => {
      ws.once('open', () => reject(new Error('opened')));
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
      });
    });
    expect(status).toBe(404);
    expect(body.error.code).toBe('WORKFLOW_NOT_FOUND');
    expect(body.error.message).toBe(`Workflow "${id}" not found`);
  });

  it('accepts and closes at once with 1008 for a workflow without updates (echo)', async () => {
    const id = uniqueId('echo-ws');
    expect((await post('/workflows', { type: 'echo', id, payload: { message: 'x' } })).status).toBe(201);
    const c = rawClient(id);
    await c.opened;
    const r = await c.closed;
    expect(r.code).toBe(1008);
    expect(r.frames).toEqual([]);
  });

  it('sse-test: a client connecting after completion gets the done frame and no progress frames', async () => {
    const id = uniqueId('sse');
    const created = await post('/workflows', { type: 'sse-test', id, payload: { itemCount: 6 } });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('completed');
    expect(created.body.result).toEqual({ processed: 6 });

    const r = await rawClient(id).closed;
    expect(r.code).toBe(1000);
    expect(r.frames).toHaveLength(2);
    const [done, end] = r.frames;
    expect(done.event).toBe('done');
    expect(typeof done.data).toBe('string');
    expect(done.data).toContain('Processed 6 items');
    expect(JSON.parse(done.data)).toEqual({ message: 'Processed 6 items' });
    expect(done.seq).toBe(1);
    expect(end).toEqual(END);
    expect(r.frames.some((f) => f.event === 'progress')).toBe(false);
  });
});

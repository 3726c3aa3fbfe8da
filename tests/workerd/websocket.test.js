// Live updates over hibernatable WebSockets inside workerd (SPEC §6): the
// worker route, the object's own /ws, replay with ?after, end frames,
// exactly-once across resumed passes, ping/pong.
import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { advance, create, sendEvent, uid } from './helpers.js';

/** Opens a socket through the worker; collects frames until close. */
async function open(id, { after, path } = {}) {
  const url = path ?? `https://x/__ablauf/workflows/${encodeURIComponent(id)}/ws${after !== undefined ? `?after=${after}` : ''}`;
  const res = await SELF.fetch(url, { headers: { Upgrade: 'websocket' } });
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  const frames = [];
  const waiters = [];
  let closed = null;
  const notify = () => { for (const w of waiters.splice(0)) w(); };
  ws.addEventListener('message', (e) => { frames.push(e.data); notify(); });
  ws.addEventListener('close', (e) => { closed = { code: e.code, reason: e.reason }; notify(); });
  ws.accept();
  const until = async (pred, what) => {
    const deadline = Date.now() + 10000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; frames: ${frames.join(' | ')}`);
      await new Promise((r) => { waiters.push(r); setTimeout(r, 50); });
    }
  };
  return {
    ws,
    frames,
    parsed: () => frames.filter((f) => f !== 'pong').map((f) => JSON.parse(f)),
    closed: () => closed,
    waitClose: () => until(() => closed !== null, 'close').then(() => closed),
    waitFrames: (n) => until(() => frames.length >= n, `${n} frames`),
  };
}

const END = { event: 'close', data: {} };

describe('WebSocket endpoint', () => {
  it('a client connecting after completion gets the persisted done frame only, then the end frame and 1000', async () => {
    const id = uid('ws-sse');
    expect((await create('sse-test', id, { itemCount: 6 })).body.status).toBe('completed');
    const c = await open(id);
    expect(await c.waitClose()).toMatchObject({ code: 1000 });
    const frames = c.parsed();
    expect(frames).toHaveLength(2);
    expect(frames[0]).toEqual({ event: 'done', data: JSON.stringify({ message: 'Processed 6 items' }), seq: 1 });
    expect(typeof frames[0].data).toBe('string');
    expect(frames[0].data).toContain('Processed 6 items');
    expect(frames[1]).toEqual(END);
    expect(frames.some((f) => f.event === 'progress')).toBe(false);
  });

  it('closes with 1008 at once for a workflow without updates', async () => {
    const id = uid('ws-echo');
    await create('echo', id, { message: 'x' });
    const c = await open(id);
    expect((await c.waitClose()).code).toBe(1008);
    expect(c.frames).toEqual([]);
  });

  it('answers 426 without Upgrade and 404 for an unknown instance', async () => {
    const id = uid('ws-426');
    await create('live-progress', id, { steps: 1 });
    const plain = await SELF.fetch(`https://x/__ablauf/workflows/${id}/ws`);
    expect(plain.status).toBe(426);
    expect((await plain.json()).error).toMatchObject({ status: 426, code: 'VALIDATION_ERROR' });
    const missing = await SELF.fetch('https://x/__ablauf/workflows/ws-nobody/ws', { headers: { Upgrade: 'websocket' } });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.message).toBe('Workflow "ws-nobody" not found');
  });

  it('streams live broadcasts and emits in order to connected clients, then ends them', async () => {
    const id = uid('ws-live');
    await create('live-progress', id, { steps: 4 });
    const a = await open(id);
    const b = await open(id);
    const ev = await sendEvent(id, 'go', {});
    expect(ev.body.status.status).toBe('completed');
    for (const c of [a, b]) {
      expect((await c.waitClose()).code).toBe(1000);
      expect(c.parsed()).toEqual([
        { event: 'progress', data: '{"step":1}' },
        { event: 'progress', data: '{"step":2}' },
        { event: 'progress', data: '{"step":2}', seq: 1 },
        { event: 'progress', data: '{"step":3}' },
        { event: 'progress', data: '{"step":4}' },
        { event: 'progress', data: '{"step":4}', seq: 2 },
        { event: 'done', data: '{"total":4}', seq: 3 },
        END,
      ]);
    }
  });

  it('replays only seq > after', async () => {
    const id = uid('ws-after');
    await create('live-progress', id, { steps: 6 });
    await sendEvent(id, 'go', {});
    const c = await open(id, { after: 2 });
    await c.waitClose();
    expect(c.parsed().map((f) => f.seq ?? f.event)).toEqual([3, 4, 'close']);
    const updates = await SELF.fetch(`https://x/__ablauf/workflows/${id}/updates?after=2`).then((r) => r.json());
    expect(updates.updates.map((u) => [u.seq, u.event, u.data])).toEqual([
      [3, 'progress', '{"step":6}'], [4, 'done', '{"total":6}'],
    ]);
  });

  it('fires every update call site exactly once across a resumed sleep and a resumed event', async () => {
    const id = uid('ws-resume');
    const created = await create('resume-updates', id, {});
    expect(created.body.status).toBe('sleeping');
    const live = await open(id);
    await live.waitFrames(1); // the persisted before-sleep, replayed on connect
    expect((await advance(id)).body.status).toBe('waiting');
    expect((await advance(id)).body.status).toBe('waiting'); // a duplicate wake-up sends nothing
    const ev = await sendEvent(id, 'go', {});
    expect(ev.body.status.status).toBe('completed');
    await live.waitClose();
    expect(live.parsed()).toEqual([
      { event: 'stage', data: '{"name":"before-sleep"}', seq: 1 },
      { event: 'stage', data: '{"name":"after-sleep"}', seq: 2 },
      { event: 'stage', data: '{"name":"after-sleep-live"}' },
      { event: 'stage', data: '{"name":"after-event"}', seq: 3 },
      { event: 'stage', data: '{"name":"done"}', seq: 4 },
      END,
    ]);
    const all = await SELF.fetch(`https://x/__ablauf/workflows/${id}/updates`).then((r) => r.json());
    expect(all.updates.map((u) => u.seq)).toEqual([1, 2, 3, 4]);
  });

  it('ends every connected client when the instance is terminated', async () => {
    const id = uid('ws-term');
    await create('live-progress', id, { steps: 3 });
    const c = await open(id);
    const t = await SELF.fetch(`https://x/__ablauf/workflows/${id}/terminate`, { method: 'POST' });
    expect(t.status).toBe(200);
    expect((await c.waitClose()).code).toBe(1000);
    expect(c.parsed()).toEqual([END]);
  });

  it('answers ping with pong and ignores other client frames', async () => {
    const id = uid('ws-ping');
    await create('live-progress', id, { steps: 2 });
    const c = await open(id);
    c.ws.send('hello');
    c.ws.send('ping');
    await c.waitFrames(1);
    expect(c.frames).toEqual(['pong']);
    c.ws.close(1000, 'bye');
    expect((await c.waitClose()).code).toBe(1000);
  });

  it("accepts an upgrade on the object's own /ws path for any host (SPEC §10)", async () => {
    const id = uid('ws-direct');
    await create('sse-test', id, { itemCount: 2 });
    const stub = env.WORKFLOW_RUNNER.get(env.WORKFLOW_RUNNER.idFromName(id));
    const res = await stub.fetch('http://anything/ws', { headers: { Upgrade: 'websocket' } });
    expect(res.status).toBe(101);
    const frames = [];
    const closed = new Promise((r) => res.webSocket.addEventListener('close', (e) => r(e.code)));
    res.webSocket.addEventListener('message', (e) => { frames.push(JSON.parse(e.data)); });
    res.webSocket.accept();
    expect(await closed).toBe(1000);
    expect(frames.map((f) => f.event)).toEqual(['done', 'close']);
  });
});

// The bench-only WebSocket hook of the demo worker (examples/demo/worker.js,
// npm run bench:compare's fan-out baseline): POST /__bench/ws-send/<id>
// {frames} sends each frame once to every socket of that instance's object
// with a bare ws.send loop. This tier runs with ABLAUF_TEST_HOOKS "1"
// (vitest.config.js), so the hook is on; with the variable off it is a 404.
import { SELF, env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../examples/demo/worker.js';
import { create, stubOf, uid } from './helpers.js';

/** A socket on the instance, through the worker; collects its frames. */
async function open(id) {
  const res = await SELF.fetch(`https://x/__ablauf/workflows/${encodeURIComponent(id)}/ws`, { headers: { Upgrade: 'websocket' } });
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  const frames = [];
  let wake = null;
  ws.addEventListener('message', (e) => { frames.push(e.data); if (wake) wake(); });
  ws.accept();
  return {
    frames,
    /** Resolves once everything the object sent before now has arrived: the
     *  runtime answers "ping" with "pong" on the same socket, after them. */
    async settled() {
      const before = frames.length;
      ws.send('ping');
      const deadline = Date.now() + 10000;
      while (!frames.slice(before).includes('pong')) {
        if (Date.now() > deadline) throw new Error(`no pong; frames: ${frames.join(' | ')}`);
        await new Promise((r) => { wake = r; setTimeout(r, 50); });
      }
      frames.splice(frames.lastIndexOf('pong'), 1);
    },
  };
}

const hook = (id, frames, via = (req) => SELF.fetch(req)) =>
  via(new Request(`https://x/__bench/ws-send/${encodeURIComponent(id)}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ frames }),
  }));

describe('bench hook /__bench/ws-send (ABLAUF_TEST_HOOKS=1)', () => {
  it('sends exactly the given frames, once each, to every socket of the instance and to no other', async () => {
    const id = uid('hook');
    const other = uid('hook-other');
    for (const i of [id, other]) expect((await create('live-progress', i, { steps: 2 })).status).toBe(201);
    const mine = [await open(id), await open(id), await open(id)];
    const theirs = await open(other);
    const frames = ['{"event":"progress","data":"{\\"step\\":1}"}', 'x'.repeat(1000), '{"event":"close","data":{}}'];

    const res = await hook(id, frames);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sockets: 3, frames: 3, sent: 9 });
    for (const c of [...mine, theirs]) await c.settled();
    for (const c of mine) expect(c.frames).toEqual(frames);
    expect(theirs.frames).toEqual([]);

    // n frames each time: a second call sends them again, nothing else.
    expect(await (await hook(id, frames.slice(0, 1))).json()).toEqual({ sockets: 3, frames: 1, sent: 3 });
    for (const c of mine) await c.settled();
    for (const c of mine) expect(c.frames).toEqual([...frames, frames[0]]);

    // Anything but an array of strings is refused, and nothing is sent.
    for (const bad of [null, 'x', [1], [{}]]) {
      const r = await hook(id, bad);
      expect(r.status).toBe(400);
      expect((await r.json()).error.code).toBe('VALIDATION_ERROR');
    }
    for (const c of mine) await c.settled();
    for (const c of mine) expect(c.frames).toEqual([...frames, frames[0]]);

    // The instance itself is untouched: still waiting for its event.
    const s = await SELF.fetch(`https://x/__ablauf/workflows/${id}`).then((r) => r.json());
    expect(s.status).toBe('waiting');
  });

  it('is the 404 of an unknown path without ABLAUF_TEST_HOOKS, at the worker and at the object', async () => {
    const id = uid('hook-off');
    expect((await create('live-progress', id, { steps: 1 })).status).toBe(201);
    const c = await open(id);
    const ctx = { waitUntil() {}, passThroughOnException() {} };
    for (const off of [{}, { ABLAUF_TEST_HOOKS: '0' }]) {
      const res = await hook(id, ['a'], (req) => worker.fetch(req, { ...env, ABLAUF_TEST_HOOKS: undefined, ...off }, ctx));
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('RESOURCE_NOT_FOUND');
    }
    // The object checks its own env too (a request that reaches it directly).
    const status = await runInDurableObject(stubOf(id), async (o) => {
      const saved = o.env;
      o.env = { ...saved, ABLAUF_TEST_HOOKS: '0' };
      try {
        return (await o.fetch(new Request('https://bench/__bench/ws-send/', { method: 'POST', body: JSON.stringify({ frames: ['a'] }) }))).status;
      } finally {
        o.env = saved;
      }
    });
    expect(status).toBe(404);
    await c.settled();
    expect(c.frames).toEqual([]);
  });
});

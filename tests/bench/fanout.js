// WebSocket fan-out measurement shared by npm run bench:ws (ws.mjs) and
// npm run bench:compare (compare.mjs): N clients on one live-progress
// instance; time from sending its `go` event until every client has the end
// frame. compare.mjs also times a baseline on the same sockets first: the
// same frames sent by a bare JavaScript ws.send loop in the same object (the
// demo worker's bench hook, examples/demo/worker.js, ABLAUF_TEST_HOOKS=1).
import WebSocket from 'ws';

import { post as timedPost } from './common.js';

/** POST JSON, the parsed answer. */
export const post = async (url, body) => (await timedPost(url, body)).json;

/** Opens a client; `onFrame(parsed, text)` for every JSON text frame. */
export function connect(url, onFrame) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: process.env.BENCH_DEFLATE === '1' });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
    ws.on('message', (d) => {
      const text = String(d);
      let f;
      try { f = JSON.parse(text); } catch { return; } // pong
      onFrame(f, text);
    });
  });
}

/** Connects `n` clients (50 at a time) to a new live-progress instance of
 *  `steps` steps at `base` (…/__ablauf), sends `go`, waits for every end
 *  frame. With `bare` (frames, as text): before the `go`, on the same
 *  sockets, POSTs them to the bench hook (/__bench/ws-send/<id> at the same
 *  origin), which sends each to every socket of the instance, and waits until
 *  every client has them all — timed the same way, from the request until
 *  the last client has the last frame.
 *  Resolves to { ms, frames, received, same, bareMs }: frames delivered in
 *  the `go` run (all clients), the texts client 0 received in it, whether
 *  every client received exactly those, and the baseline's ms (or null). */
export async function fanout(base, n, steps, { id = `fanout-${n}-${Date.now()}`, bare = null } = {}) {
  const wsBase = base.replace(/^http/, 'ws');
  await post(`${base}/workflows`, { type: 'live-progress', id, payload: { steps } });
  let phase = bare ? 'bare' : 'go';
  let bareDone = 0;
  let ended = 0;
  let frames = 0;
  const bareCount = new Array(n).fill(0);
  const got = Array.from({ length: n }, () => []);
  let resolveBare;
  let resolveAll;
  const allBare = new Promise((r) => { resolveBare = r; });
  const all = new Promise((r) => { resolveAll = r; });
  const sockets = [];
  try {
    for (let i = 0; i < n; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 50); j++) {
        batch.push(connect(`${wsBase}/workflows/${id}/ws`, (f, text) => {
          if (phase === 'bare') {
            if (++bareCount[j] === bare.length && ++bareDone === n) resolveBare();
            return;
          }
          frames++;
          got[j].push(text);
          if (f.event === 'close' && ++ended === n) resolveAll();
        }));
      }
      sockets.push(...(await Promise.all(batch)));
    }
    let bareMs = null;
    if (bare) {
      const t0 = performance.now();
      const answer = await post(`${new URL(base).origin}/__bench/ws-send/${encodeURIComponent(id)}`, { frames: bare });
      await allBare;
      bareMs = performance.now() - t0;
      if (answer.sockets !== n || answer.sent !== n * bare.length) throw new Error(`bench hook: ${JSON.stringify(answer)} for ${n} sockets`);
      phase = 'go';
    }
    const t0 = performance.now();
    await post(`${base}/workflows/${id}/events/go`, {});
    await all;
    const ms = performance.now() - t0;
    const same = got.every((g) => g.length === got[0].length && g.every((t, k) => t === got[0][k]));
    return { ms, frames, received: got[0], same, bareMs };
  } finally {
    for (const s of sockets) s.terminate();
  }
}

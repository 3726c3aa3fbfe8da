// WebSocket fan-out measurement shared by npm run bench:ws (ws.mjs) and
// npm run bench:compare (compare.mjs): N clients on one live-progress
// instance; time from sending its `go` event until every client has the end
// frame.
import WebSocket from 'ws';

import { post as timedPost } from './common.js';

/** POST JSON, the parsed answer. */
export const post = async (url, body) => (await timedPost(url, body)).json;

export function connect(url, onFrame) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: process.env.BENCH_DEFLATE === '1' });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
    ws.on('message', (d) => { try { onFrame(JSON.parse(String(d))); } catch { /* pong */ } });
  });
}

/** Connects `n` clients (50 at a time) to a new live-progress instance of
 *  `steps` steps at `base` (…/__ablauf), sends `go`, waits for every end
 *  frame. Resolves to { ms, frames }. */
export async function fanout(base, n, steps, id = `fanout-${n}-${Date.now()}`) {
  const wsBase = base.replace(/^http/, 'ws');
  await post(`${base}/workflows`, { type: 'live-progress', id, payload: { steps } });
  let ended = 0;
  let frames = 0;
  let resolveAll;
  const all = new Promise((r) => { resolveAll = r; });
  const sockets = [];
  try {
    for (let i = 0; i < n; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 50); j++) {
        batch.push(connect(`${wsBase}/workflows/${id}/ws`, (f) => {
          frames++;
          if (f.event === 'close' && ++ended === n) resolveAll();
        }));
      }
      sockets.push(...(await Promise.all(batch)));
    }
    const t0 = performance.now();
    await post(`${base}/workflows/${id}/events/go`, {});
    await all;
    return { ms: performance.now() - t0, frames };
  } finally {
    for (const s of sockets) s.terminate();
  }
}

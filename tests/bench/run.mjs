// npm run bench — measures the engine against a local `wrangler dev`
// (workerd + miniflare's SQLite, on this machine) and prints figures:
//   1. the `benchmark` workflow with 10, 100, 1,000 (and 10,000) steps,
//      run to completion by the create request: ms per workflow, µs per
//      step, steps per second;
//   2. replay: `benchmark-replay` with K = 100, 1,000, 10,000 completed
//      steps, then one event, whose pass replays all K: µs per replayed step;
//   3. scale: `benchmark` with 10,000, 50,000 and 100,000 steps (the pass
//      commits and continues in chunks): ms per 10,000 steps, which stays
//      flat when time is linear in N (BENCH_SCALE=0 skips it).
// Results are recorded by hand in docs/performance.md.
import { startDevServer } from '../support/devserver.js';

const REPEAT = Number(process.env.BENCH_REPEAT || 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function post(url, body) {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(json)}`);
  return { ms, json };
}

const server = await startDevServer();
const base = `${server.url}/__ablauf`;
let n = 0;
try {
  console.log(`ablauf benchmark — ${new Date().toISOString()}, node ${process.version}, median of ${REPEAT}`);
  console.log('\n1. benchmark workflow (create runs every step in one request, work = 100)');
  console.log('steps     ms/workflow   µs/step   steps/s');
  for (const steps of [10, 100, 1000, 10000]) {
    const times = [];
    const repeat = steps >= 10000 ? Math.max(1, Math.floor(REPEAT / 2)) : REPEAT;
    for (let i = 0; i < repeat; i++) {
      const { ms, json } = await post(`${base}/workflows`, { type: 'benchmark', id: `bench-${steps}-${n++}`, payload: { steps, work: 100 } });
      if (json.status !== 'completed' || json.result.steps !== steps) throw new Error(`bad run: ${json.status}`);
      times.push(ms);
    }
    const ms = median(times);
    console.log(`${String(steps).padEnd(9)} ${ms.toFixed(1).padStart(11)} ${(ms * 1000 / steps).toFixed(1).padStart(9)} ${Math.round(steps / (ms / 1000)).toString().padStart(9)}`);
  }

  console.log('\n2. replay: K completed steps, then one event (its pass replays all K)');
  console.log('K         ms/event      µs/replayed step');
  for (const k of [100, 1000, 10000]) {
    const times = [];
    const repeat = k >= 10000 ? Math.max(1, Math.floor(REPEAT / 2)) : REPEAT;
    for (let i = 0; i < repeat; i++) {
      const id = `replay-${k}-${n++}`;
      const created = await post(`${base}/workflows`, { type: 'benchmark-replay', id, payload: { steps: k, work: 0 } });
      if (created.json.status !== 'waiting') throw new Error(`bad setup: ${created.json.status}`);
      const { ms, json } = await post(`${base}/workflows/${id}/events/go`, {});
      if (json.status.status !== 'completed') throw new Error(`bad replay: ${json.status.status}`);
      times.push(ms);
    }
    const ms = median(times);
    console.log(`${String(k).padEnd(9)} ${ms.toFixed(1).padStart(8)} ${(ms * 1000 / k).toFixed(2).padStart(14)}`);
  }
  if (process.env.BENCH_SCALE !== '0') {
    console.log('\n3. scale: benchmark with N steps (work = 1), create until completed');
    console.log('N         ms total      ms per 10k steps');
    for (const steps of [10000, 50000, 100000]) {
      const id = `scale-${steps}-${n++}`;
      const t0 = performance.now();
      let { json } = await post(`${base}/workflows`, { type: 'benchmark', id, payload: { steps, work: 1 } });
      while (json.status !== 'completed') {
        if (json.status !== 'running') throw new Error(`bad scale run: ${json.status}`);
        await new Promise((r) => setTimeout(r, 200));
        json = await (await fetch(`${base}/workflows/${id}`)).json();
      }
      const ms = performance.now() - t0;
      console.log(`${String(steps).padEnd(9)} ${ms.toFixed(0).padStart(8)} ${(ms * 10000 / steps).toFixed(0).padStart(16)}`);
    }
  }
} finally {
  await server.stop();
}

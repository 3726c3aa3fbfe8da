// npm run bench — measures the engine against a local `wrangler dev`
// (workerd + miniflare's SQLite, on this machine) and prints figures:
//   1. the `benchmark` workflow with 10, 100, 1,000 (and 10,000) steps,
//      run to completion by the create request: ms per workflow, µs per
//      step, steps per second;
//   2. replay: `benchmark-replay` with K = 100, 1,000, 10,000 completed
//      steps, then one event, whose pass replays all K: µs per replayed step;
//   3. scale: `benchmark` with 10,000, 50,000 and 100,000 steps (the pass
//      commits and continues in chunks): ms per 10,000 steps, which stays
//      flat when time is linear in N (BENCH_SCALE=0 skips it);
//   4. I/O steps: `http-sequence` with 1, 10, 100 sequential fetch steps and
//      `http-parallel` with 10 fetch steps at once, against an HTTP server
//      this script starts on loopback: ms per workflow, and the engine's cost
//      per I/O step beyond the bare fetch (BENCH_IO=0 skips it).
// BENCH_ONLY=io runs only section 4 (also steps, replay, scale, or a
// comma-separated list of them); BENCH_<SECTION>=0 skips one.
// Results are recorded by hand in docs/performance.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDevServer } from '../support/devserver.js';
import { median, post } from './common.js';

const REPEAT = Number(process.env.BENCH_REPEAT || 5);
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : null;
const SECTIONS = ['steps', 'replay', 'scale', 'io'];
if (ONLY && ONLY.some((s) => !SECTIONS.includes(s))) throw new Error(`BENCH_ONLY: sections are ${SECTIONS.join(', ')}`);
const runs = (section) => (!ONLY || ONLY.includes(section)) && process.env[`BENCH_${section.toUpperCase()}`] !== '0';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- 4. I/O steps -----------------------------------------------------------
//
// What is measured: the engine's cost of an I/O step beyond the fetch itself.
// An I/O step is: the pass records the attempt's marker, the object commits
// it, then sends the request; the outcome comes back as an event (commit of
// the event mark, ab_io stores it, a pass replays the history up to the step,
// runs on to the next one and records its marker), and as after any event
// the listing entry goes to its index shard and the waiting create answer
// looks at the instance again.
//
// Per step: t(N) is the time of an http-sequence with N fetch steps, created
// by one request that answers once the instance is at rest. The marginal
// cost of a step, (t(100) - t(1)) / 99, leaves out what every run pays once
// (HTTP, the worker → object hop, the answer, the final commit) and still
// holds one fetch round trip. That round trip is taken out with a baseline
// measured in workerd under `wrangler dev` as the demo runs there: the
// product has no bare fetch to time, so a probe worker of a few lines, run
// by a `wrangler dev` of its own (same flags, same workerd), makes PROBE
// fetches of the same server one after another in one request and times
// them with Date.now() (which in workerd moves on at I/O; its 1 ms over
// PROBE = 100 fetches is 10 µs a fetch). Node's own fetch of the server is
// printed beside it. (A fetch from a worker under wrangler dev is slower
// than one from a workerd that miniflare runs bare, so it is measured under
// wrangler dev.) All raw figures are printed.
const PROBE = 100;
const PROBE_WORKER = `export default {
  async fetch(request) {
    if (request.method !== 'POST') return new Response('probe'); // devserver's readiness check
    const { url, k } = await request.json();
    const t0 = Date.now();
    for (let i = 0; i < k; i++) await (await fetch(url)).text();
    return Response.json({ ms: Date.now() - t0 });
  },
};
`;

/** The local HTTP server: a small JSON body at once; counts hits per path. */
async function startTarget() {
  const hits = new Map();
  const http = createServer((req, res) => {
    hits.set(req.url, (hits.get(req.url) || 0) + 1);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${http.address().port}`, hits, close: () => new Promise((r) => http.close(r)) };
}

/** ms per bare fetch from a worker under a `wrangler dev` of its own. */
async function probeWorkerd(url) {
  const dir = mkdtempSync(join(tmpdir(), 'ablauf-probe-'));
  const compatibilityDate = readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8')
    .match(/^compatibility_date\s*=\s*"([^"]+)"/m)[1];
  writeFileSync(join(dir, 'probe.js'), PROBE_WORKER);
  writeFileSync(join(dir, 'wrangler.toml'), `name = "ablauf-bench-probe"\nmain = "probe.js"\ncompatibility_date = "${compatibilityDate}"\n`);
  // its own inspector port: two wranglers at once must not both take 9229
  const probe = await startDevServer({ vars: {}, config: join(dir, 'wrangler.toml'), inspectorPort: await freePort() });
  try {
    const times = [];
    for (let i = 0; i <= REPEAT; i++) { // the first one warms up
      const res = await fetch(probe.url, { method: 'POST', body: JSON.stringify({ url, k: PROBE }) });
      if (i > 0) times.push((await res.json()).ms / PROBE);
    }
    return median(times);
  } finally {
    await probe.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ms per bare fetch from this Node process (undici, keep-alive). */
async function probeNode(url) {
  const times = [];
  for (let i = 0; i <= REPEAT; i++) {
    const t0 = performance.now();
    for (let j = 0; j < PROBE; j++) await (await fetch(url)).text();
    if (i > 0) times.push((performance.now() - t0) / PROBE);
  }
  return median(times);
}

/** ms from the create request until the instance completed (polled every
 *  10 ms should the create answer "running" after its 5 s). */
async function createToEnd(body) {
  const t0 = performance.now();
  let { json } = await post(`${base}/workflows`, body);
  while (json.status === 'running') {
    await sleep(10);
    json = await (await fetch(`${base}/workflows/${body.id}`)).json();
  }
  const ms = performance.now() - t0;
  if (json.status !== 'completed') throw new Error(`bad I/O run ${body.id}: ${json.status} ${json.error || ''}`);
  return { ms, json };
}

async function benchIo() {
  const target = await startTarget();
  try {
    const { origin, hits } = target;
    const sequence = async (count) => {
      const id = `io-seq-${count}-${n++}`;
      const url = `${origin}/seq/${id}`;
      const { ms, json } = await createToEnd({ type: 'http-sequence', id, payload: { url, count } });
      if (json.result.count !== count || hits.get(`/seq/${id}`) !== count) throw new Error(`bad sequence ${id}: ${hits.get(`/seq/${id}`)} requests arrived`);
      return ms;
    };
    const parallel = async (count) => {
      const id = `io-par-${count}-${n++}`;
      const urls = Array.from({ length: count }, (_, i) => `${origin}/par/${id}/${i}`);
      const { ms, json } = await createToEnd({ type: 'http-parallel', id, payload: { urls } });
      if (json.result.statuses.some((s) => s !== 200) || urls.some((u) => hits.get(new URL(u).pathname) !== 1)) throw new Error(`bad parallel run ${id}`);
      return ms;
    };
    console.log('\n4. I/O steps against a local node:http server answering 11 bytes of JSON at once: http-sequence');
    console.log('   (N fetch steps one after another) and http-parallel (10 fetch steps started together, awaited');
    console.log('   together; at most 6 are out at once per instance, the other 4 start as answers arrive)');
    const workerdFetch = await probeWorkerd(`${origin}/probe`);
    const nodeFetch = await probeNode(`${origin}/probe`);
    console.log(`bare fetch of that server, ms (median of ${REPEAT} x ${PROBE} fetches in a row):`);
    console.log(`  from a worker (probe, its own wrangler dev)  ${workerdFetch.toFixed(3)}   <- the baseline`);
    console.log(`  from node (fetch)                            ${nodeFetch.toFixed(3)}`);
    await sequence(1); // warms up the object and workerd's connection to the server

    // The sizes take turns within each round, so a drift of the machine
    // touches them alike.
    const sizes = [['1 sequential', 1, () => sequence(1)], ['10 sequential', 10, () => sequence(10)],
      ['100 sequential', 100, () => sequence(100)], ['10 parallel', 10, () => parallel(10)]];
    const times = sizes.map(() => []);
    for (let i = 0; i < REPEAT; i++) {
      for (const [k, [, , run]] of sizes.entries()) times[k].push(await run());
    }
    const [t1, t10, t100] = times.map(median);
    const step10 = (t10 - t1) / 9;
    const step100 = (t100 - t1) / 99;
    const us = (ms) => (ms * 1000).toFixed(0);

    console.log('requests          ms/workflow   ms/request   ms/workflow, min-max');
    for (const [k, [label, count]] of sizes.entries()) {
      const ms = median(times[k]);
      const range = `${Math.min(...times[k]).toFixed(1)}-${Math.max(...times[k]).toFixed(1)}`;
      console.log(`${label.padEnd(17)} ${ms.toFixed(1).padStart(11)} ${(ms / count).toFixed(2).padStart(12)} ${range.padStart(22)}`);
    }
    console.log(`one more sequential step, ms: (t(100) - t(1)) / 99 = ${step100.toFixed(3)}   [(t(10) - t(1)) / 9 = ${step10.toFixed(3)}]`);
    console.log(`per I/O step beyond the bare fetch, µs: ${us(step100)} - ${us(workerdFetch)} = ${us(step100 - workerdFetch)}   [against node's fetch: ${us(step100 - nodeFetch)}]`);
  } finally {
    await target.close();
  }
}

const server = await startDevServer();
const base = `${server.url}/__ablauf`;
let n = 0;
try {
  console.log(`ablauf benchmark — ${new Date().toISOString()}, node ${process.version}, median of ${REPEAT}`);
  if (runs('steps')) {
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
  }

  if (runs('replay')) {
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
  }

  if (runs('scale')) {
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
  if (runs('io')) await benchIo();
} finally {
  await server.stop();
}

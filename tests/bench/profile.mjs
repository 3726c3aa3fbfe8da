// profile.mjs — a CPU profile of the object's isolate while it serves one
// scenario, to see where a benchmark's time goes (docs/performance.md §2):
//
//   node tests/bench/profile.mjs steps N [count]    creates of `benchmark` with N steps
//   node tests/bench/profile.mjs replay K [count]   events to `benchmark-replay` after K steps
//   node tests/bench/profile.mjs throughput N [count]  creates of N steps, 10 at a time
//   node tests/bench/profile.mjs status N [count]   GETs of the Status of one N-step instance
//
// It starts the demo under wrangler dev with the inspector on, takes the
// profile through the inspector's Profiler domain (50 µs sampling) over
// `count` requests (default 10) after three warm-up requests, and prints the
// functions with the most self time and with the most inclusive time.
// Build the engine with `ABLAUF_WASM_NAMES=1 ./build.sh` first, or the C
// functions show as wasm-function[n]; the worker bundle is minified (the
// demo's wrangler.toml), so its JavaScript names are short.
import WebSocket from 'ws';
import { freePort, startDevServer } from '../support/devserver.js';

const [scenario = 'steps', nArg = '1000', countArg = '10'] = process.argv.slice(2);
if (!['steps', 'replay', 'throughput', 'status'].includes(scenario)) throw new Error('usage: profile.mjs steps|replay|throughput|status N [count]');
const n = Number(nArg);
const count = Number(countArg);

const inspectorPort = await freePort();
const srv = await startDevServer({ inspectorPort });
const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
let seq = 0;
const waiting = new Map();
ws.on('message', (m) => {
  const d = JSON.parse(m);
  if (d.id && waiting.has(d.id)) { waiting.get(d.id)(d.result); waiting.delete(d.id); }
});
const call = (method, params = {}) => new Promise((resolve) => {
  const id = ++seq;
  waiting.set(id, resolve);
  ws.send(JSON.stringify({ id, method, params }));
});

const post = async (path, body) => {
  const res = await fetch(`${srv.url}/__ablauf${path}`, {
    method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'identity' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
};
let k = 0;
const uid = () => `prof-${Date.now().toString(36)}-${k++}`;
// One request of the scenario; the instances of `replay` are made beforehand.
const ready = [];
const one = scenario === 'replay'
  ? () => post(`/workflows/${ready.shift()}/events/go`, {})
  : scenario === 'status'
    ? () => post(`/workflows/${ready[0]}`)
    : () => post('/workflows', { type: 'benchmark', id: uid(), payload: { steps: n, work: 100 } });
if (scenario === 'status') {
  const id = uid();
  await post('/workflows', { type: 'benchmark', id, payload: { steps: n, work: 100 } });
  ready.push(id);
}
if (scenario === 'replay') {
  for (let i = 0; i < count + 3; i++) {
    const id = uid();
    await post('/workflows', { type: 'benchmark-replay', id, payload: { steps: n, work: 0 } });
    ready.push(id);
  }
}

try {
  for (let i = 0; i < 3; i++) await one();
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 50 });
  await call('Profiler.start');
  const t0 = performance.now();
  if (scenario === 'throughput') {
    let left = count;
    await Promise.all(Array.from({ length: 10 }, async () => { while (left-- > 0) await one(); }));
  } else {
    for (let i = 0; i < count; i++) await one();
  }
  const wall = performance.now() - t0;
  const { profile } = await call('Profiler.stop');

  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const c of node.children || []) parent.set(c, node.id);
  const label = (node) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop()}`.trim();
  const self = new Map();
  const inclusive = new Map();
  profile.samples.forEach((sample, i) => {
    const dt = profile.timeDeltas[i] || 0;
    const top = label(byId.get(sample));
    self.set(top, (self.get(top) || 0) + dt);
    const seen = new Set();
    for (let id = sample; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id));
      if (!seen.has(l)) { seen.add(l); inclusive.set(l, (inclusive.get(l) || 0) + dt); }
    }
  });
  const show = (title, m) => {
    console.log(`\n${title} (ms per request)`);
    for (const [l, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(us / 1000 / count).toFixed(3).padStart(9)}  ${l}`);
  };
  console.log(`${scenario} ${n}: ${count} requests in ${wall.toFixed(0)} ms under the profiler (${(wall / count).toFixed(1)} ms each)`);
  show('self time', self);
  show('inclusive time', inclusive);
} finally {
  ws.close();
  await srv.stop();
}

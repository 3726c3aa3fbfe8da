// npm run bench:ws — WebSocket fan-out against a local `wrangler dev`:
//   1. N clients (10, 100, 1,000) connected to one live-progress instance with
//      20 steps (20 broadcast + 10 emitted progress updates + done = 31 update
//      frames per client); time from sending the `go` event until every client
//      has the end frame;
//   2. the memory of the workerd process with 1,000 idle clients connected
//      (RSS delta, read from /proc), the object hibernating-eligible.
import { readFileSync, readdirSync } from 'node:fs';
import { startDevServer } from '../support/devserver.js';
import { connect, fanout, post } from './fanout.js';

const STEPS = 20;

function descendants(pid) {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const parent = new Map();
  for (const p of all) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited */ }
  }
  const out = [];
  const walk = (p) => { for (const [c, pp] of parent) if (pp === p) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

function workerdRssKb(rootPid) {
  let kb = 0;
  for (const p of descendants(rootPid)) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (!cmd.includes('workerd')) continue;
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch { /* exited */ }
  }
  return kb;
}

const server = await startDevServer();
const base = `${server.url}/__ablauf`;
const wsBase = base.replace(/^http/, 'ws');
try {
  console.log(`ablauf WebSocket benchmark — ${new Date().toISOString()}, node ${process.version}`);
  console.log(`\n1. fan-out: one live-progress instance, ${STEPS} steps, 31 update frames + end frame per client`);
  console.log('clients   ms to deliver all   frames delivered   frames/s');
  for (const n of [10, 100, 1000]) {
    const { ms, frames } = await fanout(base, n, STEPS);
    console.log(`${String(n).padEnd(9)} ${ms.toFixed(1).padStart(17)} ${String(frames).padStart(18)} ${Math.round(frames / (ms / 1000)).toString().padStart(10)}`);
  }

  console.log('\n2. memory with 1,000 idle clients on one instance');
  const id = `idle-${Date.now()}`;
  await post(`${base}/workflows`, { type: 'live-progress', id, payload: { steps: 1 } });
  await new Promise((r) => setTimeout(r, 2000));
  const before = workerdRssKb(server.pid);
  const idle = [];
  for (let i = 0; i < 1000; i += 50) {
    const batch = [];
    for (let j = i; j < i + 50; j++) batch.push(connect(`${wsBase}/workflows/${id}/ws`, () => {}));
    idle.push(...(await Promise.all(batch)));
  }
  await new Promise((r) => setTimeout(r, 3000));
  const after = workerdRssKb(server.pid);
  console.log(`workerd RSS before ${(before / 1024).toFixed(1)} MiB, with 1,000 idle clients ${(after / 1024).toFixed(1)} MiB: ` +
    `+${((after - before) / 1024).toFixed(1)} MiB, ${((after - before) / 1000).toFixed(1)} KiB per client`);
  let pongs = 0;
  await Promise.all(idle.slice(0, 10).map((ws) => new Promise((r) => { ws.once('message', (d) => { if (String(d) === 'pong') pongs++; r(); }); ws.send('ping'); })));
  console.log(`ping/pong answered for ${pongs}/10 sampled idle clients`);
  for (const s of idle) s.terminate();
} finally {
  await server.stop();
}

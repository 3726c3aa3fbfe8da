// common.js — what the benchmark scripts share: the median, a timed JSON
// POST without compression (milliseconds from send to the parsed answer; a failed request throws
// with its status and body), and the runtime workerd's own URL (requests
// sent there skip the wrangler dev proxy).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function post(url, body) {
  const t0 = performance.now();
  // identity: the local runtime would gzip a JSON answer on the way out
  // (several ms for a page of steps), a cost of the transport, not the engine
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'identity' }, body: JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${res.status} ${text}`);
  return { ms, json: JSON.parse(text) };
}

/** The URL of `pid`'s listening socket that answers `path` with 200: the
 *  runtime workerd's entry socket (it also listens for the inspector and a
 *  debug port). Null when none does. */
export async function innerUrl(pid, path) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* closed */ }
  }
  const ports = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && inodes.has(f[9])) // LISTEN
    .map((f) => parseInt(f[1].split(':')[1], 16));
  for (const port of ports) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return `http://127.0.0.1:${port}`;
    } catch { /* not HTTP */ }
  }
  return null;
}

// Starts `wrangler dev` on a free loopback port with its own state directory
// (the e2e tier and the benchmarks share this). Returns { url, stop }.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url, child, log) {
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${log()}`);
    try {
      const res = await fetch(`${url}/__ablauf/types`);
      if (res.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not become ready:\n${log()}`);
}

export async function startDevServer({ vars = { ABLAUF_TEST_HOOKS: '1' } } = {}) {
  const port = await freePort();
  const persist = mkdtempSync(join(tmpdir(), 'ablauf-dev-'));
  let output = '';
  const args = ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', String(port),
    '--persist-to', persist, '--log-level', 'warn'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child = spawn('npx', args, {
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_HIDE_BANNER: 'true',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      XDG_CONFIG_HOME: join(process.cwd(), '.xdg'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child, () => output);
  return {
    url,
    pid: child.pid,
    log: () => output,
    async stop() {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      await new Promise((r) => setTimeout(r, 500));
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

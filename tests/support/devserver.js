// Starts `wrangler dev` on a free loopback port with its own state directory
// (the e2e tier and the benchmarks share this). Returns
// { url, port, persist, pid, log, stop, workerdPid, kill, restart }.
//
// Fault injection (tests/e2e/kill.test.js): `kill()` SIGKILLs the workerd
// process that runs the worker and its Durable Objects — found by walking the
// process tree of this wrangler (/proc/<pid>/task/*/children), never by name —
// and `restart()` stops what is left of that wrangler and starts a new one on
// the same port and the same state directory (`--persist-to`).
//
// What wrangler 4.86 does when that workerd dies: nothing. It neither exits nor
// starts a new workerd; only its inspector proxy logs (at debug level) that the
// runtime's WebSocket closed. Its proxy workerd (the process listening on the
// public port) stays up: a POST in flight is answered 503 "Your worker
// restarted mid-request", and new requests, and GETs (which it retries), hang
// until wrangler is stopped. So a test restarts wrangler itself; `kill()`
// still watches for an exit or a respawn and reports which it saw.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

async function waitReady(url, child, log, readyPath = '/__ablauf/types') {
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`wrangler dev exited:\n${log()}`);
    try {
      const res = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
    } catch { /* not up yet */ }
    await sleep(250);
  }
  throw new Error(`wrangler dev did not become ready:\n${log()}`);
}

/** The pids below `pid` (children of every thread, recursively). */
function descendants(pid) {
  const out = [];
  const walk = (p) => {
    let tasks;
    try { tasks = readdirSync(`/proc/${p}/task`); } catch { return; }
    for (const t of tasks) {
      let kids = '';
      try { kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8'); } catch { continue; }
      for (const k of kids.split(/\s+/).filter(Boolean).map(Number)) {
        if (!out.includes(k)) { out.push(k); walk(k); }
      }
    }
  };
  walk(pid);
  return out;
}

/** Alive and not a zombie. */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch { return false; }
}

function read(path) {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** Is the process group `pgid` gone (no live member)? */
function groupGone(pgid) {
  try { process.kill(-pgid, 0); } catch { return true; }
  // kill(0) also succeeds on zombies; look for a live member.
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const stat = read(`/proc/${p}/stat`);
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z') return false;
  }
  return true;
}

// `config` runs another worker than the root project's (its wrangler.toml);
// `readyPath` is then a path that answers 200 once it is up. `inspectorPort`:
// two wranglers at once must not both take the default (9229, then 9230).
export async function startDevServer({ vars = { ABLAUF_TEST_HOOKS: '1' }, persistTo, port, config, readyPath, inspectorPort } = {}) {
  const ownDir = persistTo === undefined;
  const persist = ownDir ? mkdtempSync(join(tmpdir(), 'ablauf-dev-')) : persistTo;
  const persistReal = realpathSync(persist);
  const thePort = port ?? await freePort();
  const url = `http://127.0.0.1:${thePort}`;
  // A developer's .dev.vars (or .env) must not leak into the tests: an env
  // file of our own, empty, replaces them (wrangler reads .dev.vars only when
  // no --env-file is given).
  const noVars = join(persist, '.no-dev-vars');
  writeFileSync(noVars, '');
  const args = ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', String(thePort),
    '--persist-to', persist, '--env-file', noVars, '--log-level', process.env.ABLAUF_DEV_LOG || 'warn'];
  if (config) args.push('--config', config);
  if (inspectorPort) args.push('--inspector-port', String(inspectorPort));
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  let output = '';
  let child = null;
  const log = () => output;
  // Whatever happens to the test, its wranglers die with it.
  const onExit = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', onExit);

  async function launch() {
    child = spawn('npx', args, {
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_HIDE_BANNER: 'true',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        XDG_CONFIG_HOME: join(process.cwd(), '.xdg'),
        // A dev registry of its own: servers of the same worker name (the
        // shared e2e server, the kill test's, a developer's npm start) must
        // not find and route to each other's Durable Objects.
        WRANGLER_REGISTRY_PATH: join(persistReal, '.registry'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: stop() signals the whole tree
    });
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    try {
      await waitReady(url, child, log, readyPath);
    } catch (err) {
      await stopTree(); // a server that never came up is not left running
      throw err;
    }
  }

  // Stops this wrangler's process group: SIGTERM, then SIGKILL for what is left.
  async function stopTree() {
    if (!child) return;
    const pgid = child.pid;
    try { process.kill(-pgid, 'SIGTERM'); } catch { /* gone */ }
    for (let i = 0; i < 40 && !groupGone(pgid); i++) await sleep(50);
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
    for (let i = 0; i < 100 && !groupGone(pgid); i++) await sleep(50);
  }

  // The workerd running the worker and its objects: the one descendant that
  // holds the state directory open; failing that, the workerd that is not the
  // proxy listening on our port.
  function findRuntime() {
    const workerds = descendants(child.pid)
      .filter((p) => alive(p) && read(`/proc/${p}/comm`).trim() === 'workerd');
    const holding = workerds.filter((p) => {
      try {
        return readdirSync(`/proc/${p}/fd`).some((fd) => {
          try { return readlinkSync(`/proc/${p}/fd/${fd}`).startsWith(persistReal + '/'); } catch { return false; }
        });
      } catch { return false; }
    });
    if (holding.length === 1) return holding[0];
    const notProxy = workerds.filter((p) => !read(`/proc/${p}/cmdline`).includes(`entry=127.0.0.1:${thePort}\0`));
    return notProxy.length === 1 ? notProxy[0] : null;
  }

  async function workerdPid(timeout = 30000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const pid = findRuntime();
      if (pid) return pid;
      if (Date.now() > deadline) throw new Error(`no workerd runtime under wrangler ${child.pid}:\n${log()}`);
      await sleep(50);
    }
  }

  await launch();
  return {
    url,
    port: thePort,
    persist,
    get pid() { return child.pid; },
    log,
    workerdPid,
    /** SIGKILLs the runtime workerd; watches `watchMs` for wrangler to exit or
     *  respawn it (then waits until the new one answers). Resolves to
     *  { pid, outcome: 'stayed' | 'exited' | 'respawned', killedAt }. */
    async kill({ watchMs = 1500 } = {}) {
      const pid = await workerdPid();
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
      if (alive(pid)) throw new Error(`workerd ${pid} survived SIGKILL`);
      let outcome = 'stayed';
      const until = Date.now() + watchMs;
      while (Date.now() < until) {
        if (child.exitCode !== null || child.signalCode !== null) { outcome = 'exited'; break; }
        const next = findRuntime();
        if (next && next !== pid) {
          outcome = 'respawned';
          await waitReady(url, child, log, readyPath);
          break;
        }
        await sleep(100);
      }
      return { pid, outcome, killedAt };
    },
    /** Stops this wrangler and starts a new one on the same port and state. */
    async restart() {
      await stopTree();
      await launch();
    },
    async stop() {
      await stopTree();
      process.off('exit', onExit);
      if (ownDir) rmSync(persist, { recursive: true, force: true });
    },
  };
}

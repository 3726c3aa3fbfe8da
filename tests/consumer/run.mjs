// The consumer test: this project used the way a user uses it, from its npm
// tarball, in a directory that is not this repository.
//
//   npm pack -> unpack -> its `ablauf init app` -> npm install (the tarball, the
//   rest from the npm registry, the local cache preferred) -> a second
//   workflow file -> `ablauf build` -> the application's own `npm test` ->
//   `ablauf dev` over HTTP (create, the dashboard, a rebuild on change, a
//   compile error that leaves the previous engine serving) -> `npm run deploy
//   -- --dry-run` (the bundle holds the application's workflows and no demo)
//   -> bad definitions fail the build naming the file.
//
// Prints one line per check and "consumer: N passed, M failed"; exits 1 on
// any failure. KEEP=1 keeps the temporary directory.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/devserver.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(join(tmpdir(), 'ablauf-consumer-'));
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  XDG_CONFIG_HOME: join(tmp, '.xdg'),
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_update_notifier: 'false',
};
delete env.CJSON_DIR; // the tarball carries its own verified copy
let passed = 0;
let failed = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${!ok && detail ? `\n${String(detail).trim().split('\n').map((l) => `     ${l}`).join('\n')}` : ''}`);
  return ok;
}

function run(cmd, args, cwd, extraEnv = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout || ''}${r.stderr || ''}` };
}

const app = join(tmp, 'shop');
try {
  // --- pack, unpack, init --------------------------------------------------------
  const pack = run('npm', ['pack', root, '--pack-destination', tmp], tmp);
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!check('npm pack makes a tarball', pack.status === 0 && tgz, pack.out)) throw new Error('stop');
  const tarball = join(tmp, tgz);
  run('tar', ['xzf', tarball, '-C', tmp], tmp);
  const cli = join(tmp, 'package/cli/ablauf.mjs');
  const init = run('node', [cli, 'init', app, '--ablauf', `file:${tarball}`], tmp);
  check('ablauf init creates the application', init.status === 0 &&
    ['workflows/hello.c', 'worker.js', 'wrangler.toml', 'package.json', 'test/hello.test.js', '.gitignore']
      .every((f) => existsSync(join(app, f))), init.out);
  check('.gitignore keeps .dev.vars out', readFileSync(join(app, '.gitignore'), 'utf8').split('\n').includes('.dev.vars'));
  const again = run('node', [cli, 'init', app], tmp);
  check('ablauf init never overwrites', again.status !== 0 && /already has/.test(again.out), again.out);

  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
  if (!check('npm install (the tarball + the registry)', install.status === 0, install.out)) throw new Error('stop');

  // --- a second workflow, build, the application's own tests ---------------------
  writeFileSync(join(app, 'workflows/orders.c'), `#include "ablauf.h"

static ab_rc total(ab_ctx *c, const cJSON *in, cJSON **out) {
    double sum = 0;
    const cJSON *line;
    cJSON_ArrayForEach(line, ab_get_arr(in, "lines")) sum += ab_get_num(line, "amount", 0);
    return ab_ok(c, out, ab_num(c, sum));
}

static ab_rc order_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *sum, *ok;
    AB_TRY(ab_do(c, "total", NULL, total, in, &sum));
    AB_TRY(ab_wait_for_event(c, "approve", "1h", &ok));
    return ab_ok(c, result, ab_obj(c, "total", sum, "approved", ab_bool(c, ab_get_bool(ok, "ok", 0)), AB_END));
}

static const ab_event_def order_events[] = {
    {"approve", AB_JSON({"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}})},
    {NULL, NULL}};

AB_WORKFLOW(order) = {
    .type = "order",
    .input_schema = AB_JSON({"type": "object", "required": ["lines"],
                             "properties": {"lines": {"type": "array", "minItems": 1}}}),
    .events = order_events,
    .run = order_run,
};
`);
  const bld = run('npx', ['ablauf', 'build'], app);
  check('ablauf build compiles both workflow files', bld.status === 0 && /2 workflow\(s\): hello, order/.test(bld.out) &&
    /with Debian clang 14|with wasi-sdk/.test(bld.out), bld.out);
  const rebuild = run('npx', ['ablauf', 'build'], app);
  check('a second build compiles nothing', rebuild.status === 0 && /\b0 of \d+ units compiled/.test(rebuild.out), rebuild.out);
  check('types are generated', /"order": \{/.test(readFileSync(join(app, 'build/workflows.d.ts'), 'utf8')));
  const test = run('npm', ['test'], app);
  check("the application's npm test passes", test.status === 0 && /2 passed/.test(test.out), test.out);

  // --- ablauf dev over HTTP ----------------------------------------------------------
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let devOut = '';
  const dev = spawn('npx', ['ablauf', 'dev', '--ip', '127.0.0.1', '--port', String(port)], { cwd: app, env, detached: true });
  dev.stdout.on('data', (d) => { devOut += d; });
  dev.stderr.on('data', (d) => { devOut += d; });
  const post = async (path, body) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(20000) });
    return { status: res.status, body: await res.json() };
  };
  try {
    let up = false;
    for (let i = 0; i < 240 && !up; i++) {
      try { up = (await fetch(`${base}/__ablauf/types`, { signal: AbortSignal.timeout(2000) })).ok; } catch { await sleep(250); }
    }
    if (!check('ablauf dev serves the application', up, devOut)) throw new Error('stop');
    const c = await post('/__ablauf/workflows', { type: 'hello', id: 'h1', payload: { name: 'Ada' } });
    check('create over HTTP completes', c.status === 201 && c.body.status === 'completed' && c.body.result.greeting === 'Hello, Ada!', JSON.stringify(c));
    const o = await post('/__ablauf/workflows', { type: 'order', id: 'o1', payload: { lines: [{ amount: 40 }, { amount: 2 }] } });
    const e = await post('/__ablauf/workflows/o1/events/approve', { ok: true });
    check('the second workflow runs: waits, then completes on its event', o.body.status === 'waiting' &&
      e.status === 202 && e.body.status.status === 'completed' && e.body.status.result.total === 42, JSON.stringify([o, e]));
    const dash = await fetch(`${base}/__ablauf/`);
    check('the dashboard is served', dash.status === 200 && /<html/i.test(await dash.text()));
    const other = await fetch(`${base}/elsewhere`);
    check('other paths are 404 JSON', other.status === 404 && (await other.json()).error.code === 'RESOURCE_NOT_FOUND');

    // a change is rebuilt and served
    const hello = join(app, 'workflows/hello.c');
    const src = readFileSync(hello, 'utf8');
    writeFileSync(hello, src.replace('"Hello, %s!"', '"Hi there, %s!"'));
    let changed = false;
    for (let i = 0; i < 120 && !changed; i++) {
      await sleep(500);
      try {
        const r = await post('/__ablauf/workflows', { type: 'hello', id: `h-change-${i}`, payload: { name: 'Bo' } });
        changed = r.body.result && r.body.result.greeting === 'Hi there, Bo!';
      } catch { /* reloading */ }
    }
    check('a changed workflow is rebuilt and served', changed, devOut.slice(-2000));
    // a compile error is shown once and the previous engine keeps serving
    const mark = devOut.length;
    writeFileSync(hello, src.replace('return ab_ok(c, result', 'return ab_ok(c, resullt'));
    await sleep(4000);
    const shown = devOut.slice(mark);
    const r = await post('/__ablauf/workflows', { type: 'hello', id: 'h-after-error', payload: { name: 'Cy' } });
    check('a compile error is shown, once, without a stack trace', /hello\.c:\d+:\d+: error/.test(shown) &&
      (shown.match(/error: use of undeclared identifier/g) || []).length === 1 && !/\n\s+at .*\.m?js:\d+/.test(shown), shown);
    check('the previous engine keeps serving', r.status === 201 && r.body.result.greeting === 'Hi there, Cy!', JSON.stringify(r));
    writeFileSync(hello, src);
  } finally {
    try { process.kill(-dev.pid, 'SIGTERM'); } catch { /* gone */ }
    await sleep(1000);
    try { process.kill(-dev.pid, 'SIGKILL'); } catch { /* gone */ }
  }

  // --- deploy --dry-run: only the application's workflows ------------------------------
  const dry = run('npm', ['run', 'deploy', '--', '--dry-run', '--outdir', 'dist'], app);
  // The workflows live in the engine the bundle carries (a .wasm of its own).
  const bundle = existsSync(join(app, 'dist')) ? readdirSync(join(app, 'dist')).filter((f) => f.endsWith('.wasm')).map((f) => readFileSync(join(app, 'dist', f))) : [];
  const has = (s) => bundle.some((b) => b.includes(Buffer.from(s)));
  check('wrangler deploy --dry-run bundles the application', dry.status === 0 && bundle.length > 0, dry.out);
  check('the bundle holds its workflows and no demo workflow',
    bundle.length === 1 && has('hello') && has('order') && !has('crash-once') && !has('sse-test') && !has('benchmark-replay'));

  // --- bad definitions fail the build, naming file and workflow ---------------------------
  const bad = [
    ['broken schema', `AB_WORKFLOW(broken) = {.type = "broken", .input_schema = "{\\"type\\": "};`,
      /workflows\/bad\.c:2: error: workflow broken \("broken"\): .*input schema/],
    ['duplicate type', `static ab_rc r(ab_ctx *c, const cJSON *p, cJSON **o) { return ab_ok(c, o, ab_num(c, 1)); }\nAB_WORKFLOW(dup) = {.type = "hello", .run = r};`,
      /workflows\/hello\.c:\d+: error: workflow hello \("hello"\): type is registered twice \(also by dup at workflows\/bad\.c:3\)/],
    ['bad name', `static ab_rc r(ab_ctx *c, const cJSON *p, cJSON **o) { return ab_ok(c, o, ab_num(c, 1)); }\nAB_WORKFLOW(badname) = {.type = "", .run = r};`,
      /workflows\/bad\.c:3: error: workflow badname: type name must be 1 to 128 bytes/],
    ['workflow name defined twice', `AB_WORKFLOW(hello) = {.type = "x"};`, /^workflows\/hello\.c:\d+: workflow hello is also defined at workflows\/bad\.c:2$/m],
  ];
  const before = readFileSync(join(app, 'build/engine.wasm'));
  for (const [name, text, want] of bad) {
    writeFileSync(join(app, 'workflows/bad.c'), `#include "ablauf.h"\n${text}\n`);
    const b = run('npx', ['ablauf', 'build'], app);
    check(`a ${name} fails the build with its message`, b.status !== 0 && want.test(b.out) && !/\n\s+at .*\.m?js:\d+/.test(b.out), b.out);
  }
  rmSync(join(app, 'workflows/bad.c'));
  check('a failed build leaves the engine in place', readFileSync(join(app, 'build/engine.wasm')).equals(before));
} catch (err) {
  if (err.message !== 'stop') check('the consumer test ran to its end', false, err.stack);
} finally {
  if (process.env.KEEP) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
console.log(`consumer: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

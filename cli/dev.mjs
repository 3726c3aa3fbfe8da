// dev.mjs — `ablauf dev`: build, serve with `wrangler dev`, rebuild when a
// workflow source changes. wrangler reloads the worker when the new
// engine.wasm lands; a build that fails prints its compiler messages once and
// leaves the previous engine serving.
import { existsSync, watch } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BuildError } from './build.mjs';

export async function dev({ appDir, patterns, outDir }, wranglerArgs, { say, runBuild }) {
  const attempt = async () => {
    try {
      await runBuild();
      return true;
    } catch (err) {
      if (!(err instanceof BuildError)) throw err;
      process.stderr.write(`${err.message}\n`);
      return false;
    }
  };
  if (!(await attempt()) && !existsSync(join(appDir, outDir, 'engine.wasm'))) {
    say('nothing to serve yet: fix the error above and run ablauf dev again');
    process.exit(1);
  }
  // The test hook (_advance) is on: this is a local development server.
  const child = spawn('npx', ['wrangler', 'dev', '--var', 'ABLAUF_TEST_HOOKS:1', ...wranglerArgs],
    { cwd: appDir, stdio: 'inherit' });
  // The directories the patterns look in (their part before the first glob).
  const roots = [...new Set(patterns.map((p) => {
    const parts = p.split('/');
    const i = parts.findIndex((s) => /[*?]/.test(s));
    return join(appDir, ...(i < 0 ? parts.slice(0, -1) : parts.slice(0, i)));
  }))].filter((d) => existsSync(d));
  let timer = null;
  let last = '';
  let building = Promise.resolve();
  const rebuild = () => {
    timer = null;
    building = building.then(() => rebuildOnce());
  };
  const rebuildOnce = async () => {
    try {
      await runBuild();
      last = '';
    } catch (err) {
      if (!(err instanceof BuildError)) throw err;
      // The same error again (an editor saving twice) is not repeated.
      if (err.message !== last) process.stderr.write(`${err.message}\nablauf: the previous engine keeps serving\n`);
      last = err.message;
    }
  };
  const watchers = roots.map((dir) => watch(dir, { recursive: true }, (_, file) => {
    if (file && !/\.[ch]$/.test(String(file))) return;
    clearTimeout(timer);
    timer = setTimeout(rebuild, 150);
  }));
  say(`watching ${roots.map((r) => r.slice(appDir.length + 1) || '.').join(', ')} for changes`);
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await new Promise((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 1 : 0))));
  for (const w of watchers) w.close();
  process.exit(code);
}

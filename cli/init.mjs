// init.mjs — `ablauf init <dir>`: a working application from cli/template:
// one example workflow, the worker entry, wrangler.toml, a vitest-pool-workers
// test, the scripts dev/build/test/deploy, a .gitignore that keeps .dev.vars
// (local secrets) out of git. It never overwrites a file that exists.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { BuildError, PKG_DIR } from './build.mjs';

const TEMPLATE = join(PKG_DIR, 'cli/template');
// npm never packs a file named .gitignore; the template keeps it as gitignore.
const RENAME = { gitignore: '.gitignore' };

function files(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

export function init(dir, { ablauf, log = () => {} } = {}) {
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'app';
  const version = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')).version;
  const spec = ablauf || `^${version}`;
  const planned = files(TEMPLATE).map((src) => {
    const rel = relative(TEMPLATE, src).split('/').map((p) => RENAME[p] || p).join('/');
    return { src, dst: join(dir, rel), rel };
  });
  const clash = planned.filter((f) => existsSync(f.dst));
  if (clash.length) throw new BuildError(`ablauf init: ${dir} already has ${clash.map((f) => f.rel).join(', ')}; nothing was written`);
  for (const f of planned) {
    mkdirSync(join(f.dst, '..'), { recursive: true });
    const text = readFileSync(f.src, 'utf8').replaceAll('__APP_NAME__', name).replaceAll('__ABLAUF_SPEC__', spec);
    writeFileSync(f.dst, text);
  }
  log(`created ${dir} (${planned.length} files). Next:\n  cd ${relative(process.cwd(), dir) || '.'}\n  npm install\n  npm run dev`);
}

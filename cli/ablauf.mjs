#!/usr/bin/env node
// ablauf — the command line of the ablauf package (docs/cli.md).
//
//   ablauf init <dir>      a new application: one example workflow, a worker
//                          entry, wrangler.toml, a test, scripts
//   ablauf build           workflows -> build/engine.wasm + build/workflows.d.ts
//   ablauf dev [args]      build, serve with wrangler dev (args passed on),
//                          rebuild when a workflow file changes
//   ablauf registry -o F files...   (the project's own build) the registry.c
//                          of these sources
//
// Build options: --workflows <glob> (repeatable; default from package.json
// "ablauf.workflows", else workflows/**/*.c), --out <dir> (default build),
// --app <dir> (default the current directory).
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, BuildError, PKG_DIR } from './build.mjs';
import { collect, registrySource } from './registry.mjs';
import { init } from './init.mjs';
import { dev } from './dev.mjs';

function parse(argv) {
  const opts = { workflows: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--workflows') opts.workflows.push(argv[++i]);
    else if (a === '--out' || a === '-o') opts.out = argv[++i];
    else if (a === '--app') opts.app = argv[++i];
    else if (a === '--ablauf') opts.ablauf = argv[++i];
    else if (a === '--') opts.rest.push(...argv.slice(i + 1)), (i = argv.length);
    else opts.rest.push(a);
  }
  return opts;
}

/** Build settings: flags, then the app's package.json "ablauf" field, then defaults. */
export function settings(opts) {
  const appDir = resolve(opts.app || process.cwd());
  let cfg = {};
  try {
    cfg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')).ablauf || {};
  } catch { /* no package.json: defaults */ }
  const patterns = opts.workflows.length ? opts.workflows : [].concat(cfg.workflows || 'workflows/**/*.c');
  return { appDir, patterns, outDir: opts.out || cfg.out || 'build' };
}

const say = (msg) => process.stderr.write(`ablauf: ${msg}\n`);

export async function runBuild(opts) {
  const s = settings(opts);
  const r = await build({ ...s, log: (m) => process.stderr.write(`${m}\n`) });
  say(`built ${r.wasm} (${(r.bytes / 1024).toFixed(1)} KB, ${r.workflows.length} workflow(s): ${r.workflows.join(', ')}; ` +
    `${r.compiled} of ${r.units} units compiled) with ${r.toolchain}`);
  return r;
}

async function main() {
  const [cmd, ...argv] = process.argv.slice(2);
  const opts = parse(argv);
  switch (cmd) {
    case 'build':
      await runBuild(opts);
      return;
    case 'init': {
      const dir = opts.rest[0];
      if (!dir) throw new BuildError('usage: ablauf init <dir>');
      init(resolve(dir), { ablauf: opts.ablauf, log: say });
      return;
    }
    case 'dev':
      await dev(settings(opts), opts.rest, { say, runBuild: () => runBuild(opts) });
      return;
    case 'registry': {
      if (!opts.out) throw new BuildError('usage: ablauf registry -o registry.c file.c...');
      writeFileSync(opts.out, registrySource(collect(opts.rest)));
      return;
    }
    case '--version':
    case 'version':
      console.log(JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')).version);
      return;
    default:
      throw new BuildError(`usage: ablauf init <dir> | build | dev [wrangler dev args]${cmd ? ` (not "${cmd}")` : ''}`);
  }
}

main().catch((err) => {
  if (err instanceof BuildError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
});

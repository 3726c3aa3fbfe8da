// build.mjs — `ablauf build`: the application's workflow sources + the engine
// -> one engine.wasm, checked, with TypeScript types (docs/cli.md).
//
//   1. find the sources (patterns, default workflows/**/*.c) and their
//      AB_WORKFLOW definitions; generate the registry from them
//   2. compile every unit that changed (objects are cached by a hash of the
//      source, the headers and the flags), link with LTO
//   3. load the new module in Node and check every definition (ab_check): a
//      bad schema, name or duplicate type fails the build, naming the file
//   4. write the types, then move the new engine.wasm into place — a failed
//      build never replaces a working engine
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, registrySource } from './registry.mjs';
import { findToolchain } from './toolchain.mjs';
import { findCjson } from './cjson.mjs';
import { workflowTypes } from './types.mjs';
import { createEngine } from '../shim/host.js';

export const PKG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A failure the user should see as a message, not a stack trace. */
export class BuildError extends Error {}

// --- sources ---------------------------------------------------------------------

function globRegex(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** The files of appDir matching the patterns (relative to appDir), sorted, deduplicated. */
export function expand(appDir, patterns) {
  const found = new Set();
  for (const pat of patterns) {
    const parts = pat.split('/');
    const fixed = [];
    for (const p of parts) {
      if (/[*?]/.test(p)) break;
      fixed.push(p);
    }
    const base = join(appDir, ...fixed);
    if (fixed.length === parts.length) {
      if (existsSync(base)) found.add(resolve(base));
      continue;
    }
    const re = globRegex(pat);
    for (const f of walk(base)) if (re.test(relative(appDir, f).split('\\').join('/'))) found.add(resolve(f));
  }
  return [...found].sort();
}

// --- compiling -----------------------------------------------------------------------

const WARN = ['-std=c11', '-pedantic', '-Wall', '-Wextra', '-Wno-unused-parameter'];
const TARGET = ['-Oz', '-flto', '-DAB_WASM=1', '-DNDEBUG'];
const LINK = ['-mexec-model=reactor', '-Wl,--stack-first', '-Wl,-z,stack-size=1048576', '-Wl,--initial-memory=4194304',
  '-Wl,--max-memory=67108864', process.env.ABLAUF_WASM_NAMES === '1' ? '-Wl,--strip-debug' : '-Wl,--strip-all', '-Wl,--gc-sections'];

function sha(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

function headersOf(dirs) {
  const texts = [];
  for (const d of dirs) for (const f of walk(d).filter((x) => x.endsWith('.h')).sort()) texts.push(f, readFileSync(f));
  return sha(...texts);
}

/**
 * Builds appDir's workflows into outDir/engine.wasm and outDir/workflows.d.ts.
 * Returns {wasm, bytes, workflows, compiled, units, toolchain}.
 */
export async function build({ appDir = process.cwd(), patterns = ['workflows/**/*.c'], outDir = 'build', log = () => {} } = {}) {
  appDir = resolve(appDir);
  const out = resolve(appDir, outDir);
  const files = expand(appDir, patterns);
  if (files.length === 0) throw new BuildError(`no C files match ${patterns.join(', ')} in ${appDir}`);
  let defs;
  try {
    defs = collect(files);
  } catch (err) {
    throw new BuildError(err.message.replaceAll(`${appDir}/`, ''));
  }
  if (defs.length === 0) throw new BuildError(`no AB_WORKFLOW(name) definitions in ${patterns.join(', ')}`);

  let toolchain, cjson;
  try {
    toolchain = findToolchain({ appDir });
    cjson = findCjson(PKG_DIR, log);
  } catch (err) {
    throw new BuildError(err.message);
  }

  const work = join(out, '.ablauf');
  const objDir = join(work, 'obj');
  mkdirSync(objDir, { recursive: true });
  const registry = join(work, 'registry.c');
  const regText = registrySource(defs.map((d) => ({ ...d, file: relative(appDir, d.file) })));
  if (!existsSync(registry) || readFileSync(registry, 'utf8') !== regText) writeFileSync(registry, regText);

  const include = join(PKG_DIR, 'wasm/include');
  const engineSrc = join(PKG_DIR, 'wasm/src');
  const appDirs = [...new Set(files.map((f) => dirname(f)))];
  const engineHeaders = headersOf([include, engineSrc, cjson]);
  const appHeaders = sha(engineHeaders, headersOf(appDirs));
  const units = [
    ...readdirSync(engineSrc).filter((f) => f.endsWith('.c')).sort().map((f) => ({ src: join(engineSrc, f), flags: [`-I${include}`, `-I${engineSrc}`, `-I${cjson}`], headers: engineHeaders })),
    { src: join(cjson, 'cJSON.c'), flags: [`-I${cjson}`], headers: engineHeaders },
    ...files.map((f) => ({ src: f, flags: [`-I${include}`, `-I${cjson}`, `-I${dirname(f)}`], headers: appHeaders })),
    { src: registry, flags: [`-I${include}`, `-I${cjson}`], headers: engineHeaders },
  ];

  let compiled = 0;
  const objects = [];
  const failures = [];
  for (const u of units) {
    const args = [`--target=${toolchain.target}`, ...TARGET, ...WARN, ...u.flags];
    const key = sha(toolchain.name, args.join(' '), u.headers, readFileSync(u.src)).slice(0, 20);
    const obj = join(objDir, `${basename(u.src, '.c')}-${key}.o`);
    objects.push(obj);
    if (existsSync(obj)) continue;
    const tmp = `${obj}.tmp`;
    const r = await toolchain.run([...args, '-c', '-o', tmp, u.src], appDir);
    if (r.status !== 0) {
      rmSync(tmp, { force: true });
      failures.push(r.stderr.trim() || `${relative(appDir, u.src)}: the compiler failed`);
      continue;
    }
    if (r.stderr.trim()) log(r.stderr.trim());
    renameSync(tmp, obj);
    compiled++;
  }
  if (failures.length) throw new BuildError(failures.join('\n'));

  const wasmTmp = join(work, 'engine.wasm.tmp');
  const r = await toolchain.run([`--target=${toolchain.target}`, ...TARGET, ...LINK, `-Wl,--allow-undefined-file=${join(engineSrc, 'host.imports')}`,
    '-o', wasmTmp, ...objects], appDir);
  if (r.status !== 0) throw new BuildError(r.stderr.trim() || 'linking failed');
  pruneObjects(objDir, objects);

  // The definitions are checked by the engine itself, as it will run them.
  const engine = createEngine(new WebAssembly.Module(readFileSync(wasmTmp)));
  const problems = engine.check();
  if (problems.length) {
    const types = engine.types().map((t) => t.type); // in registry order, like defs
    const place = (d) => `${relative(appDir, d.file)}:${d.line}`;
    const lines = problems.map(({ workflow, index, message }) => {
      const d = defs[index];
      const first = defs.find((x, i) => i < index && types[i] === workflow);
      const also = first && /registered twice/.test(message) ? ` (also by ${first.name} at ${place(first)})` : '';
      return `${d ? `${place(d)}: ` : ''}error: workflow ${d ? d.name : ''}${workflow ? ` ("${workflow}")` : ''}: ${message}${also}`;
    });
    rmSync(wasmTmp, { force: true });
    throw new BuildError(`${lines.join('\n')}\n${problems.length} problem(s) in the workflow definitions`);
  }
  const types = engine.types();
  writeFileSync(join(out, 'workflows.d.ts'), workflowTypes(types));
  const wasm = join(out, 'engine.wasm');
  renameSync(wasmTmp, wasm);
  return { wasm, bytes: statSync(wasm).size, workflows: types.map((t) => t.type), compiled, units: units.length, toolchain: toolchain.name };
}

// Objects of earlier builds that no unit uses any more.
function pruneObjects(objDir, keep) {
  const live = new Set(keep.map((o) => basename(o)));
  for (const f of readdirSync(objDir)) if (!live.has(f)) rmSync(join(objDir, f), { force: true });
}

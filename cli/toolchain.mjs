// toolchain.mjs — the C compiler that targets wasm32-wasi, first found wins:
//   1. WASI_SDK_PATH (a wasi-sdk: bin/clang and share/wasi-sysroot)
//   2. Debian's clang 14 + wasi-libc + libclang-rt-14-dev-wasm32 (+ lld-14)
//   3. the npm package @yowasp/clang (clang compiled to WebAssembly: no
//      system packages; install it beside ablauf)
// The build says which one it used. None found: one message naming all three.
// ABLAUF_TOOLCHAIN=wasi-sdk|debian|yowasp insists on one (the project's CI
// builds the same sources with two and runs the workerd tier on both).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function debianBuiltins() {
  const base = '/usr/lib/llvm-14/lib/clang';
  if (!existsSync(base)) return false;
  return readdirSync(base).some((v) => existsSync(join(base, v, 'lib/wasi/libclang_rt.builtins-wasm32.a')));
}

/** A runner of clang commands: {name, target, run(args, cwd) -> {status, stderr}
 *  (or a promise of it)}. Paths in args are absolute. */
export function findToolchain({ appDir = process.cwd() } = {}) {
  const only = process.env.ABLAUF_TOOLCHAIN;
  if (only && !['wasi-sdk', 'debian', 'yowasp'].includes(only)) throw new Error(`ABLAUF_TOOLCHAIN=${only}: use wasi-sdk, debian or yowasp`);
  const sdk = process.env.WASI_SDK_PATH;
  if (only === 'wasi-sdk' && !sdk) throw new Error('ABLAUF_TOOLCHAIN=wasi-sdk needs WASI_SDK_PATH');
  if (sdk && (!only || only === 'wasi-sdk')) {
    const cc = join(sdk, 'bin/clang');
    if (!existsSync(cc)) throw new Error(`WASI_SDK_PATH=${sdk} has no bin/clang`);
    return native(`wasi-sdk (${sdk})`, cc, [`--sysroot=${join(sdk, 'share/wasi-sysroot')}`]);
  }
  if ((!only || only === 'debian') && onPath('clang-14') && onPath('wasm-ld-14') &&
      existsSync('/usr/lib/wasm32-wasi/libc.a') && debianBuiltins()) {
    return native('Debian clang 14 + wasi-libc', 'clang-14', []);
  }
  const yowasp = !only || only === 'yowasp' ? findYowasp(appDir) : null;
  if (yowasp) return yowasp;
  if (only) throw new Error(`ABLAUF_TOOLCHAIN=${only}: that toolchain was not found`);
  throw new Error('no C toolchain for wasm32-wasi found. Use one of:\n' +
    '  - a wasi-sdk, with WASI_SDK_PATH set to it (https://github.com/WebAssembly/wasi-sdk)\n' +
    '  - Debian/Ubuntu: apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32\n' +
    '  - npm install --save-dev @yowasp/clang (portable, no system packages)');
}

function native(name, cc, extra) {
  return {
    name,
    target: 'wasm32-wasi',
    run(args, cwd) {
      const r = spawnSync(cc, [...extra, ...args], { cwd, encoding: 'utf8' });
      if (r.error) return { status: 1, stderr: `${cc}: ${r.error.message}` };
      return { status: r.status, stderr: r.stderr };
    },
  };
}

function findYowasp(appDir) {
  let path;
  try {
    path = createRequire(join(appDir, 'package.json')).resolve('@yowasp/clang');
  } catch {
    return null;
  }
  const version = JSON.parse(readFileSync(join(dirname(path), '../package.json'), 'utf8')).version;
  let clang = null;
  return {
    name: `@yowasp/clang ${version}`,
    target: 'wasm32-wasip1', // its sysroot's name for WASI preview 1
    async run(args, cwd) {
      clang ||= (await import(pathToFileURL(path).href)).commands.clang;
      return runVirtual(clang, args);
    },
  };
}

// @yowasp/clang runs in a virtual file system: the files a command reads are
// handed over as a tree, and the tree it returns holds what it wrote. Every
// absolute path in args (an -I directory, an input, the -o output, a
// linker file) is mapped to a place of its own in that tree.
async function runVirtual(clang, args) {
  const files = {};
  const mapped = [];
  let output = null;
  const put = (real, virt) => {
    let node = files;
    const parts = virt.split('/');
    for (const p of parts.slice(0, -1)) node = node[p] ||= {};
    node[parts.at(-1)] = readFileSync(real);
  };
  const headers = (dir, virt) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) headers(join(dir, e.name), `${virt}/${e.name}`);
      else if (e.name.endsWith('.h')) put(join(dir, e.name), `${virt}/${e.name}`);
    }
  };
  let n = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-I/')) {
      const v = `inc${n++}`;
      headers(a.slice(2), v);
      mapped.push(`-I${v}`);
    } else if (a === '-o') {
      output = args[++i];
      mapped.push('-o', `out/${basename(output)}`);
    } else if (a.startsWith('-Wl,--allow-undefined-file=/')) {
      const real = a.slice('-Wl,--allow-undefined-file='.length);
      const v = `in${n++}/${basename(real)}`;
      put(real, v);
      mapped.push(`-Wl,--allow-undefined-file=${v}`);
    } else if (a.startsWith('/') && existsSync(a) && statSync(a).isFile()) {
      const v = `in${n++}/${basename(a)}`;
      put(a, v);
      mapped.push(v);
    } else mapped.push(a);
  }
  files.out = {};
  let stderr = '';
  const dec = new TextDecoder();
  try {
    const result = await clang(mapped, files, { stderr: (b) => { if (b) stderr += dec.decode(b); }, stdout: () => {} });
    const made = result && result.out && result.out[basename(output)];
    if (!made) return { status: 1, stderr: `${stderr}\n@yowasp/clang wrote no ${basename(output)}` };
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, made);
    return { status: 0, stderr };
  } catch (err) {
    return { status: 1, stderr: stderr || String(err && err.message) };
  }
}

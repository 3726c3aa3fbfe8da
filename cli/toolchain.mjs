// toolchain.mjs — the C compiler that targets wasm32-wasi, first found wins:
//   1. WASI_SDK_PATH (a wasi-sdk: bin/clang and share/wasi-sysroot)
//   2. Debian's clang 14 + wasi-libc + libclang-rt-14-dev-wasm32 (+ lld-14)
//   3. the npm package @yowasp/clang (clang compiled to WebAssembly: no
//      system packages; install it beside ablauf)
// The build says which one it used. None found: one message naming all three.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function debianBuiltins() {
  const base = '/usr/lib/llvm-14/lib/clang';
  if (!existsSync(base)) return false;
  return readdirSync(base).some((v) => existsSync(join(base, v, 'lib/wasi/libclang_rt.builtins-wasm32.a')));
}

/** A runner of clang commands: {name, run(args, cwd) -> {status, stderr}}. */
export function findToolchain({ appDir = process.cwd() } = {}) {
  const sdk = process.env.WASI_SDK_PATH;
  if (sdk) {
    const cc = join(sdk, 'bin/clang');
    if (!existsSync(cc)) throw new Error(`WASI_SDK_PATH=${sdk} has no bin/clang`);
    return native(`wasi-sdk (${sdk})`, cc, [`--sysroot=${join(sdk, 'share/wasi-sysroot')}`]);
  }
  if (onPath('clang-14') && onPath('wasm-ld-14') && existsSync('/usr/lib/wasm32-wasi/libc.a') && debianBuiltins()) {
    return native('Debian clang 14 + wasi-libc', 'clang-14', []);
  }
  const yowasp = findYowasp(appDir);
  if (yowasp) return yowasp;
  throw new Error('no C toolchain for wasm32-wasi found. Use one of:\n' +
    '  - a wasi-sdk, with WASI_SDK_PATH set to it (https://github.com/WebAssembly/wasi-sdk)\n' +
    '  - Debian/Ubuntu: apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32\n' +
    '  - npm install --save-dev @yowasp/clang (portable, no system packages)');
}

function native(name, cc, extra) {
  return {
    name,
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
  return { name: `@yowasp/clang (${path})`, yowasp: path };
}

// loader.mjs — Node module hooks (module.register) that let the real shim run
// under plain Node for the simulator, without changing a line of it:
//   - `cloudflare:workers` (runner.js imports DurableObject from it) resolves
//     to ./cloudflare-workers.mjs;
//   - a `.wasm` import (the demo's worker imports build/engine.wasm as a
//     compiled module, wrangler's CompiledWasm rule) loads as an ES module whose default
//     export is `new WebAssembly.Module(bytes)` — what workerd hands the shim.
// Registered by ./register.mjs; hooks run on Node's loader thread.
const STUB = new URL('./cloudflare-workers.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'cloudflare:workers') return { url: STUB, shortCircuit: true };
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith('file:') && new URL(url).pathname.endsWith('.wasm')) {
    const source = `import { readFileSync } from 'node:fs';
export default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));
`;
    return { format: 'module', source, shortCircuit: true };
  }
  return next(url, context);
}

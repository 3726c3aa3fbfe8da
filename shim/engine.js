// engine.js — this isolate's engine: build/engine.wasm behind the host
// protocol of host.js. The wasm is imported as a compiled module (wrangler.toml
// [[rules]] CompiledWasm) because workerd does not compile bytes at run time;
// this is the only module that imports it, so Node code can use host.js alone.
import engineModule from '../build/engine.wasm';
import { createEngine } from './host.js';

export { EngineTrap, makeHost } from './host.js';
export const engine = createEngine(engineModule);

// engine.js — loads the C engine (build/engine.wasm) and implements its host
// imports (wasm/src/host.h). This is the whole ABI on the JavaScript side:
// strings cross as (pointer, length) in linear memory; every import is
// synchronous; what is asynchronous (the alarm, index writes) is recorded on
// the call's `host` object and applied by the caller after the export returns.
//
// One wasm instance serves every object in the isolate: the engine keeps no
// state between calls, so sharing is safe. If the wasm traps, the instance is
// thrown away and the next call gets a fresh one.
import engineModule from '../build/engine.wasm';

const enc = new TextEncoder();
const dec = new TextDecoder();

let instance = null;
let exports = null;
let host = null; // the current call's host (set around every export call)
let pending = null; // result bytes of the last sql_exec, waiting for take()

const view = (ptr, len) => new Uint8Array(exports.memory.buffer, ptr, len);
const str = (ptr, len) => dec.decode(view(ptr, len));

function wasiStubs() {
  // The engine never does file I/O; these satisfy libc's stdio references.
  const ENOSYS = 52;
  return { fd_close: () => ENOSYS, fd_seek: () => ENOSYS, fd_write: () => ENOSYS };
}

function imports() {
  return {
    ablauf: {
      sql_exec(sqlPtr, sqlLen, paramsPtr, paramsLen) {
        const sql = str(sqlPtr, sqlLen);
        const params = JSON.parse(str(paramsPtr, paramsLen));
        try {
          const rows = Array.from(host.sql.exec(sql, ...params).raw());
          pending = enc.encode(JSON.stringify(rows));
          return pending.length;
        } catch (err) {
          pending = enc.encode(String(err && err.message ? err.message : err));
          return -pending.length - 1;
        }
      },
      take(dst) {
        view(dst, pending.length).set(pending);
        pending = null;
      },
      now: () => Date.now(),
      random(dst, len) {
        crypto.getRandomValues(view(dst, len));
      },
      log(level, ptr, len) {
        const line = `[ablauf] ${str(ptr, len)}`;
        if (level >= 3) console.error(line);
        else console.log(line);
      },
      set_alarm(at) {
        host.alarm = at;
      },
      ws_send_all(ptr, len) {
        const msg = str(ptr, len);
        for (const ws of host.sockets()) {
          try { ws.send(msg); } catch { /* a socket closing under us */ }
        }
      },
      ws_close_all(code, ptr, len) {
        const reason = str(ptr, len);
        for (const ws of host.sockets()) {
          try { ws.close(code, reason); } catch { /* already closed */ }
        }
      },
      index_put(shardPtr, shardLen, entryPtr, entryLen) {
        host.indexPuts.push([str(shardPtr, shardLen), str(entryPtr, entryLen)]);
      },
    },
    wasi_snapshot_preview1: wasiStubs(),
  };
}

function engine() {
  if (!exports) {
    instance = new WebAssembly.Instance(engineModule, imports());
    exports = instance.exports;
    exports._initialize();
  }
  return exports;
}

/** Thrown when the wasm trapped; the instance has been discarded. */
export class EngineTrap extends Error {
  constructor(cause) {
    super(`engine trapped: ${cause && cause.message}`);
    this.name = 'EngineTrap';
    this.cause = cause;
  }
}

/**
 * A host for one call: `sql` is the object's SqlStorage (or null in the
 * worker), `sockets()` lists its accepted WebSockets.
 */
export function makeHost({ sql = null, sockets = () => [] } = {}) {
  return { sql, sockets, alarm: undefined, indexPuts: [] };
}

// Every call runs in a handle of its own (wasm/src/exports.h): opened here,
// closed once the answer is copied out.
function withHost(h, fn) {
  const e = engine();
  host = h;
  let handle = 0;
  try {
    handle = e.ab_open();
    if (handle === 0) throw new Error('engine out of memory');
    return fn(e, handle);
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      instance = exports = null; // poisoned: start over on the next call
      pending = null;
      throw new EngineTrap(err);
    }
    throw err;
  } finally {
    if (exports && handle) exports.ab_close(handle);
    host = null;
  }
}

function put(e, handle, bytes) {
  if (!bytes || bytes.length === 0) return 0;
  const p = e.ab_malloc(handle, bytes.length);
  if (p === 0) throw new Error('engine out of memory for the request');
  view(p, bytes.length).set(bytes);
  return p;
}

function callHandler(h, name, meta, body) {
  return withHost(h, (e, handle) => {
    const m = enc.encode(JSON.stringify(meta));
    const mp = put(e, handle, m);
    const bp = put(e, handle, body);
    const out = e[name](handle, mp, m.length, bp, body ? body.length : 0);
    const [metaPtr, metaLen, bodyPtr, bodyLen] = new Uint32Array(exports.memory.buffer, out, 4);
    return { meta: JSON.parse(str(metaPtr, metaLen)), body: view(bodyPtr, bodyLen).slice() };
  });
}

export const edge = (h, meta, body) => callHandler(h, 'ab_edge', meta, body);
export const merge = (h, meta, bodies) => callHandler(h, 'ab_merge', meta, bodies);
export const fetchObject = (h, meta, body) => callHandler(h, 'ab_fetch', meta, body);
export const settle = (h, meta, prevBody) => callHandler(h, 'ab_settle', meta, prevBody);
export const begin = (h) => withHost(h, (e, handle) => e.ab_begin(handle));
export const alarm = (h, gen) => withHost(h, (e, handle) => e.ab_alarm(handle, gen));
export const recover = (h) => withHost(h, (e, handle) => e.ab_recover(handle));
export const wsCloseCode = (code) => engine().ab_ws_close_code(code);

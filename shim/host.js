// host.js — the one JavaScript implementation of the engine's host protocol:
// the imports of wasm/src/host.h and the calling convention of the exports of
// wasm/src/exports.h. Nothing else in JavaScript calls into the wasm. It runs
// in workerd (the Durable Object and the worker, through app.js) and in
// plain Node (the build: cli/build.mjs), so it imports nothing: the caller passes
// the compiled WebAssembly.Module, because workerd refuses to compile bytes at
// run time and plain Node has no .wasm import.
//
//   const engine = createEngine(module);
//   const h = makeHost({ sql: ctx.storage.sql, sockets: () => ctx.getWebSockets() });
//   const { meta, body } = engine.fetchObject(h, describe(request, ...), bytes);
//   // then the caller applies h.alarm and h.indexPuts (asynchronous work)
//
// The protocol
//   - Strings cross as (pointer, length), UTF-8, not NUL-terminated. Views of
//     memory.buffer are made afresh at every access: memory growth detaches
//     the old buffer.
//   - Every export runs in a handle of its own: h = ab_open(), the export with
//     h as its first argument, ab_close(h) once the answer is copied out (the
//     handle owns the call's memory, error record and output). Nothing but
//     SQLite carries over between calls, so ONE instance per module serves
//     every object of the isolate. A trap (WebAssembly.RuntimeError) discards
//     it and the call throws EngineTrap; the next call instantiates afresh.
//   - Imports are synchronous. sql_exec runs one statement on h.sql (the
//     SqlStorage API: exec(sql, ...params).raw()) and returns n >= 0 (the rows,
//     a JSON array of arrays, n bytes) or -n - 1 (an n-byte error message);
//     C allocates n bytes and take(dst) copies them. sql_query is the same
//     with the rows in binary (wasm/src/host.h: tags, f64s, NUL-terminated
//     UTF-8), for every query but the export's. step_put queues the
//     values of a completed step's row; queued rows are written as one
//     statement (ab_rows_sql: head + tuple per row + tail) when ab_rows_sql's
//     count is reached, before the next sql_exec, when the export returns
//     and when it traps; a failed batch is reported like a failed statement
//     (by step_put or that sql_exec). set_alarm and index_put
//     are queued on the call's host object (h.alarm: epoch ms, < 0 deletes;
//     h.indexPuts: [shard, entryJson]) and applied by the caller afterwards.
//     ws_send_all / ws_close_all act on h.sockets() at once. io_start queues
//     an I/O job on h.ioJobs (the caller commits, then performs it: shim/io.js)
//     and io_cancel a token on h.ioCancels; io_inflight(token) asks
//     h.inflight (the tokens of the object's attempts being performed).
//     body records the step body running (h.body); a trap carries it
//     (EngineTrap.body) for recover().
//   - ab_edge, ab_merge, ab_serve, ab_settle and ab_io take (h, meta, len, body, len)
//     and return a pointer to four u32: meta pointer, meta length, body
//     pointer, body length. meta is JSON both ways; bodies are raw bytes.
//
// | API (engine.…)             | export                     | request meta               | response meta (always "status")
// |----------------------------|----------------------------|----------------------------|---------------------------------
// | edge(h, meta, body)        | ab_edge                    | REQUEST                    | headers?, and forward + requestHeaders?, or fanout + path, or asset; with none of these the body is the answer
// | merge(h, meta, bodies)     | ab_merge                   | the listing's REQUEST; bodies: JSON array of the shards' answer bodies | body: {workflows, nextCursor}
// | fetchObject(h, meta, body) | ab_serve                   | REQUEST + gen              | websocket? (status 101), settle?
// | settle(h, meta, prev)      | ab_settle                  | {gen, status, run?}; prev: the previous answer's body | settle?, busy?
// | io(h, meta, outcomes)      | ab_io                      | {gen}; body: [{token, outcome}] | settle?, busy?
// | begin(h) -> gen            | ab_begin(h) -> f64         | —                          | — gen marks the event now in progress (0: none); commit it first
// | alarm(h, gen)              | ab_alarm(h, gen)           | —                          | — its effects come through the imports
// | ack(h, [[shard, entry]])   | ab_ack(h, body, len)       | body: the index puts that arrived | — they leave the outbox; the alarm is set again
// | recover(h, body)           | ab_recover(h, step, len, attempt) | the trap's body (EngineTrap.body) | — records the crash against it, arms the alarm for the recovery pass
// | wsCloseCode(code) -> code  | ab_ws_close_code(i32)->i32 | —                          | — the code to answer a client's close with
// | types() -> [{type, input, result, events, updates}] | ab_edge, GET /__ablauf/types | made here | — storage-free host
// | check() -> [{workflow, message}] | ab_check(h)          | —                          | body {errors}; status 500 when there are any
//
// Around each of them: h = ab_open() before, ab_close(h) after, and
// ab_malloc(h, n) -> ptr (0: out of memory) for the request meta and body.
// (The h of this table's first column is the per-call *host* object below;
// the wasm handle never leaves this module.)
//
// REQUEST (built by http.js describe(); parsed by exports.c parse_request):
//   method        string, required
//   path          string, required: the URL path, still percent-encoded, no query
//   query         string: the raw query without "?" ("" if none)
//   headers       object, lower-case names; the engine reads authorization,
//                 upgrade, origin and x-ablauf-id
//   env           {ABLAUF_API_TOKEN, ABLAUF_CORS_ORIGINS, ABLAUF_TEST_HOOKS}:
//                 strings from the worker's vars ("" counts as unset)
//   bodyTooLarge  true: the host saw more than 1 MiB and sends no body (-> 413)
//   gen           ab_serve only: the generation from ab_begin (0/absent: none)
//   Without method or path the answer is 500 INTERNAL_ERROR.
//
// Response meta fields, each telling the caller what to do:
//   status          the HTTP status of the answer
//   headers         {name: value} to set on the answer (the edge's CORS
//                   headers, also onto a forwarded or merged answer)
//   forward         edge: the object name to pass the request on to (method,
//                   headers, body); its answer is the answer
//   requestHeaders  with forward: headers to add to the forwarded request
//                   (x-ablauf-id: the id generated for a create)
//   fanout, path    edge: GET `path` on each named index shard ("__index:N"),
//                   then merge() the bodies with the same REQUEST
//   asset           edge: "dashboard" | "client": serve that static file, 200
//   websocket       fetch, status 101: {frames: [text], close?: code,
//                   reason?: text}: accept a hibernatable socket, send the
//                   frames, then close it if `close` is set
//   settle          fetch/settle/io: true when work is due now (a careful
//                   pass armed a step, a long pass continues): begin() and
//                   commit, then settle(h, {gen, status}, body) with this
//                   answer's status and body, and answer with that
//   busy            fetch/settle/io: the instance waits for I/O being
//                   performed; a request's answer waits (at most 5 s) for
//                   it to come to rest, then settle(h, {gen: 0, status,
//                   run: false}, body) renders it afresh

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Thrown when the wasm trapped; the instance has been discarded. */
export class EngineTrap extends Error {
  /** body: the step body that was running ({step, attempt}), or null. */
  constructor(cause, body = null) {
    super(`engine trapped: ${cause && cause.message}${body ? ` in the body of step "${body.step}" (attempt ${body.attempt})` : ''}`);
    this.name = 'EngineTrap';
    this.cause = cause;
    this.body = body;
  }
}

/**
 * A host for one call: `sql` is the object's SqlStorage (null where there is
 * no storage: the worker, the build), `sockets()` lists its accepted
 * WebSockets. The engine's asynchronous requests are left on it.
 */
export function makeHost({ sql = null, sockets = () => [], inflight = null } = {}) {
  // Listed once per call: no socket is accepted while the engine runs, and a
  // pass that sends twenty updates to 500 sockets would list them twenty times.
  let listed = null;
  const once = () => (listed ??= sockets());
  return { sql, sockets: once, inflight, alarm: undefined, indexPuts: [], ioJobs: [], ioCancels: [], body: null };
}

// The engine keeps no state between calls, so one instance per module per
// isolate is enough; the cache makes every createEngine(module) share it.
const engines = new WeakMap();

/** The engine behind `module` (a compiled build/engine.wasm). */
export function createEngine(module) {
  let engine = engines.get(module);
  if (!engine) {
    engine = instantiate(module);
    engines.set(module, engine);
  }
  return engine;
}

function instantiate(module) {
  let exports = null; // of the live instance; null until first use and after a trap
  let host = null; // the current call's host (set around every export call)
  let pending = null; // result bytes of the last sql_exec, waiting for take()

  const view = (ptr, len) => new Uint8Array(exports.memory.buffer, ptr, len);
  const str = (ptr, len) => dec.decode(view(ptr, len));

  // Rows queued by step_put (flat: ROW values each) and the statement they
  // are written with, from ab_rows_sql: head, the tuple once per row, tail.
  let rows = null; // {head, tuple, tail, max}, read from the first instance
  const sqlForCount = []; // the statement for k rows, built once per k
  let queued = [];
  const ROW = 8; // values per row, in step_put's order (db.h DB_ROWS_PARAMS)

  function readRowsSql() {
    const [hp, hl, tp, tl, ap, al, max] = new Uint32Array(exports.memory.buffer, exports.ab_rows_sql(), 7);
    return { head: str(hp, hl), tuple: str(tp, tl), tail: str(ap, al), max };
  }

  /** Writes the queued rows in one statement: null, or the error's message. */
  function flushRows(sql) {
    if (queued.length === 0) return null;
    const values = queued;
    queued = [];
    const k = values.length / ROW;
    const text = sqlForCount[k] ??= rows.head + Array(k).fill(rows.tuple).join(',') + rows.tail;
    try {
      if (!sql) throw new Error('this host has no storage');
      sql.exec(text, ...values);
      return null;
    } catch (err) {
      return `storing completed steps: ${err && err.message ? err.message : err}`;
    }
  }

  // The binary rows of sql_query (wasm/src/host.h): u32 rows, u32 columns,
  // then per value a tag (0 NULL, 1 f64, 2 text: u32 length, UTF-8, NUL).
  // One buffer, grown as needed and reused: take() copies it out at once.
  let out = new Uint8Array(1 << 16);
  let dv = new DataView(out.buffer);

  function room(at, n) {
    if (at + n <= out.length) return;
    let size = out.length * 2;
    while (size < at + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(out.subarray(0, at));
    out = bigger;
    dv = new DataView(out.buffer);
  }

  function encodeRows(cursor) {
    let n = 0;
    let ncols = 0;
    let at = 8;
    for (const row of cursor) {
      if (n++ === 0) ncols = row.length;
      for (const v of row) {
        if (v === null) {
          room(at, 1);
          out[at++] = 0;
        } else if (typeof v === 'number' || typeof v === 'bigint') {
          room(at, 9);
          out[at] = 1;
          dv.setFloat64(at + 1, Number(v), true);
          at += 9;
        } else if (typeof v === 'string') {
          const len = v.length;
          room(at, 6 + len * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
          out[at] = 2;
          // Short ASCII by hand (names, statuses), the rest by the encoder,
          // whose call costs more than a short loop but runs far faster on a
          // long text (a page of rows is one).
          let p = at + 5;
          if (len > 64) {
            p += enc.encodeInto(v, out.subarray(p)).written;
          } else {
            let i = 0;
            for (; i < len; i++) {
              const c = v.charCodeAt(i);
              if (c >= 0x80) break;
              out[p++] = c;
            }
            if (i < len) p += enc.encodeInto(i === 0 ? v : v.slice(i), out.subarray(p)).written;
          }
          dv.setUint32(at + 1, p - at - 5, true);
          out[p++] = 0;
          at = p;
        } else {
          throw new TypeError('a column holds a value the engine never stores (a BLOB?)');
        }
      }
    }
    room(0, 8);
    dv.setUint32(0, n, true);
    dv.setUint32(4, ncols, true);
    return out.subarray(0, at);
  }

  /** Leaves an error message for take(); returns the code C expects. */
  function failWith(message) {
    pending = enc.encode(message);
    return -pending.length - 1;
  }

  // One statement for sql_exec (rows as JSON) or sql_query (binary rows):
  // queued rows are written first, in order; the answer waits for take().
  function runSql(sqlPtr, sqlLen, paramsPtr, paramsLen, encode) {
    const failed = flushRows(host.sql);
    if (failed) return failWith(failed);
    const sql = str(sqlPtr, sqlLen);
    const params = JSON.parse(str(paramsPtr, paramsLen));
    try {
      if (!host.sql) throw new Error('this host has no storage');
      pending = encode(host.sql.exec(sql, ...params).raw());
      return pending.length;
    } catch (err) {
      return failWith(String(err && err.message ? err.message : err));
    }
  }

  const imports = {
    ablauf: {
      sql_exec: (sqlPtr, sqlLen, paramsPtr, paramsLen) =>
        runSql(sqlPtr, sqlLen, paramsPtr, paramsLen, (cursor) => enc.encode(JSON.stringify(Array.from(cursor)))),
      sql_query: (sqlPtr, sqlLen, paramsPtr, paramsLen) => runSql(sqlPtr, sqlLen, paramsPtr, paramsLen, encodeRows),
      step_put(namePtr, nameLen, resultPtr, resultLen, ord, attempts, startedAt, completedAt, duration, bytes) {
        rows ??= readRowsSql();
        queued.push(str(namePtr, nameLen), ord, attempts, str(resultPtr, resultLen), startedAt, completedAt, duration, bytes);
        if (queued.length < rows.max * ROW) return 0;
        const failed = flushRows(host.sql);
        return failed ? failWith(failed) : 0;
      },
      take(dst) {
        view(dst, pending.length).set(pending);
        pending = null;
        if (out.length > 1 << 20) { // a big page once: do not keep its buffer
          out = new Uint8Array(1 << 16);
          dv = new DataView(out.buffer);
        }
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
      body(ptr, len, attempt) {
        host.body = len < 0 ? null : { step: str(ptr, len), attempt };
      },
      io_start(ptr, len) {
        host.ioJobs.push(JSON.parse(str(ptr, len)));
      },
      io_inflight(ptr, len) {
        return host.inflight && host.inflight.has(str(ptr, len)) ? 1 : 0;
      },
      io_cancel(ptr, len) {
        host.ioCancels.push(str(ptr, len));
      },
    },
    // The engine never does file I/O; these satisfy libc's stdio references.
    wasi_snapshot_preview1: { fd_close: () => 52, fd_seek: () => 52, fd_write: () => 52 }, // ENOSYS
  };

  // --- the calling convention: everything that knows how an export is called.
  // The handle (ab_open/ab_close), argument passing (ab_malloc) and the
  // output block live in call(), put() and request() only.

  /** Runs fn(exports, handle) as one call with host h, in a fresh handle. */
  function call(h, fn) {
    if (!exports) {
      exports = new WebAssembly.Instance(module, imports).exports;
      exports._initialize();
    }
    const e = exports;
    host = h;
    let handle = 0;
    try {
      handle = e.ab_open();
      if (handle === 0) throw new Error('engine out of memory opening a call');
      const value = fn(e, handle);
      const failed = flushRows(h.sql); // what the call queued last
      if (failed) throw new Error(failed);
      return value;
    } catch (err) {
      // The rows queued before a trap (or a host error thrown into the
      // call) are stored, as statements of their own would have been
      // (docs/retries-and-crashes.md, "A trap").
      const failed = flushRows(h.sql);
      if (failed) console.error(`[ablauf] after a failed call: ${failed}`);
      if (err instanceof WebAssembly.RuntimeError) {
        exports = null; // poisoned: start over on the next call
        pending = null;
        throw new EngineTrap(err, h.body);
      }
      throw err;
    } finally {
      if (exports && handle) exports.ab_close(handle);
      host = null;
    }
  }

  /** Copies bytes into the call's handle; 0 for none. */
  function put(e, handle, bytes) {
    if (!bytes || bytes.length === 0) return 0;
    const p = e.ab_malloc(handle, bytes.length);
    if (p === 0) throw new Error('engine out of memory for the request');
    view(p, bytes.length).set(bytes);
    return p;
  }

  /** Copies an ab_output (four u32 at out) out of the handle. */
  function output(out) {
    const [metaPtr, metaLen, bodyPtr, bodyLen] = new Uint32Array(exports.memory.buffer, out, 4);
    return { meta: JSON.parse(str(metaPtr, metaLen)), body: view(bodyPtr, bodyLen).slice() };
  }

  /** A (meta, body) -> (meta, body) export; the body is copied out of the handle. */
  function request(h, name, meta, body) {
    return call(h, (e, handle) => {
      const m = enc.encode(JSON.stringify(meta));
      const mp = put(e, handle, m);
      const bp = put(e, handle, body);
      return output(e[name](handle, mp, m.length, bp, body ? body.length : 0));
    });
  }

  const edge = (h, meta, body) => request(h, 'ab_edge', meta, body);

  return {
    edge,
    merge: (h, meta, bodies) => request(h, 'ab_merge', meta, bodies),
    fetchObject: (h, meta, body) => request(h, 'ab_serve', meta, body),
    settle: (h, meta, prevBody) => request(h, 'ab_settle', meta, prevBody),
    /** Outcomes [{token, outcome}] of I/O attempts the host performed. */
    io: (h, meta, outcomes) => request(h, 'ab_io', meta, enc.encode(JSON.stringify(outcomes))),
    begin: (h) => call(h, (e, handle) => e.ab_begin(handle)),
    alarm: (h, gen) => call(h, (e, handle) => e.ab_alarm(handle, gen)),
    /** After a trap; body is the trap's (EngineTrap.body): the crash is recorded against it. */
    recover: (h, body = null) => call(h, (e, handle) => {
      if (!body) return e.ab_recover(handle, 0, -1, 0);
      const name = enc.encode(body.step);
      return e.ab_recover(handle, put(e, handle, name), name.length, body.attempt);
    }),
    /** The [shard, entry] pairs of h.indexPuts that arrived leave the outbox. */
    ack: (h, delivered) => call(h, (e, handle) => {
      const body = enc.encode(JSON.stringify(delivered));
      e.ab_ack(handle, put(e, handle, body), body.length);
    }),
    wsCloseCode: (code) => call(makeHost(), (e) => e.ab_ws_close_code(code)),
    /** Problems in the workflow definitions, as the build reports them: [] when none. */
    check() {
      const out = call(makeHost(), (e, handle) => output(e.ab_check(handle)));
      return JSON.parse(dec.decode(out.body)).errors;
    },
    /** The registered workflow types with their JSON Schemas (GET /__ablauf/types). */
    types() {
      const meta = { method: 'GET', path: '/__ablauf/types', query: '', headers: {}, env: {}, bodyTooLarge: false };
      const out = edge(makeHost(), meta, null);
      const text = dec.decode(out.body);
      if (out.meta.status !== 200) throw new Error(`GET /__ablauf/types answered ${out.meta.status}: ${text}`);
      return JSON.parse(text).types;
    },
  };
}

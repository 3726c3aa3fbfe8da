// runtime.mjs — a small, deterministic Durable Object runtime for the
// simulator (docs/testing.md). It gives the real shim (shim/runner.js,
// shim/handler.js, shim/host.js) what workerd gives it — ctx.storage.sql over
// SQLite (@sqlite.org/sqlite-wasm), storage.sync(), the alarm, hibernatable
// WebSockets, the WORKFLOW_RUNNER namespace — and hands every promise it
// gives out to one scheduler, which resolves them in an order chosen by a
// seeded PRNG.
//
// The model, per object:
//   - one SQLite database, always inside an open transaction. A write marks
//     the object dirty and queues a commit; the commit is a step of its own,
//     so an isolate death can fall between a write and its commit (the
//     platform's implicit transaction: writes of a synchronous run commit
//     after it, asynchronously). sync() resolves at the commit.
//   - the output gate: responses, outgoing requests and WebSocket frames sent
//     while writes are uncommitted are held until the commit, and dropped if
//     the isolate dies first.
//   - the alarm is storage: setAlarm/deleteAlarm are writes of the open
//     transaction; the committed alarm fires (at least once; sometimes twice)
//     once the clock passes it, is retried while its handler has not
//     succeeded, and is cleared after a successful handler that did not set it.
//   - a death (kill): ROLLBACK, the outbox dropped, every promise of the dead
//     incarnation dropped (never resolved), callers waiting on it get an
//     error, and the next event constructs a fresh WorkflowRunner. Accepted
//     WebSockets survive (as hibernation keeps them) or are dropped with 1006,
//     at random.
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';

export const T0 = Date.UTC(2026, 0, 1); // the simulated clock starts here

let sqlite3 = null;
export async function initSqlite() {
  if (!sqlite3) sqlite3 = await sqlite3InitModule({ print() {}, printErr() {} });
  return sqlite3;
}

// --- a seeded PRNG (sfc32 seeded through splitmix32) -------------------------
export class Rng {
  constructor(seed) {
    let s = seed >>> 0;
    const mix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix(); this.b = mix(); this.c = mix(); this.d = mix();
  }
  u32() {
    let { a, b, c, d } = this;
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    Object.assign(this, { a, b, c, d });
    return t;
  }
  next() { return this.u32() / 4294967296; }
  int(n) { return Math.floor(this.next() * n); }
  chance(p) { return this.next() < p; }
  pick(a) { return a[this.int(a.length)]; }
  /** Index by weight: ws is an array of non-negative numbers. */
  weighted(ws) {
    let total = 0;
    for (const w of ws) total += w;
    let x = this.next() * total;
    for (let i = 0; i < ws.length; i++) { x -= ws[i]; if (x < 0) return i; }
    return ws.length - 1;
  }
}

// --- globals the shim expects from workerd ----------------------------------
let current = null; // the running Sim (one at a time)
let NodeResponse = null;

/** Response that also allows status 101 with a webSocket, as workerd's does. */
function makeResponseClass(Base) {
  const extra = new WeakMap(); // undici reads .status while constructing: no private fields
  return class Response extends Base {
    constructor(body, init) {
      const status = init && init.status !== undefined ? init.status : 200;
      if (status === 101) super(null, { headers: init.headers, status: 200 });
      else super(body, init);
      extra.set(this, { status, webSocket: (init && init.webSocket) || null });
    }
    get status() { const e = extra.get(this); return e ? e.status : super.status; }
    get ok() { const s = this.status; return s >= 200 && s < 300; }
    get webSocket() { const e = extra.get(this); return e ? e.webSocket : null; }
  };
}

class ServerSocket {
  constructor(pair) { this.pair = pair; this.obj = null; this.state = 'new'; }
  // The standard (not hibernatable) API, which the shim uses for a socket it
  // closes at once. The pair was made in the same synchronous turn as the
  // engine call that decided it, so the object is the last one whose storage
  // ran a statement. It is not among getWebSockets() and dies with the isolate.
  accept() {
    if (this.state !== 'new') throw new Error('accept: not a fresh server socket');
    this.obj = this.pair.obj;
    if (!this.obj) throw new Error('simulator: accept() outside an object event');
    this.state = 'open';
  }
  send(msg) {
    if (this.state !== 'open') throw new Error(`WebSocket send() on a ${this.state} socket`);
    this.obj.gate(() => current.wire(this.pair, { frame: String(msg) }));
  }
  close(code = 1000, reason = '') {
    if (this.state === 'closed') throw new Error('WebSocket already closed');
    this.state = 'closed';
    if (this.obj) this.obj.gate(() => current.wire(this.pair, { close: code, reason }));
  }
  serializeAttachment() {}
  deserializeAttachment() { return null; }
}

class ClientSocket {
  constructor(pair) { this.pair = pair; }
  accept() {}
  send() {}
  close() {}
}

export function installGlobals() {
  if (NodeResponse) return;
  NodeResponse = globalThis.Response;
  globalThis.Response = makeResponseClass(NodeResponse);
  globalThis.WebSocketPair = class WebSocketPair {
    constructor() {
      const pair = { id: current.nextSocketId++, queue: [], busy: false, client: null, server: null,
        obj: current.lastSqlObject };
      pair.client = new ClientSocket(pair);
      pair.server = new ServerSocket(pair);
      this[0] = pair.client;
      this[1] = pair.server;
    }
  };
  globalThis.WebSocketRequestResponsePair = class WebSocketRequestResponsePair {
    constructor(request, response) { this.request = request; this.response = response; }
  };
}

/** Date.now and crypto.getRandomValues follow the running simulation. */
function installClockAndRandom(sim) {
  const realCrypto = globalThis.crypto;
  const saved = { now: Date.now, crypto: Object.getOwnPropertyDescriptor(globalThis, 'crypto') };
  Date.now = () => sim.now;
  const fake = {
    getRandomValues(view) {
      const b = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      for (let i = 0; i < b.length; i++) b[i] = sim.randomBytes.u32() & 0xff;
      return view;
    },
    randomUUID: () => realCrypto.randomUUID(),
    subtle: realCrypto.subtle,
  };
  Object.defineProperty(globalThis, 'crypto', { value: fake, configurable: true, writable: true });
  return () => {
    Date.now = saved.now;
    if (saved.crypto) Object.defineProperty(globalThis, 'crypto', saved.crypto);
  };
}

// --- SqlStorage over sqlite-wasm ---------------------------------------------
// workerd's SqlStorage binds JS numbers as REAL (double), strings as TEXT,
// ArrayBuffers as BLOB, null as NULL and refuses anything else; it answers
// INTEGER and REAL as numbers, BLOB as ArrayBuffer. It refuses transaction
// statements (SQLITE_TRANSACTION is denied) and PRAGMAs outside a few.
class SqlCursor {
  constructor(columns, rows, written) { this.columnNames = columns; this.rows = rows; this.rowsWritten = written; }
  raw() { return this.rows[Symbol.iterator](); }
  toArray() { return this.rows.map((r) => Object.fromEntries(this.columnNames.map((c, i) => [c, r[i]]))); }
  one() {
    if (this.rows.length !== 1) throw new Error(`Expected exactly one result from SQL query, but got ${this.rows.length}.`);
    return this.toArray()[0];
  }
  [Symbol.iterator]() { return this.toArray()[Symbol.iterator](); }
}

function bindLikeWorkerd(stmt, i, v) {
  const capi = sqlite3.capi;
  let rc;
  if (v === null || v === undefined) { stmt.bind(i, null); return; }
  if (typeof v === 'number') rc = capi.sqlite3_bind_double(stmt.pointer, i, v);
  else if (typeof v === 'string') { stmt.bind(i, v); return; }
  else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) { stmt.bindAsBlob(i, v instanceof ArrayBuffer ? new Uint8Array(v) : v); return; }
  else throw new TypeError(`SqlStorage cannot bind a value of type ${typeof v}`);
  if (rc !== 0) throw new Error(`bind failed: ${capi.sqlite3_errstr(rc)}`);
}

function columnValue(stmt, i) {
  const v = stmt.get(i);
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return v.slice().buffer;
  return v;
}

/** Runs one statement on db; returns { columns, rows, readOnly }. */
// A script of several statements (workerd allows that when only the last
// has parameters; the engine sends one, parameterless, to create a new
// database's schema) runs through exec; it returns no rows.
const SCRIPT = /;\s*\S/;

export function runStatement(db, sql, params) {
  if (params.length === 0 && SCRIPT.test(sql)) {
    db.exec(sql);
    return { columns: [], rows: [], readOnly: false };
  }
  const stmt = db.prepare(sql);
  try {
    params.forEach((v, k) => bindLikeWorkerd(stmt, k + 1, v));
    const n = stmt.columnCount;
    const columns = [];
    for (let i = 0; i < n; i++) columns.push(stmt.getColumnName(i));
    const rows = [];
    while (stmt.step()) {
      const r = new Array(n);
      for (let i = 0; i < n; i++) r[i] = columnValue(stmt, i);
      rows.push(r);
    }
    return { columns, rows, readOnly: stmt.isReadOnly() };
  } finally {
    stmt.finalize();
  }
}

const TRANSACTION = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

class SimSql {
  constructor(obj, inc) { this.obj = obj; this.inc = inc; }
  exec(sql, ...params) {
    const obj = this.obj;
    if (this.inc.dead) throw new Error('simulator: storage used by a dead isolate');
    if (TRANSACTION.test(sql)) throw new Error('not authorized: use ctx.storage.transactionSync()');
    if (/^\s*PRAGMA\b/i.test(sql)) throw new Error('not authorized');
    current.beforeSql(obj, sql, params);
    current.lastSqlObject = obj; // whose code runs now (see ServerSocket.accept)
    const { columns, rows, readOnly } = runStatement(obj.db, sql, params);
    if (!readOnly) obj.markDirty();
    return new SqlCursor(columns, rows, readOnly ? 0 : obj.db.changes());
  }
  get databaseSize() { return 0; }
}

// --- objects, incarnations ---------------------------------------------------
class Incarnation {
  constructor(obj, n) {
    this.obj = obj;
    this.n = n;
    this.dead = false;
    this.calls = new Set(); // requests in progress: their callers fail if we die
    const sim = obj.sim;
    const self = this;
    const never = () => new Promise(() => {});
    this.ctx = {
      id: { name: obj.name, toString: () => obj.name },
      storage: {
        sql: new SimSql(obj, this),
        sync: () => (self.dead ? never() : obj.sync(self)),
        setAlarm: (t) => (self.dead ? never() : obj.setAlarm(self, t)),
        deleteAlarm: () => (self.dead ? never() : obj.deleteAlarm(self)),
        getAlarm: () => (self.dead ? never() : sim.promise(self, `getAlarm ${obj.name}`, () => obj.alarm)),
      },
      getWebSockets: () => obj.sockets.filter((s) => s.state === 'open'),
      acceptWebSocket: (ws) => obj.acceptWebSocket(ws),
      setWebSocketAutoResponse: () => {},
      waitUntil: () => {},
    };
    this.env = { ...sim.vars, WORKFLOW_RUNNER: sim.namespace(this) };
    this.runner = new sim.Runner(this.ctx, this.env);
    // --no-serial: what the shim did before serial() existed (the check that
    // the simulator finds the concurrency defect docs/retries-and-crashes.md
    // describes).
    if (sim.noSerial) this.runner.serial = (fn) => fn();
  }
}

export class SimObject {
  constructor(sim, name) {
    this.sim = sim;
    this.name = name;
    this.isShard = name.startsWith('__index:');
    this.db = new sqlite3.oo1.DB(':memory:');
    this.db.exec('BEGIN');
    this.dirty = false;
    this.commitTask = null;
    this.outbox = []; // held by the output gate until the commit
    this.syncWaiters = [];
    this.alarm = null; // in the open transaction
    this.committedAlarm = null;
    this.alarmVersion = 0;
    this.alarmInflight = null;
    this.alarmRetries = 0;
    this.dupAlarm = false;
    this.sockets = []; // accepted server sockets (the runtime holds them)
    this.inc = null;
    this.incarnations = 0;
    this.kills = 0;
    this.traps = 0;
    this.committed = null; // the invariants' view of the last commit
  }

  wake() {
    if (!this.inc) this.inc = new Incarnation(this, ++this.incarnations);
    return this.inc;
  }

  markDirty() {
    this.dirty = true;
    if (!this.commitTask) {
      this.commitTask = this.sim.addTask({ label: `commit ${this.name}`, obj: this, run: () => this.commit() });
    }
  }

  /** Sends fn through the output gate: now if nothing is uncommitted, else at the commit. */
  gate(fn) {
    if (this.dirty) this.outbox.push(fn);
    else fn();
  }

  commit() {
    this.commitTask = null;
    if (!this.dirty) return;
    this.db.exec('COMMIT');
    this.db.exec('BEGIN');
    this.dirty = false;
    this.committedAlarm = this.alarm;
    this.sim.afterCommit(this);
    const out = this.outbox;
    this.outbox = [];
    for (const f of out) f();
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) if (!w.inc.dead) w.resolve();
  }

  sync(inc) {
    if (this.dirty) {
      this.sim.log(`sync ${this.name}: waits for the commit`);
      return new Promise((resolve) => this.syncWaiters.push({ inc, resolve }));
    }
    return this.sim.promise(inc, `sync ${this.name} (nothing to commit)`);
  }

  setAlarm(inc, t) {
    this.alarm = typeof t === 'number' ? t : Number(t);
    this.alarmVersion++;
    this.markDirty();
    return this.sim.promise(inc, `setAlarm ${this.name} +${this.alarm - this.sim.now}ms`);
  }

  deleteAlarm(inc) {
    this.alarm = null;
    this.alarmVersion++;
    this.markDirty();
    return this.sim.promise(inc, `deleteAlarm ${this.name}`);
  }

  acceptWebSocket(ws) {
    if (!(ws instanceof ServerSocket) || ws.state !== 'new') throw new Error('acceptWebSocket: not a fresh server socket');
    ws.obj = this;
    ws.state = 'open';
    this.sockets.push(ws);
  }

  /** The isolate dies: everything not committed is gone. */
  kill() {
    const inc = this.inc;
    this.db.exec('ROLLBACK');
    this.db.exec('BEGIN');
    this.dirty = false;
    if (this.commitTask) this.sim.removeTask(this.commitTask);
    this.commitTask = null;
    this.outbox = [];
    this.syncWaiters = [];
    this.alarm = this.committedAlarm;
    this.alarmInflight = null;
    this.kills++;
    // Whether a crash keeps hibernatable sockets (as an eviction does) or
    // drops them is not something to rely on: either, at random.
    if (this.sim.rng.chance(0.5)) {
      for (const ws of this.sockets) {
        if (ws.state !== 'open') continue;
        ws.state = 'closed';
        this.sim.wire(ws.pair, { close: 1006, reason: 'isolate died' });
      }
    }
    if (inc) {
      inc.dead = true;
      this.inc = null;
      const dropped = this.sim.dropOwner(inc);
      if (dropped) this.sim.log(`  ${dropped} promise(s) of ${this.name}#${inc.n} dropped`);
      for (const call of inc.calls) call.fail(new Error(`simulated: Durable Object ${this.name} reset (isolate died)`));
      inc.calls.clear();
    }
  }
}

// --- the scheduler -------------------------------------------------------------
export class Sim {
  constructor({ seed, Runner, vars = {}, noSerial = false, log = () => {} }) {
    this.seed = seed;
    this.rng = new Rng(seed);
    this.randomBytes = new Rng(seed ^ 0x5bd1e995);
    this.Runner = Runner;
    this.vars = vars;
    this.noSerial = noSerial;
    this.log = log;
    this.now = T0;
    this.tasks = [];
    this.taskSeq = 0;
    this.objects = new Map();
    this.nextSocketId = 1;
    this.onFrame = () => {};
    this.beforeSql = () => {};
    this.afterCommit = () => {};
    this.lastSqlObject = null;
  }

  start() {
    current = this;
    installGlobals();
    this.restore = installClockAndRandom(this);
  }

  stop() {
    if (this.restore) this.restore();
    for (const o of this.objects.values()) o.db.close();
    current = null;
  }

  object(name) {
    let o = this.objects.get(name);
    if (!o) { o = new SimObject(this, name); this.objects.set(name, o); }
    return o;
  }

  addTask(t) {
    if (t.owner && t.owner.dead) return t; // a dead isolate's promise never resolves
    t.id = ++this.taskSeq;
    this.tasks.push(t);
    return t;
  }

  removeTask(t) {
    const i = this.tasks.indexOf(t);
    if (i >= 0) this.tasks.splice(i, 1);
  }

  /** Drops every task owned by a dead incarnation: its promises never resolve. */
  dropOwner(inc) {
    const before = this.tasks.length;
    this.tasks = this.tasks.filter((t) => t.owner !== inc);
    return before - this.tasks.length;
  }

  /** A promise of the runtime, resolved when the scheduler picks it. */
  promise(owner, label, produce) {
    return new Promise((resolve, reject) => {
      this.addTask({
        owner, label,
        run: () => {
          try { resolve(produce ? produce() : undefined); } catch (err) { reject(err); }
        },
      });
    });
  }

  /** A server→client WebSocket message on the wire (in order per socket). */
  wire(pair, msg) {
    pair.queue.push(msg);
    if (pair.busy) return;
    pair.busy = true;
    const deliver = () => {
      const m = pair.queue.shift();
      this.onFrame(pair, m);
      if (pair.queue.length) this.addTask({ label: `ws#${pair.id} frame`, run: deliver });
      else pair.busy = false;
    };
    this.addTask({ label: `ws#${pair.id} frame`, run: deliver });
  }

  /** A request body whose every chunk arrives when the scheduler says. */
  request(url, init, owner) {
    const method = init.method || 'GET';
    const headers = new Headers(init.headers || {});
    let body = init.body;
    if (typeof body === 'string') body = new TextEncoder().encode(body);
    if (method === 'GET' || method === 'HEAD' || body === undefined || body === null) {
      return new Request(url, { method, headers });
    }
    let sent = false;
    const stream = new ReadableStream({
      pull: (controller) => this.promise(owner, `read body ${method} ${new URL(url).pathname}`).then(() => {
        if (!sent && body.length) controller.enqueue(new Uint8Array(body));
        sent = true;
        controller.close();
      }),
    });
    return new Request(url, { method, headers, body: stream, duplex: 'half' });
  }

  /** env.WORKFLOW_RUNNER for a caller: an incarnation, or null for the worker. */
  namespace(caller) {
    const sim = this;
    return {
      idFromName: (name) => ({ name: String(name), toString: () => String(name) }),
      get: (id) => ({
        fetch: (url, init = {}) => sim.call(caller, id.name, init.method || 'GET', new URL(String(url)).pathname,
          (inc) => inc.runner.fetch(sim.request(String(url), init, inc))),
        // An RPC call: its arguments and its answer are copies (structured
        // clone), as between isolates; a streamed body is handed over.
        serve: (request, body) => sim.call(caller, id.name, request.method, request.path,
          (inc) => inc.runner.serve(structuredClone(request), body && new Uint8Array(body)),
          (v) => (v.body instanceof ReadableStream ? { ...structuredClone({ ...v, body: null }), body: v.body } : structuredClone(v))),
      }),
    };
  }

  /**
   * caller → object `name`: the request leaves through the caller's output
   * gate, is delivered when the scheduler says, and the answer comes back
   * through the callee's output gate. A caller that dies never hears back; a
   * callee that dies fails the call. invoke(incarnation) makes the call
   * (fetch or an RPC method); copy(answer) is what the caller receives.
   */
  call(caller, name, method, path, invoke, copy = (res) => res) {
    return new Promise((resolve, reject) => {
      const back = (label, fn) => this.addTask({ owner: caller, label, run: fn });
      const send = () => this.addTask({
        label: `deliver ${method} ${path} → ${name}`,
        run: () => {
          const obj = this.object(name);
          const inc = obj.wake();
          const call = { fail: (err) => back(`fail ${method} ${path} ← ${name}`, () => reject(err)) };
          inc.calls.add(call);
          let p;
          try {
            p = invoke(inc);
          } catch (err) {
            p = Promise.reject(err);
          }
          // Until the output gate releases the answer, a death fails the call.
          Promise.resolve(p).then((res) => {
            if (inc.dead) return;
            obj.gate(() => {
              inc.calls.delete(call);
              back(`answer ${res.status} ${method} ${path} ← ${name}`, () => resolve(copy(res)));
            });
          }, (err) => {
            if (inc.dead) return;
            this.onHandlerError(obj, `fetch ${method} ${path}`, err);
            obj.gate(() => {
              inc.calls.delete(call);
              back(`throw ${method} ${path} ← ${name}`, () => reject(err));
            });
          });
        },
      });
      if (caller) caller.obj.gate(send);
      else send();
    });
  }

  onHandlerError() {}

  /** The alarm of obj fires (dup: a duplicate delivery). */
  deliverAlarm(obj, dup) {
    const inc = obj.wake();
    const flight = { inc, version: obj.alarmVersion, dup };
    obj.alarmInflight = flight;
    if (dup) obj.dupAlarm = false;
    let p;
    try {
      p = inc.runner.alarm({ retryCount: obj.alarmRetries, isRetry: obj.alarmRetries > 0 });
    } catch (err) {
      p = Promise.reject(err);
    }
    Promise.resolve(p).then(() => {
      if (inc.dead) return;
      // The platform counts the handler done once its writes are committed.
      obj.gate(() => {
        if (inc.dead || obj.alarmInflight !== flight) return;
        obj.alarmInflight = null;
        obj.alarmRetries = 0;
        if (!dup && obj.alarmVersion === flight.version) {
          obj.alarm = null;
          if (!obj.dirty) obj.committedAlarm = null;
        }
        if (!dup && this.rng.chance(this.dupAlarmChance ?? 0.15)) obj.dupAlarm = true;
      });
    }, (err) => {
      if (inc.dead) return;
      this.onHandlerError(obj, 'alarm', err);
      obj.alarmInflight = null;
      obj.alarmRetries++;
      if (obj.committedAlarm !== null) obj.committedAlarm = obj.alarm = this.now + 1000 * 2 ** Math.min(obj.alarmRetries, 6);
    });
  }

  /** Alarms that may fire now. */
  dueAlarms() {
    const out = [];
    for (const o of this.objects.values()) {
      if (o.alarmInflight) continue;
      if (o.committedAlarm !== null && o.committedAlarm <= this.now) out.push([o, false]);
      else if (o.dupAlarm) out.push([o, true]);
    }
    return out;
  }

  nextAlarm() {
    let t = Infinity;
    for (const o of this.objects.values()) {
      if (!o.alarmInflight && o.committedAlarm !== null && o.committedAlarm > this.now) t = Math.min(t, o.committedAlarm);
    }
    return t;
  }

  /** Lets every microtask and Node-internal continuation run. */
  async settle() {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
}

// runner.js — the WorkflowRunner Durable Object. Each instance of a workflow
// lives in the object named by its id; index shards are objects named
// "__index:N". Every event is forwarded to the C engine; this class only
// moves bytes, commits, and applies what the engine asked for.
import { DurableObject } from 'cloudflare:workers';
import { EngineTrap, makeHost } from './host.js';
import { abortedResponse, describe, envVars, internalError, internalRequest, readBody, rpcText, toResponse, toRpc } from './http.js';
import { perform } from './io.js';

// How long one request may keep settling a pass that continues (see fetch).
const SETTLE_MS = 20000;
// How long an event waits for the one before it (see serial); only in
// workerd, not in the simulator.
const LEASE_MS = 30000;
const IN_WORKERD = globalThis.navigator?.userAgent === 'Cloudflare-Workers';
// How soon an alarm that found the object busy comes back (see alarm).
const ALARM_RETRY_MS = 200;
// How long a request's answer waits for I/O in flight to bring the instance
// to rest; past that it answers "running" and the instance goes on alone.
const IO_ANSWER_MS = 5000;

export class WorkflowRunner extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    // Answered by the runtime without waking the object (docs/live-updates.md).
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
    this.queue = Promise.resolve();
    this.busy = 0; // events in the queue or running
    // I/O (docs/io-steps.md): the attempts being performed (token ->
    // AbortController; the engine asks about them through io_inflight), the
    // outcomes waiting to be handed over, and the answers waiting for rest.
    this.inflight = new Map();
    this.outcomes = [];
    this.draining = false;
    this.restWaiters = new Set();
    this.toDeliver = null; // listing entries waiting for their event (shard -> entry)
    this.alarmAt = undefined;
  }

  /** The application's engine (createEngine) and activities: createAblauf
   *  sets them on the subclass it makes. */
  static engine = null;
  static activities = {};

  get engine() {
    const e = this.constructor.engine;
    if (!e) throw new Error('WorkflowRunner has no engine: export the class createAblauf({ engine }) returns');
    return e;
  }

  // One event at a time. The object's input gate opens at every await (the
  // commit in beginEvent, the alarm and index writes in apply), so without
  // this a second request would enter mid-event, find the first one's event
  // mark still open and count it as a death. Chaining every request and alarm
  // makes the object's events a serial order; a real death still leaves its
  // mark behind for the next event (docs/retries-and-crashes.md).
  //
  // An event waits for the one before it at most LEASE_MS (longer than any
  // event takes: SETTLE_MS bounds the longest). A predecessor whose promise
  // never settles — its handler canceled by the runtime — must not hold up
  // the object for good; past the lease the next event goes on and the log
  // says so. The timer is cleared as soon as the predecessor settles. The
  // simulator (Node, deterministic) runs without it.
  serial(fn) {
    this.busy++;
    const prev = this.queue;
    let timer;
    const waited = IN_WORKERD
      ? Promise.race([prev, new Promise((r) => { timer = setTimeout(() => r('lease'), LEASE_MS); })])
      : prev;
    const run = waited.then((why) => {
      clearTimeout(timer);
      if (why === 'lease') console.error(`[ablauf] ${this.ctx.id}: the previous event did not finish within ${LEASE_MS} ms; going on`);
      return fn();
    });
    this.queue = run.catch(() => {}).finally(() => { this.busy--; });
    return run;
  }

  host() {
    return makeHost({ sql: this.ctx.storage.sql, sockets: () => this.ctx.getWebSockets(), inflight: this.inflight });
  }

  // Marks the event as begun and commits that before anything runs, so an
  // event that dies is noticed by the next one (docs/retries-and-crashes.md).
  async beginEvent() {
    const gen = this.engine.begin(this.host());
    if (gen) await this.ctx.storage.sync();
    return gen;
  }

  // The alarm as this object last set it (undefined: unknown, after a
  // restart or once it fired), so deciding the same alarm again costs no
  // storage call: most events end with the alarm they found.
  async setAlarm(at) {
    if (at === this.alarmAt) return;
    this.alarmAt = undefined;
    if (at < 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }

  // Applies what the engine decided: the alarm first (while listing entries
  // are pending it is due soon, so an isolate that dies before delivering
  // loses nothing), the I/O jobs once their markers are durable, and the
  // outbox's listing entries after the answer (deliverLater).
  async apply(h) {
    if (h.alarm !== undefined) await this.setAlarm(h.alarm);
    for (const token of h.ioCancels) {
      const ac = this.inflight.get(token);
      this.inflight.delete(token);
      if (ac) ac.abort();
    }
    if (h.ioJobs.length > 0) {
      // The attempts' markers must be durable before a request leaves: a
      // death after this point is found as a lost attempt, never missed.
      await this.ctx.storage.sync();
      for (const job of h.ioJobs) this.perform(job);
    }
    if (h.indexPuts.length > 0) this.deliverLater(h.indexPuts);
  }

  // Listing entries travel to their shards in an event of their own, queued
  // behind the one that offered them, so no answer waits for a write to
  // another object. Entries offered while a delivery waits join it (the
  // newest per shard: a shard keeps the newest anyway). Puts are idempotent
  // and ordered by updatedAt on the shard; what arrived is acknowledged, and
  // the engine sets the alarm again (back to the instance's own timer).
  deliverLater(puts) {
    const first = !this.toDeliver;
    this.toDeliver ??= new Map();
    for (const [shard, entry] of puts) this.toDeliver.set(shard, entry);
    if (!first) return;
    const run = this.serial(() => this.survive(async () => {
      const batch = [...this.toDeliver];
      this.toDeliver = null;
      const ns = this.env.WORKFLOW_RUNNER;
      const arrived = [];
      await Promise.all(batch.map(async ([shard, entry]) => {
        try {
          const put = internalRequest('POST', '/__index/put', { 'content-type': 'application/json' });
          const res = await ns.get(ns.idFromName(shard)).serve(put, new TextEncoder().encode(entry));
          if (res.status >= 200 && res.status < 300) arrived.push([shard, entry]);
          else console.error(`[ablauf] index ${shard}: ${res.status} ${await rpcText(res)}`);
        } catch (err) {
          console.error(`[ablauf] index ${shard}: ${err}`); // the alarm offers it again
        }
      }));
      if (arrived.length === 0) return;
      const h = this.host();
      this.engine.ack(h, arrived);
      if (h.alarm !== undefined) await this.setAlarm(h.alarm);
    })).catch((err) => console.error(`[ablauf] delivering listing entries: ${err && err.stack || err}`));
    if (this.ctx.waitUntil) this.ctx.waitUntil(run);
  }

  // Performs one attempt the engine started. It counts as in flight until its
  // outcome has been handed to the engine (drain), so a pass in between
  // never takes it for lost.
  perform(job) {
    const ac = new AbortController();
    this.inflight.set(job.token, ac);
    const done = perform(job, { env: this.env, activities: this.constructor.activities, signal: ac.signal })
      .then((outcome) => {
        if (this.inflight.get(job.token) !== ac) return; // cancelled (terminate)
        this.outcomes.push({ token: job.token, outcome });
        this.drain();
      });
    if (this.ctx.waitUntil) this.ctx.waitUntil(done);
  }

  // Hands every outcome that has arrived to the engine in one event (one
  // pass however many arrived together), then settles as a request does.
  drain() {
    if (this.draining) return;
    this.draining = true;
    this.serial(async () => {
      this.draining = false;
      const batch = this.outcomes.splice(0);
      if (batch.length === 0) return;
      await this.survive(async () => {
        const gen = await this.beginEvent();
        const h = this.host();
        let out;
        try {
          out = this.engine.io(h, { gen }, batch);
        } finally {
          // Stored now (or, after a trap, lost: the next pass retries them).
          for (const { token } of batch) this.inflight.delete(token);
        }
        await this.apply(h);
        await this.settleLoop(out);
      });
      this.notifyRest();
    }).catch((err) => console.error(`[ablauf] delivering I/O outcomes: ${err && err.stack || err}`));
  }

  // An event that may have brought the instance to rest ended (an outcome,
  // an alarm, a request that changes it): answers waiting re-render.
  notifyRest() {
    for (const wake of [...this.restWaiters]) wake();
  }

  waitRest(ms) {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.restWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.restWaiters.add(wake);
    });
  }

  // The pass may stop with work due now: after a crash at an armed step
  // (commit its marker, then run it), or because a long pass reached its
  // memory budget (commit, continue in a fresh call). Settle so the answer
  // shows the instance at rest, for at most SETTLE_MS; past that the answer
  // says "running" and the alarm goes on.
  async settleLoop(out) {
    const until = Date.now() + SETTLE_MS;
    while (out.meta.settle && Date.now() < until) {
      const g = await this.beginEvent();
      const h = this.host();
      out = this.engine.settle(h, { gen: g, status: out.meta.status }, out.body);
      await this.apply(h);
    }
    return out;
  }

  // After a trap: a fresh engine schedules the recovery pass (the alarm).
  async recover(body = null) {
    const h = this.host();
    try { this.engine.recover(h, body); } catch (err) { console.error(`[ablauf] recover: ${err}`); }
    await this.apply(h);
  }

  async fetch(request) {
    // The body is read before queueing: a slow upload holds up no one.
    const { body, tooLarge, aborted } = await readBody(request);
    if (aborted) return abortedResponse();
    const out = await this.answer(describe(request, this.env, tooLarge), body);
    if (out instanceof Response) return out;
    if (out.meta.websocket) return this.accept(out.meta.websocket);
    return toResponse(out);
  }

  // The worker's way in for every request but a WebSocket upgrade (an RPC
  // call, cheaper than fetch): `request` is what describe() made of it in
  // the worker, `body` its bytes, read there. The vars are the object's own.
  async serve(request, body) {
    const out = await this.answer({ ...request, env: envVars(this.env) }, body);
    if (!(out instanceof Response) && out.meta.websocket) {
      return toRpc(internalError('A WebSocket was answered to a request that did not ask to upgrade'));
    }
    return toRpc(out);
  }

  // One request, described (describe()), through the queue: the engine's
  // answer, or a Response when it trapped.
  async answer(request, body) {
    let out = await this.serial(() => this.handle(request, body));
    // Waiting for I/O: the answer waits outside the queue (the outcomes go
    // through it) until the instance is at rest, at most IO_ANSWER_MS.
    const until = Date.now() + IO_ANSWER_MS;
    while (!(out instanceof Response) && out.meta.busy && Date.now() < until) {
      await this.waitRest(until - Date.now());
      const prev = out;
      out = await this.serial(() => this.guard(async () => {
        const h = this.host();
        const o = this.engine.settle(h, { gen: 0, status: prev.meta.status, run: false }, prev.body);
        await this.apply(h);
        return o;
      }));
    }
    return out;
  }

  // Runs fn; if the engine trapped, logs it, recovers and returns onTrap().
  async survive(fn, onTrap = () => undefined) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof EngineTrap)) throw err;
      console.error(`[ablauf] ${err.message}`);
      await this.recover(err.body);
      return onTrap();
    }
  }

  // The engine's answer, or a Response if it trapped.
  guard(fn) {
    return this.survive(fn, () => internalError('The workflow engine crashed while handling this request; it has been restarted'));
  }

  handle(request, body) {
    return this.guard(async () => {
      const gen = request.method === 'GET' ? 0 : await this.beginEvent();
      const h = this.host();
      const out = this.engine.fetchObject(h, { ...request, gen }, body);
      await this.apply(h);
      const settled = await this.settleLoop(out);
      if (gen) this.notifyRest();
      return settled;
    });
  }

  // A socket the engine closes at once (a late joiner to an ended instance,
  // a workflow without updates) is accepted with the standard API: the
  // runtime sends a hibernatable socket's close only when the object
  // hibernates (about 10 s locally), a standard one's at once. Sockets that
  // stay open are hibernatable, so the object can sleep while clients wait.
  accept({ frames, close, reason }) {
    const [client, server] = Object.values(new WebSocketPair());
    if (close) server.accept();
    else this.ctx.acceptWebSocket(server);
    for (const f of frames) server.send(f);
    if (close) server.close(close, reason || '');
    return new Response(null, { status: 101, webSocket: client });
  }

  // An alarm never waits in the queue. The runtime cancels a pending alarm
  // handler when another event moves the alarm ("alarm handler canceled with
  // requestScheduledAlarm"), and a canceled handler left in the queue held up
  // every later event of the object for good. While an event is in progress
  // the alarm asks again shortly instead; that event sets the alarm itself
  // when it ends, and its decision wins.
  alarm() {
    this.alarmAt = undefined; // the runtime took it off
    if (this.busy > 0) return this.ctx.storage.setAlarm(Date.now() + ALARM_RETRY_MS);
    return this.serial(() => this.runAlarm());
  }

  async runAlarm() {
    await this.survive(async () => {
      const gen = await this.beginEvent();
      const h = this.host();
      this.engine.alarm(h, gen);
      await this.apply(h);
    });
    this.notifyRest();
  }

  webSocketMessage() {
    // Clients have nothing to say besides "ping", which never reaches us.
  }

  webSocketClose(ws, code) {
    try { ws.close(this.engine.wsCloseCode(code), 'closing'); } catch { /* already closed */ }
  }

  webSocketError(ws) {
    try { ws.close(1011, 'websocket error'); } catch { /* already closed */ }
  }
}

// binding.js — the Ablauf client for Worker code that holds the
// WORKFLOW_RUNNER binding (SPEC §10). Every call goes through the same edge
// handler as HTTP requests do (so the C engine validates and routes), without
// leaving the isolate; waitForUpdate listens on the instance's hibernatable
// WebSocket.

/** A §5 error: code, status, message, details. */
export class AblaufError extends Error {
  constructor({ code, status, message, details }) {
    super(message);
    this.name = 'AblaufError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

const UNITS = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };

/** "<int>(ms|s|m|h|d)" -> ms, as the engine parses durations (SPEC §8). */
export function parseDuration(text) {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(String(text));
  if (!m) {
    throw new AblaufError({ code: 'VALIDATION_ERROR', status: 400, message: `Invalid duration "${text}"` });
  }
  return Number(m[1]) * UNITS[m[2]];
}

async function answer(response) {
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const e = body && body.error;
    throw new AblaufError(e || { code: 'INTERNAL_ERROR', status: response.status, message: text });
  }
  return body;
}

const enc = encodeURIComponent;

export class Ablauf {
  /** @param namespace the WORKFLOW_RUNNER Durable Object namespace */
  constructor(namespace) {
    this.namespace = namespace;
    this.env = { WORKFLOW_RUNNER: namespace };
  }

  async request(method, path, body) {
    // Imported lazily: worker.js imports this module too.
    const { handle } = await import('./worker.js');
    const init = { method, headers: { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    return answer(await handle(new Request(`https://ablauf.internal${path}`, init), this.env));
  }

  /** Starts (or idempotently re-attaches to) an instance. */
  async create(type, { id, payload } = {}) {
    const status = await this.request('POST', '/__ablauf/workflows', { type, id, payload });
    return new AblaufWorkflow(this, status.id);
  }

  /** A handle for an existing instance; no network call. */
  get({ id }) {
    return new AblaufWorkflow(this, id);
  }

  async list({ type, status, limit, cursor } = {}) {
    const q = new URLSearchParams();
    if (type !== undefined) q.set('type', type);
    if (status !== undefined) q.set('status', status);
    if (limit !== undefined) q.set('limit', String(limit));
    if (cursor !== undefined && cursor !== null) q.set('cursor', cursor);
    const qs = q.toString();
    return this.request('GET', `/__ablauf/workflows${qs ? `?${qs}` : ''}`);
  }
}

export class AblaufWorkflow {
  constructor(client, id) {
    this.client = client;
    this.id = id;
  }

  path(suffix = '') {
    return `/__ablauf/workflows/${enc(this.id)}${suffix}`;
  }

  getStatus() { return this.client.request('GET', this.path()); }
  timeline() { return this.client.request('GET', this.path('/timeline')); }
  pause() { return this.client.request('POST', this.path('/pause')); }
  resume() { return this.client.request('POST', this.path('/resume')); }
  terminate() { return this.client.request('POST', this.path('/terminate')); }

  sendEvent({ event, payload }) {
    return this.client.request('POST', this.path(`/events/${enc(event)}`), payload === undefined ? null : payload);
  }

  updates({ after = 0 } = {}) {
    return this.client.request('GET', this.path(`/updates?after=${after}`));
  }

  /**
   * Resolves with the parsed value of the first update named `update` — from
   * the instance's persisted history (emit) or live (emit or broadcast).
   * Rejects with UPDATE_TIMEOUT after `timeout`, and with
   * WORKFLOW_NOT_RUNNING if the instance ends first.
   */
  async waitForUpdate({ update, timeout = '30s', after = 0 }) {
    const ms = parseDuration(timeout);
    const ns = this.client.namespace;
    const res = await ns.get(ns.idFromName(this.id)).fetch(`https://ablauf.internal/ws?after=${after}`, {
      headers: { Upgrade: 'websocket' },
    });
    if (res.status !== 101 || !res.webSocket) await answer(res); // throws the §5 error
    const ws = res.webSocket;
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (fn, value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try { ws.close(1000, 'done'); } catch { /* already closed */ }
        fn(value);
      };
      const notRunning = (why) => finish(reject, new AblaufError({
        code: 'WORKFLOW_NOT_RUNNING', status: 409,
        message: `Workflow "${this.id}" ${why} before update "${update}" arrived`,
      }));
      const timer = setTimeout(() => finish(reject, new AblaufError({
        code: 'UPDATE_TIMEOUT', status: 408,
        message: `Update "${update}" did not arrive within ${timeout}`,
      })), ms);
      ws.addEventListener('message', (ev) => {
        let frame;
        try { frame = JSON.parse(ev.data); } catch { return; }
        if (frame.event === 'close') return notRunning('ended');
        if (frame.event === update) finish(resolve, JSON.parse(frame.data));
      });
      ws.addEventListener('close', (ev) => {
        if (ev.code === 1008) {
          finish(reject, new AblaufError({ code: 'VALIDATION_ERROR', status: 400, message: ev.reason || 'workflow declares no updates' }));
        } else {
          notRunning('closed the connection');
        }
      });
      ws.accept();
    });
  }
}

// binding.js — the Ablauf client for Worker code that holds the
// WORKFLOW_RUNNER binding (docs/client.md). Every call goes through the same edge
// handler as HTTP requests do (so the C engine validates and routes), without
// leaving the isolate; waitForUpdate listens on the instance's hibernatable
// WebSocket. The error, the frame rules and durations are client-core.js's,
// shared with the browser client.
import { currentHandle } from './app.js';
import { AblaufError, isEndFrame, parseData, parseDuration, parseFrame, readAnswer } from './client-core.js';

export { AblaufError, parseDuration };

const answer = async (response) => readAnswer(response.status, await response.text());

const enc = encodeURIComponent;

export class Ablauf {
  /** @param namespace the WORKFLOW_RUNNER Durable Object namespace */
  constructor(namespace) {
    this.namespace = namespace;
    this.env = { WORKFLOW_RUNNER: namespace };
  }

  async request(method, path, body) {
    const init = { method, headers: { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    return answer(await currentHandle()(new Request(`https://ablauf.internal${path}`, init), this.env));
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
        const frame = parseFrame(ev.data);
        if (frame === null) return;
        if (isEndFrame(frame)) return notRunning('ended');
        if (frame.event === update) finish(resolve, parseData(frame.data));
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

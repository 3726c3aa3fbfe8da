// client.js — a small browser/Node client for the Ablauf HTTP API (docs/http-api.md)
// and its live updates over WebSockets (docs/live-updates.md). Plain ES module, no
// dependencies besides client-core.js. Served by the worker at
// /__ablauf/client.js, with client-core.js inlined (scripts/gen-assets.mjs).
//
//   import { createAblaufClient } from '/__ablauf/client.js';
//   const ablauf = createAblaufClient({ url: 'https://app.example.com', token });
//   const wf = await ablauf.create('sse-test', { payload: { itemCount: 10 } });
//   for await (const u of ablauf.subscribe(wf.id)) console.log(u.event, u.data);

// The one import: scripts/gen-assets.mjs replaces it with client-core.js itself
// in the copy the worker serves, so keep it a single line of this form.
import { AblaufError, isEndFrame, parseData, parseFrame, readAnswer } from './client-core.js';

export { AblaufError };

const PREFIX = '/__ablauf';

/** "https://h", "https://h/", "https://h/__ablauf/" → "https://h/__ablauf". */
function apiBase(u) {
  const s = String(u).replace(/\/+$/, '');
  return s.endsWith(PREFIX) ? s : s + PREFIX;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * One WebSocket connection as a pull queue of items:
 * `{data}` (a text frame), `{close, reason, opened}` or `{aborted: true}`.
 */
function connect(WS, url, signal) {
  const queue = [];
  let wake = null;
  let opened = false;
  const push = (item) => { queue.push(item); if (wake) { wake(); wake = null; } };
  const ws = new WS(url);
  ws.onopen = () => { opened = true; };
  ws.onmessage = (e) => push({ data: typeof e.data === 'string' ? e.data : String(e.data) });
  ws.onclose = (e) => push({ close: e.code, reason: e.reason, opened });
  ws.onerror = () => {}; // a close event always follows
  const onAbort = () => push({ aborted: true });
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    async next() {
      while (queue.length === 0) await new Promise((r) => { wake = r; });
      return queue.shift();
    },
    dispose() {
      signal?.removeEventListener('abort', onAbort);
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { if (ws.readyState <= 1) ws.close(1000); } catch { /* already closing */ }
    },
  };
}

/**
 * Creates a client.
 *
 * @param {object} options
 * @param {string} [options.url] Base URL of the worker ("https://host" or
 *   "https://host/__ablauf"); in a browser it defaults to the page's origin.
 * @param {string} [options.wsUrl] Base URL for WebSockets; defaults to `url`
 *   with http(s) replaced by ws(s).
 * @param {string} [options.token] ABLAUF_API_TOKEN: sent as
 *   `Authorization: Bearer` over HTTP and `?access_token=` on WebSockets.
 * @param {Record<string,string>} [options.headers] Extra HTTP headers.
 * @param {typeof fetch} [options.fetch] fetch implementation (default: global).
 * @param {any} [options.WebSocket] WebSocket class (default: the global one,
 *   or the `ws` package in Node versions without a global WebSocket).
 * @param {{base?: number, cap?: number}} [options.backoff] Reconnect delays in
 *   ms for subscribe(): base (default 250) doubled per failure up to cap
 *   (default 15000), with jitter.
 */
export function createAblaufClient(options = {}) {
  const origin = options.url ?? globalThis.location?.origin;
  if (!origin) throw new TypeError('createAblaufClient: url is required');
  const base = apiBase(origin);
  const wsBase = apiBase(options.wsUrl ?? base.replace(/^http/i, 'ws'));
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const backoff = { base: 250, cap: 15000, ...options.backoff };
  let WS = options.WebSocket ?? globalThis.WebSocket;

  async function webSocketClass() {
    if (!WS) WS = (await import('ws')).default; // Node < 22
    return WS;
  }

  /** Sends one API request; resolves with the parsed JSON body. */
  async function request(method, path, body) {
    const headers = { accept: 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const init = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetchImpl(base + path, init);
    return readAnswer(res.status, await res.text());
  }

  const wf = (id) => `/workflows/${enc(id)}`;

  return {
    /** Starts an instance (idempotent for the same id and type). Resolves with its Status. */
    create: (type, { id, payload } = {}) => request('POST', '/workflows', { type, id, payload }),
    /** Status of one instance. */
    get: (id) => request('GET', wf(id)),
    /** `{workflows, nextCursor}`, newest first. */
    list: ({ type, status, limit, cursor } = {}) =>
      request('GET', `/workflows${query({ type, status, limit, cursor })}`),
    /** `{id, type, status, timeline}`. */
    timeline: (id) => request('GET', `${wf(id)}/timeline`),
    /** Delivers an event; resolves with `{delivery, status}`. */
    sendEvent: (id, event, payload) => request('POST', `${wf(id)}/events/${enc(event)}`, payload ?? null),
    pause: (id) => request('POST', `${wf(id)}/pause`),
    resume: (id) => request('POST', `${wf(id)}/resume`),
    terminate: (id) => request('POST', `${wf(id)}/terminate`),
    /** Persisted updates with seq > after, as `{updates: [{seq, event, data, createdAt}]}`; `data` is parsed. */
    async updates(id, { after } = {}) {
      const body = await request('GET', `${wf(id)}/updates${query({ after })}`);
      return { ...body, updates: body.updates.map((u) => ({ ...u, data: parseData(u.data) })) };
    },
    /** `{types: [{type, input, events, updates}]}`. */
    types: () => request('GET', '/types'),

    /**
     * Live updates of one instance: an async iterator of `{event, data, seq}`
     * (`data` parsed; `seq` only on persisted updates). It first replays the
     * persisted updates with seq > `after`, then follows live ones; after a
     * dropped connection it reconnects with back-off and resumes after the last
     * seq it saw (persisted updates: no duplicates, no gaps; broadcasts sent
     * while disconnected are missed). It ends when the instance ends (the end
     * frame) or `signal` aborts. It throws the API's AblaufError when the
     * handshake is refused with a 4xx (WORKFLOW_NOT_FOUND, UNAUTHORIZED), and
     * AblaufError VALIDATION_ERROR (details.closeCode 1008) when the workflow
     * declares no updates.
     *
     * @param {string} id
     * @param {{signal?: AbortSignal, after?: number}} [opts]
     * @returns {AsyncGenerator<{event: string, data: any, seq?: number}>}
     */
    async *subscribe(id, { signal, after = 0 } = {}) {
      const WSClass = await webSocketClass();
      let last = after;
      let failures = 0;
      while (!signal?.aborted) {
        const q = { after: last, access_token: options.token };
        const conn = connect(WSClass, `${wsBase}${wf(id)}/ws${query(q)}`, signal);
        let closed;
        try {
          for (;;) {
            const item = await conn.next();
            if (item.aborted) return;
            if (item.close !== undefined) { closed = item; break; }
            failures = 0;
            const frame = parseFrame(item.data);
            if (frame === null) continue; // e.g. "pong"
            if (isEndFrame(frame)) return;
            if (typeof frame.seq === 'number') {
              if (frame.seq <= last) continue; // already seen before a reconnect
              last = frame.seq;
            }
            const out = { event: frame.event, data: parseData(frame.data) };
            if (frame.seq !== undefined) out.seq = frame.seq;
            yield out;
          }
        } finally {
          conn.dispose();
        }
        if (closed.close === 1008) {
          throw new AblaufError({
            code: 'VALIDATION_ERROR', status: 400, source: 'api', details: { closeCode: 1008, reason: closed.reason },
            message: `Workflow "${id}" has no live updates: ${closed.reason || 'policy violation'}`,
          });
        }
        if (!closed.opened) {
          // The handshake failed: a 404/401 is final, anything else is retried.
          try { await request('GET', wf(id)); } catch (err) {
            if (err instanceof AblaufError && err.status >= 400 && err.status < 500) throw err;
          }
        }
        const delay = Math.min(backoff.cap, backoff.base * 2 ** failures);
        failures++;
        await sleep(delay / 2 + Math.random() * (delay / 2), signal);
      }
    },
  };
}

// http.js — turning a Request into the engine's request description and the
// engine's answer back into a Response. No decisions are made here.
export const BODY_MAX = 1024 * 1024;

// The only request headers the engine reads.
const HEADERS = ['authorization', 'upgrade', 'origin', 'content-type', 'x-ablauf-id'];
const VARS = ['ABLAUF_API_TOKEN', 'ABLAUF_CORS_ORIGINS', 'ABLAUF_TEST_HOOKS'];

// Past the limit the rest of a body is read and thrown away (at most
// DRAIN_MAX bytes, for at most DRAIN_MS, and only while data keeps coming:
// DRAIN_IDLE_MS without any ends it): a client still sending when the
// answer comes gets its 413 promptly through the wrangler dev proxy and its
// connection stays usable, where cancelling the stream made half of such
// requests end in "503 Your worker restarted mid-request" or a reset.
const DRAIN_MAX = 64 * BODY_MAX;
const DRAIN_MS = 5000;
const DRAIN_IDLE_MS = 300;

async function drain(reader, size) {
  const deadline = Date.now() + DRAIN_MS;
  try {
    while (size < DRAIN_MAX && Date.now() < deadline) {
      const wait = Math.min(DRAIN_IDLE_MS, deadline - Date.now());
      const read = reader.read();
      read.catch(() => {}); // when the timer wins, the read may still fail later (client gone)
      const next = await Promise.race([read, new Promise((r) => setTimeout(() => r(null), wait))]);
      if (next === null || next.done) break;
      size += next.value.length;
    }
  } catch { /* the client went away: nothing to tell it */ }
  reader.cancel().catch(() => {});
}

/**
 * Reads at most BODY_MAX + 1 bytes; a longer body is only flagged (and
 * drained). `aborted`: the client disconnected mid-upload.
 */
export async function readBody(request) {
  if (!request.body) return { body: new Uint8Array(0), tooLarge: false };
  const reader = request.body.getReader();
  const declared = Number(request.headers.get('content-length'));
  if (declared > BODY_MAX) {
    await drain(reader, 0);
    return { body: new Uint8Array(0), tooLarge: true };
  }
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > BODY_MAX) {
        await drain(reader, size);
        return { body: new Uint8Array(0), tooLarge: true };
      }
      chunks.push(value);
    }
  } catch {
    return { body: new Uint8Array(0), tooLarge: false, aborted: true };
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { body.set(c, at); at += c.length; }
  return { body, tooLarge: false };
}

/** The answer to a client that went away mid-upload (it will not read it). */
export function abortedResponse() {
  return new Response(null, { status: 400 });
}

export function describe(request, env, tooLarge, extra = {}) {
  const url = new URL(request.url);
  const headers = {};
  for (const h of HEADERS) {
    const v = request.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  return {
    method: request.method,
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    env: envVars(env),
    bodyTooLarge: tooLarge,
    ...extra,
  };
}

/** A request of the engine's own to an object (a listing entry to its shard,
 *  a page of the listing), described as describe() describes a client's:
 *  target is a path with its query. The object adds its own vars. */
export function internalRequest(method, target, headers = {}) {
  const q = target.indexOf('?');
  return {
    method,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    headers,
    bodyTooLarge: false,
  };
}

/** The ABLAUF_* vars the engine reads, from a worker's or an object's env. */
export function envVars(env) {
  const vars = {};
  for (const k of VARS) if (typeof env?.[k] === 'string') vars[k] = env[k];
  return vars;
}

// An answer crosses from the object to the worker as an RPC value (handler.js,
// WorkflowRunner.serve): status, headers and the body's bytes, or, past
// RPC_INLINE_MAX, the body as a stream (an RPC value has a size limit; a
// Status page of large results can pass it).
const RPC_INLINE_MAX = 1 << 20;

/** The engine's answer as status, header pairs (content-type JSON unless it
 *  names one) and body (none for 204 and 304): what toResponse sends and
 *  toRpc hands over. */
function answerParts(out) {
  const status = out.meta.status;
  const headers = Object.entries(out.meta.headers || {});
  if (status === 204 || status === 304) return { status, headers, body: null };
  if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['content-type', 'application/json; charset=utf-8']);
  return { status, headers, body: out.body };
}

/** The engine's answer (or a Response made in JS) as an RPC value. */
export async function toRpc(out) {
  if (out instanceof Response) {
    return { status: out.status, headers: [...out.headers], body: new Uint8Array(await out.arrayBuffer()) };
  }
  const v = answerParts(out);
  if (v.body !== null && v.body.length > RPC_INLINE_MAX) v.body = new Response(v.body).body;
  return v;
}

/** The text of an RPC value's body. */
export async function rpcText({ body }) {
  if (body === null) return '';
  return body instanceof Uint8Array ? new TextDecoder().decode(body) : new Response(body).text();
}

/** An RPC value of toRpc as the Response the worker sends. */
export function fromRpc({ status, headers, body }) {
  return new Response(status === 204 || status === 304 ? null : body, { status, headers });
}

export function toResponse(out) {
  return fromRpc(answerParts(out));
}

export function internalError(message) {
  return new Response(
    JSON.stringify({ error: { code: 'INTERNAL_ERROR', message, status: 500, source: 'engine' } }),
    { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' } },
  );
}

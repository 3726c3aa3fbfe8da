// http.js — turning a Request into the engine's request description and the
// engine's answer back into a Response. No decisions are made here.
export const BODY_MAX = 1024 * 1024;

// The only request headers the engine reads.
const HEADERS = ['authorization', 'upgrade', 'origin', 'content-type', 'x-ablauf-id'];
const VARS = ['ABLAUF_API_TOKEN', 'ABLAUF_CORS_ORIGINS', 'ABLAUF_TEST_HOOKS'];

/** Reads at most BODY_MAX + 1 bytes; a longer body is only flagged. */
export async function readBody(request) {
  if (!request.body) return { body: new Uint8Array(0), tooLarge: false };
  const declared = Number(request.headers.get('content-length'));
  if (declared > BODY_MAX) {
    request.body.cancel().catch(() => {});
    return { body: new Uint8Array(0), tooLarge: true };
  }
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > BODY_MAX) {
      reader.cancel().catch(() => {});
      return { body: new Uint8Array(0), tooLarge: true };
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { body.set(c, at); at += c.length; }
  return { body, tooLarge: false };
}

export function describe(request, env, tooLarge, extra = {}) {
  const url = new URL(request.url);
  const headers = {};
  for (const h of HEADERS) {
    const v = request.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  const vars = {};
  for (const k of VARS) if (typeof env?.[k] === 'string') vars[k] = env[k];
  return {
    method: request.method,
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    env: vars,
    bodyTooLarge: tooLarge,
    ...extra,
  };
}

export function toResponse(out) {
  const headers = new Headers(out.meta.headers || {});
  const status = out.meta.status;
  if (status === 204 || status === 304) return new Response(null, { status, headers });
  if (!headers.has('content-type')) headers.set('content-type', 'application/json; charset=utf-8');
  return new Response(out.body, { status, headers });
}

export function internalError(message) {
  return new Response(
    JSON.stringify({ error: { code: 'INTERNAL_ERROR', message, status: 500, source: 'engine' } }),
    { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' } },
  );
}

// handler.js — serves one /__ablauf request: the C engine's edge (auth, CORS,
// routing) answers itself or says which object to forward to, which shards to
// fan out to, or which static file to serve. The application's worker
// (app.js) and the binding client both call it.
import { EngineTrap, makeHost } from './host.js';
import { abortedResponse, describe, fromRpc, internalError, internalRequest, readBody, rpcText, toResponse } from './http.js';
import { clientGz, dashboardGz } from '../build/assets.js';

function addHeaders(response, headers) {
  if (!headers || response.status === 101) return response;
  const r = new Response(response.body, response);
  for (const [k, v] of Object.entries(headers)) r.headers.set(k, v);
  return r;
}

// The dashboard and client.js travel gzipped in the bundle (build/assets.js):
// sent as they are to a client that accepts gzip, inflated for one that does not.
const ASSETS = {
  dashboard: { gz: dashboardGz, type: 'text/html; charset=utf-8' },
  client: { gz: clientGz, type: 'text/javascript; charset=utf-8' },
};

function asset(name, request) {
  const a = ASSETS[name];
  a.bytes ??= Uint8Array.from(atob(a.gz), (c) => c.charCodeAt(0));
  const headers = { 'content-type': a.type, 'cache-control': 'no-cache', vary: 'accept-encoding' };
  // The platform sets Accept-Encoding to "br, gzip" on every request a worker
  // sees; what the client itself sent is request.cf.clientAcceptEncoding.
  const accepts = request.cf?.clientAcceptEncoding ?? request.headers.get('accept-encoding') ?? '';
  if (/\bgzip\b/i.test(accepts)) {
    return new Response(a.bytes, { headers: { ...headers, 'content-encoding': 'gzip' }, encodeBody: 'manual' });
  }
  return new Response(new Response(a.bytes).body.pipeThrough(new DecompressionStream('gzip')), { headers });
}

/**
 * The handler of one engine (from createEngine): handle(request, env) serves
 * one /__ablauf request; env holds WORKFLOW_RUNNER and the ABLAUF_* vars.
 * dashboard false: the page and its client.js are not served (404).
 */
export function makeHandler(engine, { dashboard = true } = {}) {
  return (request, env) => handle(engine, dashboard, request, env);
}

async function handle(engine, dashboard, request, env) {
  const { body, tooLarge, aborted } = await readBody(request);
  if (aborted) return abortedResponse();
  const meta = describe(request, env, tooLarge);
  let out;
  try {
    out = engine.edge(makeHost(), meta, body);
  } catch (err) {
    if (err instanceof EngineTrap) return internalError('The workflow engine crashed; it has been restarted');
    throw err;
  }
  const m = out.meta;
  const ns = env.WORKFLOW_RUNNER;
  if (m.forward) {
    const stub = ns.get(ns.idFromName(m.forward));
    // A WebSocket upgrade needs fetch (its answer is a 101 with the socket);
    // every other request is an RPC call: the same request as the object's
    // fetch would describe it, 0.4–0.7 ms sooner (docs/performance.md).
    if (meta.headers.upgrade?.toLowerCase() !== 'websocket') {
      const fwd = { ...meta, headers: { ...meta.headers, ...m.requestHeaders } };
      return addHeaders(fromRpc(await stub.serve(fwd, body)), m.headers);
    }
    const headers = new Headers(request.headers);
    for (const [k, v] of Object.entries(m.requestHeaders || {})) headers.set(k, v);
    const res = await stub.fetch(request.url, { method: request.method, headers });
    return addHeaders(res, m.headers);
  }
  if (m.fanout) {
    const bodies = await Promise.all(m.fanout.map(async (name) => {
      return rpcText(await ns.get(ns.idFromName(name)).serve(internalRequest('GET', m.path), new Uint8Array(0)));
    }));
    const merged = engine.merge(makeHost(), meta, new TextEncoder().encode(`[${bodies.join(',')}]`));
    return addHeaders(toResponse(merged), m.headers);
  }
  if (m.asset && !dashboard) {
    return new Response(JSON.stringify({ error: { code: 'RESOURCE_NOT_FOUND', message: 'Not found', status: 404, source: 'api' } }),
      { status: 404, headers: { 'content-type': 'application/json' } });
  }
  if (m.asset) return asset(m.asset, request);
  return toResponse(out);
}

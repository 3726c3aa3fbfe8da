// worker.js — the demo application's worker entry (the root wrangler.toml's
// main), composed as any application's is: its engine (build/engine.wasm,
// built from examples/demo/workflows by `ablauf build`), its activities, the
// Durable Object class, and a queue consumer for the charge-receipt demo.
//
// One bench-only path, with ABLAUF_TEST_HOOKS "1" only (npm run
// bench:compare's fan-out baseline): POST /__bench/ws-send/<id> {frames}
// goes straight to the instance's object, which sends the frames to its
// WebSockets with a bare JavaScript loop — for each frame,
// `for (const ws of this.ctx.getWebSockets()) ws.send(frame)` — and answers
// {sockets, frames, sent}. Without the variable the path is the 404 of any
// unknown path, at the worker and at the object.
import { createAblauf } from '../../shim/index.js';
import engine from '../../build/engine.wasm';
import { activities } from './activities.js';

export { Ablauf, AblaufError } from '../../shim/index.js';

const app = createAblauf({ engine, activities });

const BENCH_WS_SEND = '/__bench/ws-send/';
const hooksOn = (env) => env.ABLAUF_TEST_HOOKS === '1';
const notFound = () => new Response(JSON.stringify({ error: { code: 'RESOURCE_NOT_FOUND', message: 'Not found', status: 404, source: 'api' } }),
  { status: 404, headers: { 'content-type': 'application/json' } });

export class WorkflowRunner extends app.WorkflowRunner {
  async fetch(request) {
    if (request.method === 'POST' && new URL(request.url).pathname === BENCH_WS_SEND) {
      if (!hooksOn(this.env)) return notFound();
      const { frames } = await request.json();
      if (!Array.isArray(frames) || frames.some((f) => typeof f !== 'string')) {
        return Response.json({ error: { code: 'VALIDATION_ERROR', message: 'frames must be an array of strings', status: 400, source: 'validation' } },
          { status: 400 });
      }
      let sent = 0;
      for (const frame of frames) {
        for (const ws of this.ctx.getWebSockets()) {
          ws.send(frame);
          sent++;
        }
      }
      return Response.json({ sockets: this.ctx.getWebSockets().length, frames: frames.length, sent });
    }
    return super.fetch(request);
  }
}

export const handle = app.handle;

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname.startsWith(BENCH_WS_SEND) && pathname.length > BENCH_WS_SEND.length && hooksOn(env)) {
      const id = decodeURIComponent(pathname.slice(BENCH_WS_SEND.length));
      const ns = env.WORKFLOW_RUNNER; // the instance's object is named by its id
      return ns.get(ns.idFromName(id)).fetch(`https://bench${BENCH_WS_SEND}`,
        { method: 'POST', body: await request.text(), headers: { 'content-type': 'application/json' } });
    }
    return app.worker.fetch(request, env, ctx);
  },
  // The RECEIPTS queue (charge-receipt sends to it): each receipt is filed in
  // DEMO_KV under receipt:<order>.
  async queue(batch, env) {
    for (const msg of batch.messages) {
      const body = msg.body || {};
      await env.DEMO_KV.put(`receipt:${body.order ?? msg.id}`, JSON.stringify(body));
      msg.ack();
    }
  },
};

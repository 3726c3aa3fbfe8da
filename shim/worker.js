// worker.js — the demo application's worker entry (wrangler.toml main),
// composed as any application's is (shim/app.js): the demo workflows' engine,
// their activities, the Durable Object class, and the binding client for
// Worker code that imports this module.
import { createAblauf } from './app.js';
import { activities } from '../wasm/demo/activities.js';

export { handle } from './handler.js';
export { Ablauf, AblaufError } from './binding.js';
export { createAblauf } from './app.js';
export { NonRetriableError } from './io.js';

const app = createAblauf({ activities });

export const WorkflowRunner = app.WorkflowRunner;

export default {
  fetch: app.fetch,
  // The demo's RECEIPTS queue (charge-receipt sends to it): each receipt is
  // filed in DEMO_KV under receipt:<order>.
  async queue(batch, env) {
    for (const msg of batch.messages) {
      const body = msg.body || {};
      await env.DEMO_KV.put(`receipt:${body.order ?? msg.id}`, JSON.stringify(body));
      msg.ack();
    }
  },
};

// worker.js — the demo application's worker entry (the root wrangler.toml's
// main), composed as any application's is: its engine (build/engine.wasm,
// built from examples/demo/workflows by `ablauf build`), its activities, the
// Durable Object class, and a queue consumer for the charge-receipt demo.
import { createAblauf } from '../../shim/index.js';
import engine from '../../build/engine.wasm';
import { activities } from './activities.js';

export { Ablauf, AblaufError } from '../../shim/index.js';

const app = createAblauf({ engine, activities });

export const WorkflowRunner = app.WorkflowRunner;
export const handle = app.handle;

export default {
  fetch: app.worker.fetch,
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

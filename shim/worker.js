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
};

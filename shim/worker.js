// worker.js — the worker entry (wrangler.toml main). It only composes: the
// request handler, the Durable Object class, and the binding client for Worker
// code that imports this module.
import { handle } from './handler.js';

export { handle };
export { WorkflowRunner } from './runner.js';
export { Ablauf, AblaufError } from './binding.js';

export default {
  fetch: (request, env) => handle(request, env),
};

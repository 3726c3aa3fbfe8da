// app.js — composes an application's worker from the runtime: the request
// handler, the Durable Object class with the application's activities, and
// the binding client. An application's worker entry is three lines:
//
//   import { createAblauf } from 'ablauf';
//   const app = createAblauf({ activities: { charge: async (args, info) => ... } });
//   export const WorkflowRunner = app.WorkflowRunner; export default app;
//
// Activities are the JavaScript functions `call` steps invoke (docs/io-steps.md):
// async (args, info) => JSON value, info = {env, instanceId, step, attempt,
// signal}. Their names may not shadow the built-ins (kv.get, queue.send...).
import { handle } from './handler.js';
import { WorkflowRunner } from './runner.js';
import { BUILTINS } from './io.js';

export function createAblauf({ activities = {} } = {}) {
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') throw new TypeError(`createAblauf: activity "${name}" is not a function`);
    if (Object.hasOwn(BUILTINS, name)) throw new TypeError(`createAblauf: activity "${name}" would shadow the built-in of that name`);
  }
  const registered = Object.freeze({ ...activities });
  class ApplicationRunner extends WorkflowRunner {
    static activities = registered;
  }
  return {
    fetch: (request, env) => handle(request, env),
    WorkflowRunner: ApplicationRunner,
  };
}

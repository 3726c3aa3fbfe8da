// app.js — composes an application's worker from the runtime (docs/cli.md).
// An application's worker entry:
//
//   import { createAblauf } from 'ablauf';
//   import engine from './build/engine.wasm';   // what `ablauf build` made
//   const app = createAblauf({ engine, activities: { charge: async (args, info) => ... } });
//   export const WorkflowRunner = app.WorkflowRunner;
//   export default app.worker;
//
// Options:
//   engine      the compiled engine (a WebAssembly.Module; wrangler's
//               CompiledWasm rule makes the .wasm import one). Required.
//   activities  the JavaScript functions `call` steps invoke
//               (docs/io-steps.md): async (args, info) => JSON value, info =
//               {env, instanceId, step, attempt, signal}; they may not shadow
//               the built-ins (kv.get, queue.send...).
//   fetch       the application's own handler for every path outside
//               /__ablauf (request, env, ctx) => Response; without it those
//               paths are 404 JSON (a browser asking for / is redirected to
//               the dashboard).
//   dashboard   false: the dashboard (/__ablauf/) and /__ablauf/client.js
//               are not served. Default true.
//
// It returns {worker, WorkflowRunner, handle}: the worker's default export
// (fetch), the Durable Object class to export under the name wrangler.toml
// binds, and handle(request, env) for /__ablauf requests.
import { makeHandler } from './handler.js';
import { WorkflowRunner } from './runner.js';
import { BUILTINS } from './io.js';
import { createEngine } from './host.js';

const PREFIX = '/__ablauf';

// The application of this isolate, for the binding client (binding.js):
// Worker code says new Ablauf(env.WORKFLOW_RUNNER) without naming it.
let current = null;

/** The handle of the application created in this isolate (binding.js). */
export function currentHandle() {
  if (!current) throw new Error('ablauf: no application in this isolate: call createAblauf({ engine }) in the worker entry');
  return current;
}

export function createAblauf({ engine, activities = {}, fetch: appFetch, dashboard = true } = {}) {
  if (!(engine instanceof WebAssembly.Module)) {
    throw new TypeError('createAblauf: engine must be the compiled engine (import engine from "./build/engine.wasm")');
  }
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') throw new TypeError(`createAblauf: activity "${name}" is not a function`);
    if (Object.hasOwn(BUILTINS, name)) throw new TypeError(`createAblauf: activity "${name}" would shadow the built-in of that name`);
  }
  if (appFetch !== undefined && typeof appFetch !== 'function') throw new TypeError('createAblauf: fetch must be a function');
  const eng = createEngine(engine);
  const handle = makeHandler(eng, { dashboard });
  const registered = Object.freeze({ ...activities });
  class ApplicationRunner extends WorkflowRunner {
    static engine = eng;
    static activities = registered;
  }
  current = handle;
  const worker = {
    fetch(request, env, ctx) {
      const { pathname } = new URL(request.url);
      if (pathname === PREFIX || pathname.startsWith(`${PREFIX}/`)) return handle(request, env);
      if (appFetch) return appFetch(request, env, ctx);
      // A browser opening the bare origin lands on the dashboard; API clients
      // keep the contract's 404 JSON for every path outside the prefix.
      if (pathname === '/' && dashboard && /text\/html/.test(request.headers.get('accept') || '')) {
        return Response.redirect(new URL(`${PREFIX}/`, request.url).href, 302);
      }
      return handle(request, env); // the engine's 404 RESOURCE_NOT_FOUND
    },
  };
  return { worker, WorkflowRunner: ApplicationRunner, handle };
}

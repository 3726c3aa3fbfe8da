// Cloudflare Workflows equivalents of the demo's `benchmark` and
// `benchmark-replay` (examples/demo/workflows/demo.c), for npm run
// bench:compare. The fetch handler creates an instance and answers once it
// is done, so one HTTP request measures one workflow, as on ablauf:
//   GET  /ping                                  → "ok"
//   POST /run   {wf, id, params, wait}          → create; wait until complete
//               (wf "replay": until its K steps are done and it waits)
//   POST /event {id, wait}                      → sendEvent "go"; wait until complete
// wait = "poll": poll instance.status() every millisecond (the public API);
// wait = "notify": env.X.unsafeWaitForStatus (miniflare's test hook, told by
// the engine the moment the status changes: no polling cost).
// An instance that errors instead: 500 {error}, the error saying after how
// many steps and why ("errored after 5000 steps: {...}").
import { WorkflowEntrypoint } from 'cloudflare:workers';

/** The demo's bench_step: a xorshift loop whose checksum depends on every iteration. */
function benchStep(i, work) {
  let x = (Math.imul(i, 2654435761 | 0) + 1) >>> 0;
  for (let k = 0; k < work; k++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
  }
  return x;
}

async function benchSteps(step, { steps, work }) {
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const r = await step.do(`step-${i}`, async () => benchStep(i, work));
    sum = (sum + r) >>> 0;
  }
  return { steps, checksum: sum };
}

export class BenchWorkflow extends WorkflowEntrypoint {
  async run(event, step) {
    return benchSteps(step, event.payload);
  }
}

export class ReplayWorkflow extends WorkflowEntrypoint {
  async run(event, step) {
    const result = await benchSteps(step, event.payload);
    await step.waitForEvent('go', { type: 'go', timeout: '1 hour' });
    return result;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An instance that ended without completing: its status, how many steps
 *  it did and its error. */
const failure = (s) => new Error(`${s.status} after ${s.__LOCAL_DEV_STEP_OUTPUTS?.length} steps: ${JSON.stringify(s.error)}`);

async function waitComplete(binding, instance, wait) {
  if (wait === 'notify') {
    try {
      await binding.unsafeWaitForStatus(instance.id, 'complete');
    } catch (err) {
      const s = await instance.status();
      throw s.status === 'errored' || s.status === 'terminated' ? failure(s) : err;
    }
    return instance.status();
  }
  for (;;) {
    const s = await instance.status();
    if (s.status === 'complete') return s;
    if (s.status === 'errored' || s.status === 'terminated') throw failure(s);
    await sleep(1);
  }
}

/** The replay workflow has done its K steps (the local engine keeps the
 *  status "running" while it waits for the event, so look at the steps). */
async function waitStepsDone(binding, instance, steps, wait) {
  if (wait === 'notify') return binding.unsafeWaitForStepResult(instance.id, `step-${steps - 1}`, 1);
  for (;;) {
    const s = await instance.status();
    if (s.__LOCAL_DEV_STEP_OUTPUTS.length >= steps) return;
    if (s.status !== 'running' && s.status !== 'queued') throw new Error(`${s.status}: ${JSON.stringify(s.error)}`);
    await sleep(1);
  }
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === '/ping') return new Response('ok');
    try {
      const body = request.method === 'POST' ? await request.json() : {};
      const wait = body.wait || 'poll';
      if (pathname === '/run') {
        const binding = body.wf === 'replay' ? env.REPLAY_WF : env.BENCH_WF;
        const instance = await binding.create({ id: body.id, params: body.params });
        if (body.wf === 'replay') {
          await waitStepsDone(binding, instance, body.params.steps, wait);
          return json({ id: instance.id, status: 'waiting' });
        }
        const s = await waitComplete(binding, instance, wait);
        return json({ id: instance.id, status: s.status, output: s.output });
      }
      if (pathname === '/event') {
        const instance = await env.REPLAY_WF.get(body.id);
        await instance.sendEvent({ type: 'go', payload: {} });
        const s = await waitComplete(env.REPLAY_WF, instance, wait);
        return json({ id: instance.id, status: s.status, output: s.output });
      }
      return json({ error: 'not found' }, 404);
    } catch (err) {
      return json({ error: String(err && err.stack || err) }, 500);
    }
  },
};

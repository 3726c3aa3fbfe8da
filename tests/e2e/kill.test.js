// Real faults: the workerd process dies (SIGKILL) under load, and the state it
// leaves on disk must be one the engine recovers from without help.
//
// Method. This file starts its own `wrangler dev` (tests/support/devserver.js)
// with a fresh temporary state directory (`--persist-to`), removed in
// afterAll. `server.kill()` finds the workerd that runs the worker and its
// Durable Objects among the descendants of that wrangler (/proc/<pid>/task/*/
// children; the one holding the state directory open, not the proxy workerd
// on the public port) and SIGKILLs it by pid; nothing this file did not start
// is ever signalled. Wrangler 4.86 neither exits nor respawns a dead workerd
// (its proxy answers a POST in flight 503 "Your worker restarted mid-request"
// and holds every later request), so `server.restart()` stops the rest of that
// wrangler and starts a new one on the same port and the same state
// directory. Between the kill and the checks the only requests are GETs: what
// happens after the restart happens by itself (alarms, which workerd fires at
// start-up when they are due).
//
// The moments:
//   1. during 200 concurrent creates (echo, multi-step), after half of them
//      were answered;
//   2. inside one long create pass (benchmark, a few seconds of steps);
//   3. when the alarms of 30 sleeping `test` instances are due.
// After every restart: the server answers, never-created ids are 404 and the
// listing holds no id this file never created.
//
// What makes these hold: listing entries go through the instance's outbox
// (written with the change, delivered until acknowledged, by the alarm after
// a death), and a long pass commits every 250 ms or 16 MiB of work and
// continues in a fresh call, so a kill inside it loses one chunk at most.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../support/devserver.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
/** Every id this file ever sent a create for. */
const sent = new Set();

beforeAll(async () => { server = await startDevServer(); }, 120000);
afterAll(async () => { await server?.stop(); }, 30000);

async function call(method, path, body, timeout = 20000) {
  const res = await fetch(`${server.url}/__ablauf${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON (wrangler's 503 page) */ }
  return { status: res.status, body: json, text };
}

function create(req, timeout) {
  sent.add(req.id);
  return call('POST', '/workflows', req, timeout);
}

/** Every entry of the listing, page by page: Map id -> entry. */
async function listing() {
  const all = new Map();
  let cursor = null;
  for (let page = 0; page < 100; page++) {
    const q = `limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await call('GET', `/workflows?${q}`);
    expect(r.status).toBe(200);
    for (const e of r.body.workflows) all.set(e.id, e);
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  return all;
}

/** After every restart: the server answers, never-created ids do not exist,
 *  and the listing holds nothing this file never created. */
async function checkAfterRestart() {
  const types = await call('GET', '/types');
  expect(types.status).toBe(200);
  expect(types.body.types.length).toBeGreaterThan(0);
  for (const id of [`never-${Date.now()}`, 'never-created', `${[...sent][0]}-x`]) {
    const r = await call('GET', `/workflows/${id}`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('WORKFLOW_NOT_FOUND');
  }
  const strangers = [...(await listing()).keys()].filter((id) => !sent.has(id));
  expect(strangers).toEqual([]);
}

const isCrash = (h) => /crashed/.test(h.error);

/** A step that completed ran once, or once more per crash its history records. */
function expectStepsRanOnce(status) {
  for (const step of status.steps) {
    if (step.type !== 'do' || step.status !== 'completed') continue;
    const crashes = (step.retryHistory ?? []).filter(isCrash).length;
    expect({ step: step.name, attempts: step.attempts })
      .toEqual({ step: step.name, attempts: 1 + crashes });
  }
}

/** GETs `id` until `done(status)` or the deadline; returns the last answer. */
async function pollUntil(id, done, ms) {
  const deadline = Date.now() + ms;
  let r;
  for (;;) {
    r = await call('GET', `/workflows/${id}`);
    if (r.status === 200 && done(r.body)) return r;
    if (Date.now() > deadline) return r;
    await sleep(250);
  }
}

const stepView = (s) => s.steps.map((x) => ({
  name: x.name, status: x.status, attempts: x.attempts, result: x.result,
  completedAt: x.completedAt, retryHistory: x.retryHistory,
}));

describe('1. SIGKILL during 200 concurrent creates', () => {
  const run = `kc-${Date.now()}`;
  const reqs = Array.from({ length: 200 }, (_, i) => (i % 2
    ? { type: 'multi-step', id: `${run}-m${i}`, payload: { value: i } }
    : { type: 'echo', id: `${run}-e${i}`, payload: { message: `m${i}` } }));
  const expected = (req) => {
    if (req.type === 'echo') return { original: req.payload.message, echoed: req.payload.message };
    const a = req.payload.value + 1; const b = a * 2; const c = b + 10;
    return { a, b, c, d: `result:${c}` };
  };
  const acked = new Map(); // id -> Status of the 200/201 answer
  const stored = new Map(); // id -> Status read after the restart
  const tally = {};

  it('every acknowledged create exists after the restart with its status, result and steps unchanged', async () => {
    await server.workerdPid();
    let answered = 0;
    let answeredAtKill = null;
    let killing = null;
    const answers = reqs.map((req) => create(req, 60000).then((r) => {
      if (r.status === 200 || r.status === 201) {
        // A 201 is an acknowledgement even when the kill cut its body off
        // (wrangler's proxy then ends it cleanly, empty).
        acked.set(req.id, r.body);
        if (++answered === reqs.length / 2) { answeredAtKill = answered; killing = server.kill(); }
      }
      return r;
    }, (err) => ({ status: 'error', text: String(err.cause ?? err) })));
    // Backstop: kill after 15 s whatever the count.
    for (let i = 0; i < 150 && !killing; i++) await sleep(100);
    if (!killing) { answeredAtKill = answered; killing = server.kill(); }
    const killed = await killing;
    // Answers already on their way arrive; the rest hang on the proxy until the restart.
    await Promise.race([Promise.allSettled(answers), sleep(3000)]);
    await server.restart();
    for (const r of await Promise.all(answers)) {
      let k = r.status === 'error' ? 'network error' : String(r.status);
      if ((r.status === 201 || r.status === 200) && r.body === null) k += ' (empty body)';
      tally[k] = (tally[k] ?? 0) + 1;
    }
    console.log(`[kill 1] workerd ${killed.pid} killed after ${answeredAtKill} answers; `
      + `wrangler: ${killed.outcome}; answers: ${JSON.stringify(tally)}`);
    expect(acked.size).toBeGreaterThan(0);
    expect(acked.size).toBeLessThan(reqs.length);
    await checkAfterRestart();

    // Read everything back (GETs only), then judge.
    const after = new Map();
    await Promise.all(reqs.map(async (req) => {
      let r = await call('GET', `/workflows/${req.id}`);
      // Stored without an answer: it must be (or come) to rest by itself.
      if (r.status === 200 && r.body.status !== 'completed') {
        r = await pollUntil(req.id, (s) => s.status === 'completed', 10000);
      }
      after.set(req.id, r);
      if (r.status === 200) stored.set(req.id, r.body);
    }));
    console.log(`[kill 1] stored after restart: ${stored.size} (acknowledged ${acked.size}, `
      + `stored without an answer ${[...stored.keys()].filter((id) => !acked.has(id)).length}, `
      + `absent ${reqs.length - stored.size})`);

    for (const req of reqs) {
      const r = after.get(req.id);
      if (acked.has(req.id)) {
        expect({ id: req.id, http: r.status }).toEqual({ id: req.id, http: 200 });
        expect({ id: req.id, status: r.body.status, result: r.body.result })
          .toEqual({ id: req.id, status: 'completed', result: expected(req) });
        const a = acked.get(req.id);
        if (a !== null) {
          expect({ id: req.id, status: r.body.status, result: r.body.result, steps: stepView(r.body) })
            .toEqual({ id: req.id, status: a.status, result: a.result, steps: stepView(a) });
        }
        expectStepsRanOnce(r.body);
      } else if (r.status === 200) {
        expect({ id: req.id, status: r.body.status, result: r.body.result })
          .toEqual({ id: req.id, status: 'completed', result: expected(req) });
        expectStepsRanOnce(r.body);
      } else {
        expect({ id: req.id, http: r.status, code: r.body?.error?.code })
          .toEqual({ id: req.id, http: 404, code: 'WORKFLOW_NOT_FOUND' });
      }
    }
  }, 150000);

  it('the listing shows every stored instance with its true status within 30 s', async () => {
    expect(stored.size).toBeGreaterThan(0);
    const deadline = Date.now() + 30000;
    let missing; let wrong;
    for (;;) {
      const list = await listing();
      missing = [...stored.keys()].filter((id) => !list.has(id));
      wrong = [...stored.entries()]
        .filter(([id, s]) => list.has(id) && list.get(id).status !== s.status)
        .map(([id, s]) => `${id}: listed ${list.get(id).status}, is ${s.status}`);
      if ((missing.length === 0 && wrong.length === 0) || Date.now() > deadline) break;
      await sleep(1000);
    }
    const missingAcked = missing.filter((id) => acked.has(id)).length;
    console.log(`[kill 1] listing after 30 s: ${stored.size - missing.length} of ${stored.size} stored listed; `
      + `missing ${missing.length} (${missingAcked} acknowledged, ${missing.length - missingAcked} not); `
      + `wrong status ${wrong.length}`);
    expect(missing).toEqual([]);
    expect(wrong).toEqual([]);
  }, 60000);
});

describe('2. SIGKILL inside a long create pass', () => {
  // About 2 s of steps through wrangler dev on a 2-core machine.
  const payload = { steps: 4000, work: 200000 };

  it('the instance completes by itself through its alarm, each step run once, with the clean checksum', async () => {
    const run = `kb-${Date.now()}`;
    const t0 = Date.now();
    const clean = await create({ type: 'benchmark', id: `${run}-clean`, payload }, 60000);
    const took = Date.now() - t0;
    expect(clean.status).toBe(201);
    expect(clean.body.status).toBe('completed');
    const checksum = clean.body.result.checksum;
    console.log(`[kill 2] clean run: ${took} ms, checksum ${checksum}`);

    const id = `${run}-killed`;
    await server.workerdPid();
    const answer = create({ type: 'benchmark', id, payload }, 60000)
      .catch((err) => ({ status: 'error', text: String(err.cause ?? err) }));
    await sleep(Math.round(took / 2));
    const killed = await server.kill();
    const a = await Promise.race([answer, sleep(3000).then(() => ({ status: 'no answer' }))]);
    console.log(`[kill 2] workerd ${killed.pid} killed ${killed.killedAt - t0 - took} ms into the create; `
      + `wrangler: ${killed.outcome}; create answered ${a.status} ${a.text?.slice(0, 80) ?? ''}`);
    await server.restart();
    await answer;
    await checkAfterRestart();

    // Only GETs from here on. An instance absent for 5 s cannot appear: nothing
    // but a create makes one.
    const deadline = Date.now() + 30000;
    let r; let absentSince = null;
    for (;;) {
      r = await call('GET', `/workflows/${id}`);
      if (r.status === 200 && ['completed', 'errored'].includes(r.body.status)) break;
      if (r.status === 404) absentSince ??= Date.now(); else absentSince = null;
      if (Date.now() > deadline || (absentSince && Date.now() - absentSince > 5000)) break;
      await sleep(500);
    }
    console.log(`[kill 2] after the restart: ${r.status} ${r.body?.status ?? r.body?.error?.code}`);
    expect({ http: r.status, status: r.body?.status ?? r.body?.error?.code })
      .toEqual({ http: 200, status: 'completed' });
    expect(r.body.result).toEqual({ steps: payload.steps, checksum });
    // Status pages its steps (1000 a page, stepsNext the cursor).
    const all = [...r.body.steps];
    for (let next = r.body.stepsNext; next;) {
      const page = await call('GET', `/workflows/${id}?stepsCursor=${next}`);
      all.push(...page.body.steps);
      next = page.body.stepsNext;
    }
    const steps = all.filter((s) => s.type === 'do');
    expect(steps.map((s) => s.name)).toEqual(Array.from({ length: payload.steps }, (_, i) => `step-${i}`));
    expect(steps.filter((s) => s.status !== 'completed').map((s) => s.name)).toEqual([]);
    const rerun = steps.filter((s) => s.attempts !== 1);
    expect(rerun.length).toBeLessThanOrEqual(1);
    for (const s of rerun) {
      expect(s.attempts).toBe(2);
      expect((s.retryHistory ?? []).filter(isCrash).length).toBe(1);
    }
  }, 120000);
});

describe('3. SIGKILL when the alarms of sleeping instances are due', () => {
  it('every instance reaches waiting by itself, then completes on its event; no completed step runs twice', async () => {
    const run = `ks-${Date.now()}`;
    const ids = Array.from({ length: 30 }, (_, i) => `${run}-${i}`);
    const before = new Map();
    const answers = await Promise.all(ids.map((id, i) => create({ type: 'test', id, payload: { name: `N${i}` } })));
    answers.forEach((c, i) => {
      expect({ id: ids[i], http: c.status, status: c.body.status })
        .toEqual({ id: ids[i], http: 201, status: 'sleeping' });
      before.set(ids[i], c.body);
    });
    const wakeAts = answers.map((c) => c.body.steps.find((s) => s.name === 'pause').wakeAt).sort((x, y) => x - y);
    // Kill a few ms past the median alarm: some passes done, some running, some not begun.
    const killAt = wakeAts[wakeAts.length >> 1] + 15;
    await server.workerdPid();
    await sleep(Math.max(0, killAt - Date.now()));
    const killed = await server.kill();
    console.log(`[kill 3] alarms due ${wakeAts[0] - killed.killedAt}..${wakeAts.at(-1) - killed.killedAt} ms `
      + `from the kill; wrangler: ${killed.outcome}`);
    await server.restart();
    await checkAfterRestart();

    let passedBefore = 0;
    for (const [i, id] of ids.entries()) {
      const r = await pollUntil(id, (s) => s.status !== 'sleeping', 20000);
      expect({ id, http: r.status, status: r.body.status }).toEqual({ id, http: 200, status: 'waiting' });
      const steps = Object.fromEntries(r.body.steps.map((s) => [s.name, s]));
      const greet0 = before.get(id).steps.find((s) => s.name === 'greet');
      expect(steps.greet).toMatchObject({ status: 'completed', attempts: 1, result: `Hello, N${i}!`,
        completedAt: greet0.completedAt });
      expect(steps.pause.status).toBe('completed');
      expect(steps.approval.status).toBe('waiting');
      if (steps.pause.completedAt < killed.killedAt) passedBefore++;
    }
    console.log(`[kill 3] ${passedBefore} of ${ids.length} alarm passes had finished before the kill`);

    for (const [i, id] of ids.entries()) {
      const e = await call('POST', `/workflows/${id}/events/approval`, { approved: true });
      expect({ id, http: e.status, delivery: e.body.delivery }).toEqual({ id, http: 202, delivery: 'resumed' });
      const s = e.body.status;
      expect(s.status).toBe('completed');
      expect(s.result).toEqual({ message: `N${i} was approved`, greeting: `Hello, N${i}!` });
      const greet = s.steps.find((x) => x.name === 'greet');
      expect(greet.attempts).toBe(1);
      expect(greet.completedAt).toBe(before.get(id).steps.find((x) => x.name === 'greet').completedAt);
      expectStepsRanOnce(s);
    }
  }, 120000);
});

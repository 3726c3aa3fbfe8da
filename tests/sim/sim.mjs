// sim.mjs — one seeded run of the simulator: the real shim/runner.js and
// shim/handler.js over the real build/engine.wasm, on the simulated runtime of
// runtime.mjs, with clients, alarms, sockets and isolate deaths interleaved by
// a PRNG, and the invariants of docs/testing.md checked after every step.
// Import it after ./register.mjs (run.mjs and soak.mjs do).
import { WorkflowRunner, handle } from '../../examples/demo/worker.js';
import { initSqlite, runStatement, Sim, T0 } from './runtime.mjs';

const VARS = { ABLAUF_TEST_HOOKS: '1' };
const BASE = 'https://sim.test/__ablauf/workflows';
const ENDED = new Set(['completed', 'errored', 'terminated']);

// --- the workload: demo workflows (examples/demo/workflows) --------------------------
const ok = () => ({});
const TYPES = {
  'replay-counter': {
    payload: (r, id) => ({ id }),
    events: [['continue', ok]],
    result: () => ({ result1: 'first', result2: 'second', result3: 'third' }),
  },
  test: {
    payload: () => ({ name: 'sim' }),
    events: [['approval', (r) => ({ approved: r.chance(0.5) })]],
  },
  'multi-event': {
    payload: () => ({ name: 'sim' }),
    events: [['first-approval', (r) => ({ ok: r.chance(0.5) })], ['second-approval', (r) => ({ ok: r.chance(0.5) })]],
  },
  'backoff-config': {
    payload: (r) => ({ failCount: r.int(4), strategy: r.pick(['fixed', 'linear', 'exponential']) }),
    result: () => 'ok',
  },
  'failing-step': { payload: (r) => ({ failCount: r.int(3) }), result: () => 'recovered' },
  'crash-once': { payload: () => ({}), result: () => ({ a: 'safe', b: 'recovered' }) },
  'live-progress': {
    payload: (r) => ({ steps: 1 + r.int(5) }),
    events: [['go', ok]],
    result: (p) => ({ total: p.steps }),
    updates: (p) => {
      const u = [];
      for (let i = 2; i <= p.steps; i += 2) u.push(['progress', { step: i }]);
      u.push(['done', { total: p.steps }]);
      return u;
    },
  },
  'sse-test': {
    payload: (r) => ({ itemCount: r.int(10) }),
    result: (p) => ({ processed: p.itemCount }),
    updates: (p) => [['done', { message: `Processed ${p.itemCount} items` }]],
  },
  'resume-updates': {
    payload: () => ({}),
    events: [['go', ok]],
    result: () => 'finished',
    updates: () => ['before-sleep', 'after-sleep', 'after-event', 'done'].map((n) => ['stage', { name: n }]),
  },
};
const TYPE_NAMES = Object.keys(TYPES);

// --- reading an object's database (no hooks, no dirt) ------------------------
function rows(db, sql, params = []) {
  try { return runStatement(db, sql, params).rows; } catch { return null; }
}

function readInstance(db) {
  // the result has a row of its own since schema v3 (ab_result)
  const i = rows(db, 'SELECT id, type, status, died, deaths, updated_at, COALESCE((SELECT value FROM ab_result WHERE id = 1), result),'
    + ' payload, careful, error, error_code, event_open FROM ab_instance LIMIT 1');
  if (!i || !i.length) return null;
  const [id, type, status, died, deaths, updatedAt, result, payload, careful, error, errorCode, eventOpen] = i[0];
  const steps = (rows(db, 'SELECT name, type, status, attempts, result, completed_at, wake_at, history FROM ab_steps ORDER BY ord') || [])
    .map(([name, kind, st, attempts, res, completedAt, wakeAt, history]) =>
      ({ name, kind, status: st, attempts, result: res, completedAt, wakeAt, history: history ? JSON.parse(history) : [] }));
  const updates = (rows(db, 'SELECT seq, name, data, site FROM ab_updates ORDER BY seq') || [])
    .map(([seq, name, data, site]) => ({ seq, name, data, site }));
  return { id, type, status, died, deaths, careful, error, errorCode, eventOpen, updatedAt, result, payload, steps, updates };
}

function readIndex(db) {
  return new Map((rows(db, 'SELECT id, type, status, updated_at FROM ab_index') || [])
    .map(([id, type, status, updatedAt]) => [id, { type, status, updatedAt }]));
}

const crashes = (st) => st.steps.reduce((n, s) => n + s.history.filter((h) => /crashed/.test(h.error || '')).length, 0);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function fnv(h, s) {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

class Violation extends Error {}

/**
 * Defects the simulator finds today that are known and tracked: reported on
 * every run, not counted as failures unless opts.strict. Delete an entry when
 * its fix lands (docs/testing.md).
 */
export const KNOWN = {};

/**
 * Runs one seed. opts: noSerial (bypass runner.js serial()), verbose (print
 * the trace), sql (trace every write), strict (count KNOWN defects as
 * failures), keepGoing (do not stop at the first violation).
 */
export async function runSeed(seed, opts = {}) {
  await initSqlite();
  const t0 = performance.now();
  let step = 0;
  let deathsSeen = 0; // died 0 → 1 transitions in the current state
  let carefulSeen = 0;
  const sim = new Sim({ seed, Runner: WorkflowRunner, vars: VARS, noSerial: !!opts.noSerial, log: (l) => say(l) });
  const r = sim.rng;
  const trace = [];
  let hash = 2166136261;
  const say = (line) => {
    const l = `${String(step).padStart(4)} +${String(sim.now - T0).padStart(7)}ms ${line}`;
    hash = fnv(hash, line);
    trace.push(l);
    if (trace.length > 400 && !opts.verbose) trace.splice(0, 200);
    if (opts.verbose) process.stdout.write(`${l}\n`);
  };
  const violations = [];
  const known = [];
  const violate = (kind, msg) => {
    const v = { kind, msg, step };
    if (KNOWN[kind] && !opts.strict) { known.push(v); say(`KNOWN ${kind}: ${msg}`); return; }
    violations.push(v);
    say(`VIOLATION ${kind}: ${msg}`);
  };
  const stopNow = () => violations.length > 0 && !opts.keepGoing;

  // --- the profile of this seed ---
  const nInstances = 2 + r.int(4);
  const opBudget = 25 + r.int(45);
  let killBudget = r.pick([0, 0, 1, 2, 3, 5, 8]);
  const killWeight = r.pick([0.02, 0.05, 0.1]);
  const instances = [];
  for (let k = 0; k < nInstances; k++) {
    const type = r.pick(TYPE_NAMES);
    const id = `wf-${k}`;
    instances.push({ id, type, payload: TYPES[type].payload(r, id), created: false });
  }
  // A poisoned instance: its first `poison` step bodies kill the isolate while
  // they run (a body that runs out of memory, say). Crash detection must
  // notice each death and end the retries (docs/retries-and-crashes.md).
  // With Infinity every body does: the retry limit must end it.
  const poisoned = r.chance(0.35) ? r.pick(instances) : null;
  const poison = poisoned ? r.pick([1, 2, 3, 4, Infinity]) : 0;
  const poisonText = poison === Infinity ? 'every body kills' : `first ${poison} bodies kill`;
  say(`seed ${seed}: ${instances.map((i) => `${i.id}=${i.type}`).join(' ')}; ${opBudget} ops, ≤${killBudget} kills${poisoned ? `; ${poisoned.id}: ${poisonText} the isolate` : ''}${opts.noSerial ? ', serial() bypassed' : ''}`);

  // --- invariant hooks ---
  const touched = new Set();
  sim.beforeSql = (obj, sql, params) => {
    touched.add(obj);
    sim.lastSqlObject = obj;
    if (opts.sql && !/^\s*SELECT/i.test(sql)) say(`  sql ${obj.name}: ${sql.slice(0, 60)}… ${JSON.stringify(params).slice(0, 160)}`);
    // A completed step is never written again: its body does not re-run.
    if (!obj.isShard && sql.startsWith('INSERT INTO ab_steps')) {
      const [name, , , status, attempts, , error] = params;
      const cur = rows(obj.db, 'SELECT status, attempts FROM ab_steps WHERE name = ?', [name]);
      if (cur && cur.length) {
        // A body just returned: its outcome is written over its running
        // marker (a crash attribution writes there too, with the crash message).
        const returned = cur[0][0] === 'running' && cur[0][1] === attempts && status !== 'running' && !/^crashed/.test(error || '');
        // The protocol: a body runs only once its event's mark is committed
        // (ab_begin, then storage.sync()), so that a death inside it is
        // noticed. A create's first pass has no mark (nothing committed yet).
        if (returned && obj.committed) {
          const open = rows(obj.db, 'SELECT event_open FROM ab_instance LIMIT 1');
          const mark = open && open.length ? open[0][0] : 0;
          if (!mark || obj.committed.eventOpen !== mark) {
            violate('body-before-mark', `${obj.name}: the body of "${name}" (attempt ${attempts}) ran while its event's mark ${mark} was not committed (committed: ${obj.committed.eventOpen})`);
          }
        }
        if (returned && obj.poison > 0 && obj.committed) {
          obj.poison--;
          obj.poisonKill = true;
          obj.poisonKills = (obj.poisonKills || 0) + 1;
          say(`  the body of "${name}" (attempt ${attempts}) kills the isolate of ${obj.name}`);
        }
        if (cur[0][0] === 'completed') violate('completed-step-rerun', `${obj.name}: step "${name}" was completed and is written again (${status}, attempt ${attempts})`);
        if (attempts < cur[0][1]) violate('attempts-decreased', `${obj.name}: step "${name}" attempts ${cur[0][1]} → ${attempts}`);
      }
    }
  };
  sim.afterCommit = (obj) => {
    touched.add(obj);
    if (obj.isShard) { obj.committed = readIndex(obj.db); return; }
    const next = readInstance(obj.db);
    const prev = obj.committed;
    obj.committed = next;
    if (!prev) return;
    if (!next) { violate('instance-lost', `${obj.name}: a committed instance disappeared`); return; }
    // storage keeps no index on a step's name (schema v6): the engine must
    const names = new Set(next.steps.map((s) => s.name));
    if (names.size !== next.steps.length) violate('step-name-twice', `${obj.name}: ${next.steps.length} step rows, ${names.size} names`);
    for (const p of prev.steps) {
      const n = next.steps.find((s) => s.name === p.name);
      if (!n) { violate('step-lost', `${obj.name}: committed step "${p.name}" disappeared`); continue; }
      if (p.status === 'completed' && (n.status !== 'completed' || n.result !== p.result || n.attempts !== p.attempts || n.completedAt !== p.completedAt)) {
        violate('completed-step-changed', `${obj.name}: completed step "${p.name}" changed: ${JSON.stringify(p)} → ${JSON.stringify(n)}`);
      }
      if (n.attempts < p.attempts) violate('attempts-decreased', `${obj.name}: step "${p.name}" attempts ${p.attempts} → ${n.attempts}`);
    }
    for (const u of prev.updates) {
      const n = next.updates.find((x) => x.seq === u.seq);
      if (!n || !same(n, u)) violate('update-changed', `${obj.name}: persisted update seq ${u.seq} changed or vanished`);
    }
  };
  sim.onHandlerError = (obj, what, err) => violate('handler-threw', `${obj.name}: ${what} threw ${err && err.stack ? err.stack : err}`);

  const checkCurrent = (obj) => {
    if (obj.isShard) return;
    const st = readInstance(obj.db);
    if (!st) return;
    const budget = obj.kills + obj.traps;
    const c = crashes(st);
    if (st.died && !obj.sawDied) deathsSeen++;
    obj.sawDied = !!st.died;
    if (st.careful && !obj.sawCareful) carefulSeen++;
    obj.sawCareful = !!st.careful;
    if (budget === 0 && (st.died || st.deaths > 0 || c > 0)) {
      violate('death-without-kill', `${obj.name}: a death is recorded (died=${st.died}, deaths=${st.deaths}, crash entries=${c}) but the object was never killed and never trapped`);
    } else if (c + st.deaths > budget) {
      violate('deaths-exceed-kills', `${obj.name}: ${c} crash entries + deaths=${st.deaths} > ${obj.kills} kills + ${obj.traps} traps`);
    }
    const sites = new Map();
    for (const u of st.updates) {
      if (u.site === null) continue;
      if (sites.has(u.site)) violate('update-duplicated', `${obj.name}: updates seq ${sites.get(u.site)} and ${u.seq} come from the same call site ${JSON.stringify(u.site)}`);
      sites.set(u.site, u.seq);
    }
  };
  const checkTimers = () => {
    for (const obj of sim.objects.values()) {
      const st = obj.committed;
      if (obj.isShard || !st || ENDED.has(st.status) || st.status === 'paused') continue;
      const timed = st.status === 'sleeping' || st.steps.some((s) => s.wakeAt !== null && s.status !== 'completed');
      if (timed && obj.committedAlarm === null && !obj.alarmInflight) {
        violate('no-timer', `${obj.name}: ${st.status} and waiting on time (${st.steps.filter((s) => s.wakeAt !== null).map((s) => `${s.name}@+${s.wakeAt - T0}`).join(', ')}) but no alarm is set`);
      }
    }
  };

  // --- console: the shim's logs go to the trace; a trap is counted ---
  const saved = { log: console.log, error: console.error, warn: console.warn };
  const capture = (level) => (...a) => {
    const line = a.map(String).join(' ');
    if (/engine trapped/.test(line) && sim.lastSqlObject) sim.lastSqlObject.traps++;
    say(`  ${level} ${line}`);
  };
  console.log = capture('log');
  console.error = capture('err');
  console.warn = capture('warn');

  // --- clients ---
  const sockets = [];
  const answers = [];
  let opsInFlight = 0;
  const workerEnv = { ...VARS, WORKFLOW_RUNNER: sim.namespace(null) };
  const request = async (label, method, path, body, headers = {}, id = (path.match(/^\/([^/?]+)/) || [])[1]) => {
    opsInFlight++;
    const init = { method, headers: { 'content-type': 'application/json', ...headers } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const req = sim.request(`${BASE}${path}`, init, null);
    const a = { label, id, status: null, body: null };
    answers.push(a);
    try {
      const res = await handle(req, workerEnv);
      a.status = res.status;
      if (res.status === 101) a.webSocket = res.webSocket;
      else { const t = await res.text(); try { a.body = JSON.parse(t); } catch { a.body = t; } }
      say(`client ← ${res.status} ${label}`);
    } catch (err) {
      a.status = 'exception';
      a.error = String(err && err.message);
      say(`client ← exception ${label}: ${a.error}`);
    } finally {
      opsInFlight--;
      a.done = true;
    }
    return a;
  };
  sim.onFrame = (pair, m) => {
    const c = sockets.find((s) => s.pair === pair);
    if (!c) return;
    if (m.close !== undefined) { c.closed = true; say(`ws#${pair.id} ${c.id} ← close ${m.close}`); return; }
    say(`ws#${pair.id} ${c.id} ← ${m.frame}`);
    c.frames.push(m.frame);
    let f;
    try { f = JSON.parse(m.frame); } catch { violate('frame-malformed', `ws#${pair.id}: ${m.frame}`); return; }
    if (f.seq !== undefined) {
      if (c.seqs.includes(f.seq)) violate('frame-duplicated', `ws#${pair.id} (${c.id}) got update seq ${f.seq} twice`);
      else if (c.seqs.length && f.seq !== c.seqs[c.seqs.length - 1] + 1) violate('frame-order', `ws#${pair.id} (${c.id}) got seq ${f.seq} after ${c.seqs[c.seqs.length - 1]}`);
      c.seqs.push(f.seq);
      const obj = sim.objects.get(c.id);
      const row = obj && obj.committed && obj.committed.updates.find((u) => u.seq === f.seq);
      if (!row || row.name !== f.event || row.data !== f.data) violate('frame-uncommitted', `ws#${pair.id} (${c.id}) got seq ${f.seq} (${m.frame}) that is not the committed update ${JSON.stringify(row)}`);
    } else {
      const key = `${f.event}|${typeof f.data === 'string' ? f.data : JSON.stringify(f.data)}`;
      if (c.live.has(key)) violate('frame-duplicated', `ws#${pair.id} (${c.id}) got ${m.frame} twice`);
      c.live.add(key);
    }
  };

  const clientOp = () => {
    const inst = r.pick(instances);
    const def = TYPES[inst.type];
    const p = `/${inst.id}`;
    if (!inst.created) {
      inst.created = true;
      request(`create ${inst.id} (${inst.type})`, 'POST', '', { type: inst.type, id: inst.id, payload: inst.payload }, {}, inst.id).then((a) => {
        if (a.status !== 201 && a.status !== 200) inst.created = false; // lost to a death: create again later
      });
      return;
    }
    const open = sockets.filter((s) => !s.closed && !s.clientClosed);
    const ops = [
      [2, () => request(`GET ${inst.id}`, 'GET', p)],
      [1, () => request(`pause ${inst.id}`, 'POST', `${p}/pause`)],
      [1.3, () => request(`resume ${inst.id}`, 'POST', `${p}/resume`)],
      [1.5, () => {
        if (!def.events) return request(`_advance ${inst.id}`, 'POST', `${p}/_advance`);
        const [name, mk] = r.pick(def.events);
        return request(`event ${name} → ${inst.id}`, 'POST', `${p}/events/${name}`, mk(r));
      }],
      [1.5, () => request(`_advance ${inst.id}`, 'POST', `${p}/_advance`)],
      [0.8, () => {
        const after = r.pick([0, 0, 0, 1, 2]);
        return request(`ws connect ${inst.id} after=${after}`, 'GET', `${p}/ws?after=${after}`, undefined, { upgrade: 'websocket' }).then((a) => {
          if (a.webSocket) {
            sockets.push({ pair: a.webSocket.pair, id: inst.id, after, frames: [], seqs: [], live: new Set(), closed: false, clientClosed: false });
          }
        });
      }],
      [open.length ? 0.6 : 0, () => {
        const c = r.pick(open);
        c.clientClosed = true;
        const code = r.pick([1000, 1001, 1005]);
        sim.addTask({
          label: `ws#${c.pair.id} client close ${code}`,
          run: () => {
            const srv = c.pair.server;
            if (srv.state !== 'open') return;
            const inc = srv.obj.wake();
            try { inc.runner.webSocketClose(srv, code, 'bye', true); } catch (err) { sim.onHandlerError(srv.obj, 'webSocketClose', err); }
          },
        });
      }],
      [0.3, () => request('list', 'GET', '?limit=1000')],
      [0.3, () => request(`updates ${inst.id}`, 'GET', `${p}/updates?after=0`)],
      [0.2, () => request(`create again ${inst.id}`, 'POST', '', { type: inst.type, id: inst.id, payload: inst.payload }, {}, inst.id)],
      [0.1, () => request(`terminate ${inst.id}`, 'POST', `${p}/terminate`)],
    ];
    ops[r.weighted(ops.map((o) => o[0]))][1]();
  };

  if (poisoned) sim.object(poisoned.id).poison = poison;

  // --- the loop ---
  let opsLeft = opBudget;
  let quiet = false; // after the workload: no clients, no deaths
  const runOne = async () => {
    const due = sim.dueAlarms();
    const live = [...sim.objects.values()].filter((o) => o.inc);
    const next = sim.nextAlarm();
    const choices = [];
    for (const t of sim.tasks) choices.push([1, () => { sim.removeTask(t); say(t.label); t.run(); }]);
    for (const [o, dup] of due) choices.push([1, () => { say(`alarm ${o.name}${dup ? ' (duplicate delivery)' : ''}`); sim.deliverAlarm(o, dup); }]);
    if (!quiet && opsLeft > 0) choices.push([1.2, () => { opsLeft--; clientOp(); }]);
    if (!quiet && killBudget > 0 && live.length) {
      // Deaths matter where work is in flight: uncommitted writes, open calls,
      // a running alarm. Idle objects die too, rarely.
      const busy = (x) => (x.dirty ? 6 : 0) + (x.inc.calls.size ? 3 : 0) + (x.alarmInflight ? 3 : 0);
      const anyBusy = live.some((x) => busy(x) > 0);
      choices.push([killWeight * (anyBusy ? 10 : 1), () => {
        killBudget--;
        const o = live[r.weighted(live.map((x) => busy(x) + (anyBusy ? 0 : 1)))];
        say(`KILL ${o.name} (incarnation ${o.inc.n}${o.dirty ? ', uncommitted writes lost' : ''})`);
        o.kill();
      }]);
    }
    if (!quiet) choices.push([0.4, () => { sim.now += 1 + r.int(250); }]);
    if (next !== Infinity && (quiet ? choices.length === 0 : true)) {
      choices.push([quiet ? 1 : 0.1, () => { say(`clock → +${next - T0}ms`); sim.now = next; }]);
    }
    if (!choices.length) return false;
    choices[r.weighted(choices.map((c) => c[0]))][1]();
    step++;
    await sim.settle();
    for (const o of sim.objects.values()) {
      if (!o.poisonKill) continue;
      o.poisonKill = false;
      say(`KILL ${o.name} (a step body killed it${o.dirty ? ', uncommitted writes lost' : ''})`);
      o.kill();
    }
    for (const o of touched) checkCurrent(o);
    touched.clear();
    checkTimers();
    if (stopNow()) throw new Violation(violations[0].msg);
    return true;
  };

  sim.start();
  let error = null;
  let quiesced = false;
  try {
    const maxSteps = opts.maxSteps ?? 4000;
    while (step < maxSteps && (opsLeft > 0 || sim.tasks.length)) {
      if (!(await runOne())) break;
    }
    // Quiesce: no more clients or deaths; deliver everything, fire every alarm.
    quiet = true;
    say('--- quiesce: no more clients, no more deaths ---');
    const cap = step + 3000;
    while (step < cap && (await runOne()));
    quiesced = step < cap;
    if (!quiesced) violate('no-quiescence', `still busy after 3000 steps of quiescence (${sim.tasks.length} tasks; alarms: ${[...sim.objects.values()].filter((o) => o.committedAlarm !== null).map((o) => o.name).join(', ')})`);
    else {
      // At rest: the listing agrees with every instance, the results and
      // updates are those of the workflow, no instance is stuck.
      const listing = request('final list', 'GET', '?limit=1000');
      await sim.settle();
      while (await runOne());
      for (const a of answers) if (!a.done) violate('no-answer', `${a.label}: the client never got an answer`);
      if (stopNow()) throw new Violation('no answer');
      const answer = await listing;
      const listed = new Map(((answer.body && answer.body.workflows) || []).map((w) => [w.id, w]));
      if (answer.status !== 200) violate('listing-failed', `final listing answered ${answer.status}`);
      for (const inst of instances) {
        const obj = sim.objects.get(inst.id);
        const st = obj && obj.committed;
        if (!st) {
          if (listed.has(inst.id)) violate('listing-disagrees', `${inst.id}: listed (${listed.get(inst.id).status}) but does not exist`);
          continue;
        }
        const l = listed.get(inst.id);
        if (!l || l.status !== st.status || l.updatedAt !== st.updatedAt) {
          violate('listing-disagrees', `${inst.id}: instance is ${st.status} (updatedAt +${st.updatedAt - T0}) but the listing says ${l ? `${l.status} (updatedAt +${l.updatedAt - T0})` : 'nothing'}`);
        }
        if (st.status === 'running' || st.status === 'sleeping') violate('stuck', `${inst.id}: ${st.status} at rest with no alarm`);
        // A running marker at rest is a death not yet attributed. Only pause
        // and terminate leave one (they run no pass); the next pass, or none,
        // decides. Anywhere else the pass that saw the death should have
        // attributed it to the step.
        const running = st.status === 'paused' || st.status === 'terminated' ? [] : st.steps.filter((x) => x.status === 'running');
        const deathLimit = st.status === 'errored' && /crashed \d+ times in a row outside any step body/.test(st.error || '');
        if (running.length) violate(deathLimit ? 'deaths-limit-before-attribution' : 'running-at-rest', `${inst.id}: ${st.status} at rest with step(s) ${running.map((x) => `"${x.name}" (attempt ${x.attempts})`).join(', ')} still running`);
        // Every body of this instance kills the isolate: it can never
        // complete. (That crash detection ends the retries shows as
        // quiescence: without it the alarm's pass dies and retries forever.
        // Resting "waiting" is fine: the request whose pass died is undone.)
        if (inst === poisoned && poison === Infinity && obj.poisonKills > 0 && st.status === 'completed') {
          violate('poison-survived', `${inst.id}: every body kills the isolate, yet it completed`);
        }
        const def = TYPES[inst.type];
        if (st.status === 'completed') {
          if (def.result && !same(JSON.parse(st.result), def.result(inst.payload))) violate('result-wrong', `${inst.id}: result ${st.result}`);
          if (def.updates) {
            const want = def.updates(inst.payload);
            const got = st.updates.map((u) => [u.name, JSON.parse(u.data)]);
            if (!same(got, want)) violate('updates-wrong', `${inst.id}: persisted updates ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
          }
          for (const s of st.steps) {
            if (s.kind !== 'do') continue;
            const att = s.history.map((h) => h.attempt);
            if (!same(att, Array.from({ length: s.attempts - 1 }, (_, i) => i + 1))) {
              violate('attempts-history', `${inst.id}: step "${s.name}" completed at attempt ${s.attempts} with history attempts ${JSON.stringify(att)}`);
            }
          }
        }
      }
      const anyKill = [...sim.objects.values()].some((o) => o.kills > 0);
      for (const a of answers) {
        if (a.status === 'exception' && !anyKill) violate('unexpected-exception', `${a.label} threw ${a.error} though nothing died`);
        const obj = a.id && sim.objects.get(a.id);
        if (typeof a.status === 'number' && a.status >= 500 && (!obj || obj.kills + obj.traps === 0)) {
          violate('unexpected-5xx', `${a.label} answered ${a.status} ${JSON.stringify(a.body)} without a death or trap`);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof Violation)) { error = err; say(`SIMULATOR ERROR ${err && err.stack}`); }
  } finally {
    for (const inst of instances) {
      const o = sim.objects.get(inst.id);
      const st = o && o.committed;
      if (!st) { say(`end ${inst.id}: never created`); continue; }
      const steps = st.steps.map((x) => `${x.name}=${x.status}/${x.attempts}${x.history.length ? ` [${x.history.map((h) => `${h.attempt}:${/crashed/.test(h.error) ? 'crashed' : 'failed'}`).join(' ')}]` : ''}`);
      say(`end ${inst.id}: ${st.status}${st.deaths ? ` deaths=${st.deaths}` : ''} ${steps.join(', ')}; ${st.updates.length} updates; ${o.kills} kills, ${o.traps} traps`);
    }
    Object.assign(console, saved);
    sim.stop();
  }
  const objs = [...sim.objects.values()];
  const kills = objs.reduce((n, o) => n + o.kills, 0);
  const traps = objs.reduce((n, o) => n + o.traps, 0);
  const ends = {};
  let crashEntries = 0;
  for (const o of objs) {
    if (o.isShard || !o.committed) continue;
    ends[o.committed.status] = (ends[o.committed.status] || 0) + 1;
    crashEntries += crashes(o.committed);
  }
  const frames = sockets.reduce((n, c) => n + c.frames.length, 0);
  return {
    seed,
    ok: !error && violations.length === 0,
    error,
    violations,
    known,
    steps: step,
    ms: performance.now() - t0,
    hash: hash.toString(16),
    stats: { instances: nInstances, ops: opBudget - opsLeft, kills, traps, deathsSeen, carefulSeen, crashEntries, sockets: sockets.length, frames, ends },
    trace,
  };
}

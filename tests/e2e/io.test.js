// I/O steps end to end: the demo workflows http-call and http-parallel run in
// `wrangler dev` against a real HTTP server this file starts on loopback, and
// the server counts what actually arrived (attempts, idempotency keys,
// headers, overlap). No fetch is mocked anywhere.
//
// This file runs its own dev server (with the var DEMO_SECRET, and its own
// state directory so the secret can be looked for in the SQLite files), and
// kills its workerd once while a request is out.
import { createServer } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../support/devserver.js';
import { apiCaller } from '../support/api.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SECRET = 'sk_live_7f3c9a1e5b';

let server; // wrangler dev
let call;
let origin; // the test's HTTP server
let http;
const seen = []; // every request that arrived: {path, key, auth, at}
const counts = new Map();
let active = 0;
let maxActive = 0;
const hanging = [];

function count(path) {
  const n = (counts.get(path) || 0) + 1;
  counts.set(path, n);
  return n;
}

function handler(req, res) {
  const path = req.url;
  const n = count(path);
  seen.push({ path, key: req.headers['idempotency-key'], auth: req.headers.authorization, at: Date.now(), method: req.method });
  const json = (status, value, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', async () => {
    if (path.startsWith('/ok')) return json(200, { hello: 'world', got: body ? JSON.parse(body) : null });
    if (path.startsWith('/flaky')) return n <= 2 ? json(500, { n }) : json(200, { n });
    if (path.startsWith('/rate')) return n === 1 ? json(429, {}, { 'retry-after': '1' }) : json(200, { n });
    if (path.startsWith('/missing')) return json(404, { error: 'no such thing' });
    if (path.startsWith('/text')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('plain words');
    }
    if (path.startsWith('/big')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('x'.repeat(1536 * 1024));
    }
    if (path.startsWith('/secret')) return json(200, { ok: true });
    if (path.startsWith('/later')) {
      await sleep(6500);
      return json(200, { late: true });
    }
    if (path.startsWith('/slow')) {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(700);
      active--;
      return json(200, { i: Number(path.split('/')[2]) });
    }
    if (path.startsWith('/hang') || (path.startsWith('/kill') && n === 1)) {
      hanging.push(res); // answered never (the attempt times out or dies)
      return undefined;
    }
    if (path.startsWith('/kill')) return json(200, { n });
    if (path.startsWith('/charges')) {
      if (n === 1) { hanging.push(res); return undefined; }
      return json(200, { id: `ch_${req.headers['idempotency-key'].replace(/\W/g, '')}` });
    }
    return json(404, {});
  });
}

beforeAll(async () => {
  http = createServer(handler);
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${http.address().port}`;
  server = await startDevServer({ vars: { ABLAUF_TEST_HOOKS: '1', DEMO_SECRET: SECRET } });
  call = apiCaller(server.url);
}, 120000);

afterAll(async () => {
  for (const res of hanging) res.destroy();
  await server?.stop();
  await new Promise((r) => http.close(r));
}, 30000);

/** Polls the instance until it is no longer running. */
async function rest(id, timeout = 30000) {
  const until = Date.now() + timeout;
  for (;;) {
    const r = await call('GET', `/${id}`);
    if (r.body.status !== 'running' && r.body.status !== 'sleeping') return r.body;
    if (Date.now() > until) throw new Error(`${id} still ${r.body.status}: ${JSON.stringify(r.body)}`);
    await sleep(200);
  }
}

describe('fetch steps against a real server', () => {
  it('a JSON POST succeeds: the result is the response, the answer waited for it', async () => {
    const r = await call('POST', '', { type: 'http-call', id: 'io-ok', payload: { url: `${origin}/ok`, method: 'POST', body: { n: 1 } } });
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('completed');
    expect(r.body.result).toEqual({ status: 200, body: { hello: 'world', got: { n: 1 } } });
    const step = r.body.steps[0];
    expect(step).toMatchObject({ name: 'call', type: 'fetch', status: 'completed', attempts: 1 });
    expect(step.request).toEqual({ url: `${origin}/ok`, method: 'POST', body: { n: 1 } });
    expect(step.result.headers['content-type']).toBe('application/json');
    expect(seen.filter((s) => s.path === '/ok').map((s) => s.key)).toEqual(['io-ok/call']);
  });

  it('a text body stays text', async () => {
    const r = await call('POST', '', { type: 'http-call', id: 'io-text', payload: { url: `${origin}/text` } });
    expect(r.body.result).toEqual({ status: 200, body: 'plain words' });
  });

  it('500 twice, then 200: three attempts with the same Idempotency-Key', async () => {
    const r = await call('POST', '', { type: 'http-call', id: 'io-flaky', payload: { url: `${origin}/flaky` } });
    expect(r.status).toBe(201);
    const st = r.body.status === 'completed' ? r.body : await rest('io-flaky');
    expect(st.status).toBe('completed');
    expect(st.result).toEqual({ status: 200, body: { n: 3 } });
    expect(st.steps[0].attempts).toBe(3);
    expect(st.steps[0].retryHistory.map((h) => h.error)).toEqual([
      'HTTP 500 Internal Server Error from 127.0.0.1:' + new URL(origin).port,
      'HTTP 500 Internal Server Error from 127.0.0.1:' + new URL(origin).port,
    ]);
    const arrived = seen.filter((s) => s.path === '/flaky');
    expect(arrived.length).toBe(3);
    expect(new Set(arrived.map((s) => s.key))).toEqual(new Set(['io-flaky/call']));
  });

  it('429 with Retry-After: 1 waits at least a second before the retry', async () => {
    const r = await call('POST', '', { type: 'http-call', id: 'io-rate', payload: { url: `${origin}/rate` } });
    const st = r.body.status === 'completed' ? r.body : await rest('io-rate');
    expect(st.status).toBe('completed');
    const [a, b] = seen.filter((s) => s.path === '/rate');
    expect(b.at - a.at).toBeGreaterThanOrEqual(1000);
    expect(st.steps[0].attempts).toBe(2);
  });

  it('404 fails the step after one attempt, naming the status and host', async () => {
    const r = await call('POST', '', { type: 'http-call', id: 'io-404', payload: { url: `${origin}/missing` } });
    expect(r.body.status).toBe('errored');
    expect(r.body.errorCode).toBe('STEP_FAILED');
    expect(r.body.error).toBe(`Step "call" failed: HTTP 404 Not Found from 127.0.0.1:${new URL(origin).port}`);
    expect(r.body.steps[0].attempts).toBe(1);
    expect(seen.filter((s) => s.path === '/missing').length).toBe(1);
  });

  it('a body over 1 MiB fails the step for good', async () => {
    const r = await call('POST', '', { type: 'http-call', id: 'io-big', payload: { url: `${origin}/big` } });
    expect(r.body.status).toBe('errored');
    expect(r.body.errorCode).toBe('STEP_FAILED');
    expect(r.body.error).toContain('exceeds the step result size limit of 1 MiB');
    expect(seen.filter((s) => s.path === '/big').length).toBe(1);
  });

  it('a hanging server: each attempt times out, the message says after how long', async () => {
    const t0 = Date.now();
    const r = await call('POST', '', { type: 'http-call', id: 'io-hang', payload: { url: `${origin}/hang`, timeout: '1s' } });
    const st = r.body.status === 'errored' ? r.body : await rest('io-hang');
    expect(st.status).toBe('errored');
    expect(st.errorCode).toBe('STEP_RETRY_EXHAUSTED');
    expect(st.error).toBe('Step "call" failed after 3 attempts: Step "call" timed out after 1s');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
    expect(seen.filter((s) => s.path === '/hang').length).toBe(3);
  });

  it('after 5 s of I/O in flight the answer is "running" and the instance goes on alone', async () => {
    const t0 = Date.now();
    const r = await call('POST', '', { type: 'http-call', id: 'io-long', payload: { url: `${origin}/later`, timeout: '20s' } });
    const took = Date.now() - t0;
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('running');
    expect(r.body.steps[0]).toMatchObject({ status: 'running', attempts: 1 });
    expect(took).toBeGreaterThanOrEqual(4500); // it waited for rest first; "running" shows it did not wait for the answer
    // listed while it runs (the listing learns of a create at once)
    const listed = (await call('GET', '?status=running&limit=1000')).body.workflows.map((w) => w.id);
    expect(listed).toContain('io-long');
    const st = await rest('io-long'); // on its own: nobody asks it to go on
    expect(st.status).toBe('completed');
    expect(st.result).toEqual({ status: 200, body: { late: true } });
    expect(seen.filter((s) => s.path === '/later').length).toBe(1);
  });

  it('a secret header reaches the server and appears nowhere else', async () => {
    const payload = { url: `${origin}/secret`, headers: { authorization: 'Bearer {{DEMO_SECRET}}' } };
    const r = await call('POST', '', { type: 'http-call', id: 'io-secret', payload });
    expect(r.body.status).toBe('completed');
    const arrived = seen.filter((s) => s.path === '/secret');
    expect(arrived.map((s) => s.auth)).toEqual([`Bearer ${SECRET}`]);
    const answers = [
      JSON.stringify(r.body),
      JSON.stringify((await call('GET', '/io-secret')).body),
      JSON.stringify((await call('GET', '/io-secret/timeline')).body),
      JSON.stringify((await call('GET', '?limit=1000')).body),
      JSON.stringify((await call('GET', '/io-secret/export')).body),
    ];
    for (const a of answers) expect(a).not.toContain(SECRET);
    expect(answers[1]).toContain('Bearer {{DEMO_SECRET}}');
    expect(answers[4]).toContain('{{DEMO_SECRET}}');
    // the SQLite files on disk
    const files = [];
    const walk = (d) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(server.persist);
    const sqlite = files.filter((f) => /\.sqlite(-wal|-shm)?$/.test(f));
    expect(sqlite.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(f).includes(Buffer.from(SECRET)), f).toBe(false);
  });

  it('an undeclared placeholder fails the step before anything is sent', async () => {
    const before = seen.length;
    const r = await call('POST', '', { type: 'http-call', id: 'io-undeclared', payload: { url: `${origin}/ok?{{OTHER}}` } });
    expect(r.body.status).toBe('errored');
    expect(r.body.error).toBe('Step "call" failed: invalid request: secret "OTHER" is not declared by workflow "http-call" (list it in the definition\'s secrets)');
    expect(seen.length).toBe(before);
  });

  it('5 parallel requests overlap on the server and come back in order', async () => {
    const urls = [0, 1, 2, 3, 4].map((i) => `${origin}/slow/${i}`);
    maxActive = 0;
    const r = await call('POST', '', { type: 'http-parallel', id: 'io-par', payload: { urls } });
    const st = r.body.status === 'completed' ? r.body : await rest('io-par');
    expect(st.status).toBe('completed');
    expect(maxActive).toBeGreaterThanOrEqual(5);
    expect(st.result).toEqual({ statuses: [200, 200, 200, 200, 200], bodies: [0, 1, 2, 3, 4].map((i) => ({ i })) });
    // the timeline shows them overlapping
    const tl = (await call('GET', '/io-par/timeline')).body.timeline;
    expect(tl.length).toBe(5);
    const ends = tl.map((e) => e.startedAt + e.duration);
    expect(Math.max(...tl.map((e) => e.startedAt))).toBeLessThan(Math.min(...ends));
  });

  it('concurrent creates with I/O: every instance completes once', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `io-many-${i}`);
    const rs = await Promise.all(ids.map((id) => call('POST', '', { type: 'http-call', id, payload: { url: `${origin}/ok/${id}` } })));
    for (const r of rs) expect([200, 201]).toContain(r.status);
    for (const id of ids) {
      const st = await rest(id);
      expect(st.status).toBe('completed');
      expect(seen.filter((s) => s.path === `/ok/${id}`).length).toBe(1);
    }
  });
});

describe('concurrent requests to one instance while its request is out', () => {
  it('GETs, bad events, pause and resume interleave with the outcome: no false crash, one request sent', async () => {
    const created = call('POST', '', { type: 'http-call', id: 'io-busy', payload: { url: `${origin}/later?busy`, timeout: '20s' } });
    const until = Date.now() + 10000;
    while (!seen.some((s) => s.path === '/later?busy')) {
      if (Date.now() > until) throw new Error('the request never arrived');
      await sleep(20);
    }
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () => call('GET', '/io-busy')),
      ...Array.from({ length: 5 }, () => call('POST', '/io-busy/events/nope', {})),
      call('POST', '/io-busy/pause'),
    ]);
    for (const r of answers.slice(0, 20)) {
      expect(r.status).toBe(200);
      expect(r.body.steps[0]).toMatchObject({ status: 'running', attempts: 1 });
    }
    for (const r of answers.slice(20, 25)) expect(r.body.error.code).toBe('EVENT_INVALID');
    expect(answers[25].body.status).toBe('paused');
    const resumed = await call('POST', '/io-busy/resume');
    expect(resumed.status).toBe(200);
    expect((await created).status).toBe(201);
    const st = await rest('io-busy');
    expect(st.status).toBe('completed');
    expect(st.steps[0].attempts).toBe(1);
    expect(st.steps[0].retryHistory).toBeNull();
    expect(seen.filter((s) => s.path === '/later?busy').length).toBe(1);
  });
});

describe('a crash while a request is out', () => {
  it('SIGKILL of workerd mid-request: the attempt is retried with the same key and the instance completes', async () => {
    const done = call('POST', '', { type: 'http-call', id: 'io-kill', payload: { url: `${origin}/kill`, timeout: '3s' } })
      .catch((err) => ({ error: err }));
    const until = Date.now() + 20000;
    while (!seen.some((s) => s.path === '/kill')) {
      if (Date.now() > until) throw new Error('the request never arrived');
      await sleep(50);
    }
    await server.kill();
    await done; // the proxy answers it 503, or it fails: either way it is gone
    await server.restart();
    const st = await rest('io-kill', 45000);
    expect(st.status).toBe('completed');
    expect(st.result).toEqual({ status: 200, body: { n: 2 } });
    expect(st.steps[0].attempts).toBe(2);
    expect(st.steps[0].retryHistory[0].error).toBe('crashed: the isolate died or the engine trapped while the request was out');
    const arrived = seen.filter((s) => s.path === '/kill');
    expect(arrived.length).toBe(2);
    expect(arrived.map((s) => s.key)).toEqual(['io-kill/call', 'io-kill/call']);
    // completed steps were not sent again
    expect(seen.filter((s) => s.path === '/ok').length).toBe(1);
  }, 90000);
});

describe('the charge-and-receipt walkthrough of docs/writing-workflows.md', () => {
  it('charge held, worker killed, restarted: charged once more with the same key, receipt filed once', async () => {
    const t0 = Date.now();
    const first = await call('POST', '', { type: 'charge-receipt', id: 'order-1', payload: { paymentUrl: `${origin}/charges`, amount: 4200 } });
    expect(first.status).toBe(201);
    expect(first.body.status).toBe('running'); // answered after 5 s, the charge still out
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4500);
    expect(first.body.steps[0]).toMatchObject({ name: 'charge', type: 'fetch', status: 'running', attempts: 1 });
    expect(first.body.steps[0].request.headers.authorization).toBe('Bearer {{DEMO_SECRET}}');
    const held = seen.filter((s) => s.path === '/charges');
    expect(held.map((s) => [s.key, s.auth])).toEqual([['order-1/charge', `Bearer ${SECRET}`]]);
    await server.kill();
    await server.restart();
    const st = await rest('order-1', 60000);
    expect(st.status).toBe('completed');
    expect(st.result).toEqual({ charge: 'ch_order1charge', receipt: true });
    const [charge, receipt] = st.steps;
    expect(charge).toMatchObject({ type: 'fetch', status: 'completed', attempts: 2 });
    expect(charge.retryHistory[0].error).toBe('crashed: the isolate died or the engine trapped while the request was out');
    expect(receipt).toMatchObject({ name: 'receipt', type: 'call', status: 'completed', attempts: 1 });
    expect(seen.filter((s) => s.path === '/charges').map((s) => s.key)).toEqual(['order-1/charge', 'order-1/charge']);
    // the queue's consumer filed the receipt; read it back with the built-in kv.get
    let filed = null;
    for (let i = 0; i < 50 && filed === null; i++) {
      const r = await call('POST', '', { type: 'activity-steps', id: `read-receipt-${i}`, payload: { calls: [{ activity: 'kv.get', args: { binding: 'DEMO_KV', key: 'receipt:order-1', type: 'json' } }] } });
      filed = r.body.result.results[0];
      if (filed === null) await sleep(200);
    }
    expect(filed).toEqual({ order: 'order-1', charge: 'ch_order1charge', amount: 4200 });
  }, 120000);
});

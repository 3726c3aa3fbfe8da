// Large instances over real HTTP against wrangler dev: a pass's memory is
// bounded whatever its number of steps (it commits and continues in chunks),
// Status and timeline are paged, and a value that would pass SQLite's 2 MB row
// limit is refused with the result size limit instead of a storage error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller } from '../support/api.js';
import { startDevServer } from '../support/devserver.js';


// A wrangler dev of its own: the minute-long work of these instances must not
// share a server (and its local proxy's connections) with every other test.
let server;
let call;
beforeAll(async () => {
  server = await startDevServer();
  call = apiCaller(server.url);
}, 120000);
afterAll(async () => { await server?.stop(); });

/** The demo benchmark's checksum for n steps of `work` xorshift rounds. */
function checksum(n, work) {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let x = (Math.imul(i, 2654435761) + 1) >>> 0;
    for (let k = 0; k < work; k++) {
      x = (x ^ (x << 13)) >>> 0;
      x = (x ^ (x >>> 17)) >>> 0;
      x = (x ^ (x << 5)) >>> 0;
    }
    sum = (sum + x) >>> 0;
  }
  return sum;
}

describe('large instances', () => {
  it('a 100,000-step benchmark completes within its create, and its Status and timeline page', async () => {
    const id = `scale-${Date.now()}`;
    const t0 = Date.now();
    const c = await call('POST', '', { type: 'benchmark', id, payload: { steps: 100000, work: 1 } });
    const ms = Date.now() - t0;
    expect(c.status).toBe(201);
    // The create settles for at most 20 s; past that it answers running and
    // the alarm finishes the work.
    let s = c.body;
    for (let i = 0; i < 120 && s.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      s = (await call('GET', `/${id}`)).body;
    }
    console.log(`[scale] 100,000 steps: create answered ${c.body.status} after ${ms} ms`);
    expect(s.status).toBe('completed');
    expect(s.result).toEqual({ steps: 100000, checksum: checksum(100000, 1) });
    console.log(`[scale] steps ${s.steps.length}, status ${s.status}`);
    expect(s.steps.length).toBe(1000);
    expect(s.stepsNext).toBe('1000');
    // the last page
    const last = await call('GET', `/${id}?stepsCursor=99000`);
    expect(last.status).toBe(200);
    expect(last.body.steps.length).toBe(1000);
    expect(last.body.steps.at(-1).name).toBe('step-99999');
    expect(last.body.stepsNext).toBeUndefined();
    expect(last.body.steps.every((x) => x.attempts === 1 && x.retryHistory === null)).toBe(true);
    const tl = await call('GET', `/${id}/timeline`);
    expect(tl.status).toBe(200);
    expect(tl.body.timeline.length).toBe(1000);
    const next = await call('GET', `/${id}/timeline?cursor=${encodeURIComponent(tl.body.next)}`);
    expect(next.body.timeline[0].name).toBe('step-1000');
    expect((await call('GET', `/${id}/timeline?cursor=nope`)).status).toBe(400);
  }, 180000);

  it('live-progress with 8,000 steps answers at rest and delivers every update', async () => {
    const id = `scale-lp-${Date.now()}`;
    const c = await call('POST', '', { type: 'live-progress', id, payload: { steps: 8000 } });
    expect(c.status).toBe(201);
    const e = await call('POST', `/${id}/events/go`, {});
    expect(e.status).toBe(202);
    let s = e.body.status;
    for (let i = 0; i < 60 && s.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      s = (await call('GET', `/${id}`)).body;
    }
    expect(s.status).toBe('completed');
    const u = await call('GET', `/${id}/updates`);
    expect(u.body.updates.length).toBe(4001); // an emit on every even step, then done
    expect(u.body.updates.map((x) => x.seq)).toEqual(Array.from({ length: 4001 }, (_, i) => i + 1));
  }, 120000);

  it('a create whose result would pass the row limit fails with the result size limit, never a storage error', async () => {
    const id = `scale-big-${Date.now()}`;
    const c = await call('POST', '', { type: 'echo', id, payload: { message: 'x'.repeat(740000) } });
    expect(c.status).toBe(201);
    expect(c.body.status).toBe('errored');
    expect(c.body.errorCode).toBe('VALIDATION_ERROR');
    expect(c.body.error).toContain('result size limit');
    expect(c.body.payload.message.length).toBe(740000);
    const ok = await call('POST', '', { type: 'echo', id: `${id}-ok`, payload: { message: 'y'.repeat(500000) } });
    expect(ok.body.status).toBe('completed');
    expect((await call('GET', `/${id}-ok`)).body.result.echoed).toBe('y'.repeat(500000));
  }, 60000);
});

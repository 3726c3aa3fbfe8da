// api.test.js — the foundation of the HTTP API (SPEC §2, §4, §5, §9).
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  BASE, ORIGIN, api, create, created, expectError, expectStatusShape, getStatus, statusOf, stepOf,
  timeline, uid,
} from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

describe('create and status', () => {
  it('creates an echo instance that completes in the create request', async () => {
    const id = uid('echo');
    const res = await create('echo', id, { message: 'hello' });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const s = expectStatusShape(res.body);
    expect(s.id).toBe(id);
    expect(s.type).toBe('echo');
    expect(s.status).toBe('completed');
    expect(s.payload).toEqual({ message: 'hello' });
    expect(s.result).toEqual({ original: 'hello', echoed: 'hello' });
    expect(s.error).toBeNull();
    expect(s.errorCode).toBeNull();
    expect(s.steps).toHaveLength(1);
    const step = s.steps[0];
    expect(step).toMatchObject({ name: 'echo', type: 'do', status: 'completed', attempts: 1, result: 'hello', error: null, wakeAt: null, retryHistory: null });
    expect(step.startedAt).toBeGreaterThan(0);
    expect(step.completedAt).toBeGreaterThanOrEqual(step.startedAt);
    expect(step.duration).toBeGreaterThanOrEqual(0);
  });

  it('generates a UUID id when the id is omitted', async () => {
    const res = await create('echo', undefined, { message: 'anon' });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(UUID);
    expect(res.body.result).toEqual({ original: 'anon', echoed: 'anon' });
    const again = await statusOf(res.body.id);
    expect(again.status).toBe('completed');
    expect(again.id).toBe(res.body.id);

    const other = await create('echo', undefined, { message: 'anon' });
    expect(other.status).toBe(201);
    expect(other.body.id).toMatch(UUID);
    expect(other.body.id).not.toBe(res.body.id);
  });

  it('is idempotent for the same id and type (200, same instance, not re-run)', async () => {
    const id = uid('idem');
    const first = await created('echo', id, { message: 'one' });
    const second = await create('echo', id, { message: 'two' });
    expect(second.status).toBe(200);
    expectStatusShape(second.body);
    expect(second.body.id).toBe(id);
    expect(second.body.payload).toEqual({ message: 'one' });
    expect(second.body.result).toEqual({ original: 'one', echoed: 'one' });
    expect(second.body.createdAt).toBe(first.createdAt);
    expect(second.body.updatedAt).toBe(first.updatedAt);
    expect(second.body.steps[0].attempts).toBe(1);
  });

  it('answers 409 WORKFLOW_ALREADY_EXISTS for an existing id with another type', async () => {
    const id = uid('exists');
    const first = await created('echo', id, { message: 'x' });
    const res = await create('multi-step', id, { value: 1 });
    const e = expectError(res, 'WORKFLOW_ALREADY_EXISTS');
    expect(e.message).toContain(id);
    const after = await statusOf(id);
    expect(after.type).toBe('echo');
    expect(after.updatedAt).toBe(first.updatedAt);
    expect(after.result).toEqual({ original: 'x', echoed: 'x' });
  });

  it('answers 400 WORKFLOW_TYPE_UNKNOWN for an unregistered type and stores nothing', async () => {
    const id = uid('unknown-type');
    const res = await create('no-such-type', id, {});
    const e = expectError(res, 'WORKFLOW_TYPE_UNKNOWN');
    expect(e.message).toContain('no-such-type');
    const get = await getStatus(id);
    expect(expectError(get, 'WORKFLOW_NOT_FOUND').message).toBe(`Workflow "${id}" not found`);
  });

  it('answers 404 WORKFLOW_NOT_FOUND with the real id on every {id} route', async () => {
    const id = uid('missing');
    const routes = [
      ['GET', ''], ['GET', '/timeline'], ['POST', '/pause'], ['POST', '/resume'],
      ['POST', '/terminate'], ['POST', '/_advance'], ['GET', '/updates'],
    ];
    for (const [method, sub] of routes) {
      const res = await api(method, `/workflows/${id}${sub}`);
      const e = expectError(res, 'WORKFLOW_NOT_FOUND');
      expect(e.message, `${method} ${sub}`).toBe(`Workflow "${id}" not found`);
    }
    const ev = await api('POST', `/workflows/${id}/events/approval`, { approved: true });
    expect(expectError(ev, 'WORKFLOW_NOT_FOUND').message).toBe(`Workflow "${id}" not found`);
  });

  it('serves GET status with every field of SPEC §4 for a multi-step instance', async () => {
    const id = uid('multi');
    const res = await create('multi-step', id, { value: 5 });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('completed');
    expect(res.body.result).toEqual({ a: 6, b: 12, c: 22, d: 'result:22' });
    const s = expectStatusShape(await statusOf(id));
    expect(s).toEqual(res.body);
    expect(s.steps.map((x) => x.name)).toEqual(['step-a', 'step-b', 'step-c', 'step-d']);
    expect(s.steps.map((x) => x.result)).toEqual([6, 12, 22, 'result:22']);
    for (const st of s.steps) {
      expect(st).toMatchObject({ type: 'do', status: 'completed', attempts: 1, error: null, wakeAt: null, retryHistory: null });
    }
  });

  it('runs no-schema with an omitted payload', async () => {
    const id = uid('noschema');
    const res = await api('POST', '/workflows', { type: 'no-schema', id });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('completed');
    expect(res.body.result).toBe('done');
    expect(stepOf(res.body, 'noop')).toMatchObject({ status: 'completed', result: 'done', attempts: 1 });
  });

  it('runs benchmark deterministically across two instances', async () => {
    const payload = { steps: 25, work: 1000 };
    const a = await created('benchmark', uid('bench-a'), payload);
    const b = await created('benchmark', uid('bench-b'), payload);
    expect(a.status).toBe('completed');
    expect(b.status).toBe('completed');
    expect(a.result.steps).toBe(25);
    expect(Number.isInteger(a.result.checksum)).toBe(true);
    expect(a.result).toEqual(b.result);
    expect(a.steps).toHaveLength(25);
    const other = await created('benchmark', uid('bench-c'), { steps: 25, work: 1001 });
    expect(other.result.steps).toBe(25);
    expect(other.result.checksum).not.toBe(a.result.checksum);
  });

  it('serves the timeline shape', async () => {
    const id = uid('tl-shape');
    await created('multi-step', id, { value: 1 });
    const res = await timeline(id);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['id', 'status', 'timeline', 'type']);
    expect(res.body).toMatchObject({ id, type: 'multi-step', status: 'completed' });
    for (const t of res.body.timeline) {
      expect(Object.keys(t).sort()).toEqual(['attempts', 'duration', 'error', 'name', 'retryHistory', 'startedAt', 'status', 'type'].sort());
    }
  });
});

const DEMO_TYPES = {
  echo: { events: [], updates: [] },
  test: { events: ['approval'], updates: [] },
  'multi-step': { events: [], updates: [] },
  'failing-step': { events: [], updates: [] },
  'backoff-config': { events: [], updates: [] },
  'non-retriable': { events: [], updates: [] },
  'duplicate-step': { events: [], updates: [] },
  'multi-event': { events: ['first-approval', 'second-approval'], updates: [] },
  'replay-counter': { events: ['continue'], updates: [] },
  'sleep-until-test': { events: [], updates: [] },
  'size-limit': { events: [], updates: [] },
  'size-limit-retry': { events: [], updates: [] },
  'sse-test': { events: [], updates: ['progress', 'done'] },
  'live-progress': { events: ['go'], updates: ['progress', 'done'] },
  'crash-once': { events: [], updates: [] },
  'no-schema': { events: [], updates: [] },
  benchmark: { events: [], updates: [] },
};

describe('GET /__ablauf/types', () => {
  it('lists every demo workflow with its input, event and update schemas', async () => {
    const res = await api('GET', '/types');
    expect(res.status).toBe(200);
    const types = res.body.types;
    expect(Array.isArray(types)).toBe(true);
    const byName = Object.fromEntries(types.map((t) => [t.type, t]));
    // Every workflow of SPEC §9 is registered (a deployment may add more).
    for (const name of Object.keys(DEMO_TYPES)) expect(Object.keys(byName)).toContain(name);
    expect(types.length).toBe(Object.keys(byName).length); // no duplicates
    for (const [name, want] of Object.entries(DEMO_TYPES)) {
      const t = byName[name];
      for (const k of ['type', 'input', 'events', 'updates']) expect(t, name).toHaveProperty(k);
      expect(t.input).toBeTypeOf('object');
      expect(Object.keys(t.events).sort(), name).toEqual([...want.events].sort());
      expect(Object.keys(t.updates).sort(), name).toEqual([...want.updates].sort());
      for (const s of [...Object.values(t.events), ...Object.values(t.updates)]) expect(s).toBeTypeOf('object');
    }
    expect(byName.echo.input).toMatchObject({ type: 'object', required: ['message'], properties: { message: { type: 'string' } } });
    expect(byName.test.input).toMatchObject({ type: 'object', required: ['name'], properties: { name: { type: 'string' } } });
    expect(byName.test.events.approval).toMatchObject({ type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' } } });
    expect(byName['multi-event'].events['first-approval']).toMatchObject({ properties: { ok: { type: 'boolean' } } });
    expect(byName['sse-test'].updates.progress).toMatchObject({ properties: { percent: { type: 'number' } } });
    expect(byName['sse-test'].updates.done).toMatchObject({ properties: { message: { type: 'string' } } });
    expect(byName['live-progress'].updates.progress).toMatchObject({ properties: { step: { type: 'integer' } } });
    expect(byName['live-progress'].updates.done).toMatchObject({ properties: { total: { type: 'integer' } } });
    expect(byName['backoff-config'].input.properties.strategy).toMatchObject({ enum: ['fixed', 'linear', 'exponential'] });
    expect(byName.benchmark.input.properties.steps).toMatchObject({ type: 'integer', minimum: 1, maximum: 100000 });
  });

  it('answers 405 for POST /__ablauf/types', async () => {
    expectError(await api('POST', '/types', {}), 'METHOD_NOT_ALLOWED');
  });
});

describe('routing', () => {
  it('answers unknown routes with 404 RESOURCE_NOT_FOUND', async () => {
    for (const path of ['/nope', '/workflows/x/nope', '/workflows/x/events', '/workflows/x/events/a/b', '/typesx']) {
      expectError(await api('GET', path), 'RESOURCE_NOT_FOUND');
    }
    for (const url of [`${ORIGIN}/`, `${ORIGIN}/other/path`, `${ORIGIN}/__ablaufx`]) {
      const res = await SELF.fetch(url);
      expect(res.status, url).toBe(404);
      const body = await res.json();
      expect(body.error).toMatchObject({ code: 'RESOURCE_NOT_FOUND', status: 404 });
    }
    // a browser asking for the bare origin is sent to the dashboard
    const res = await SELF.fetch(`${ORIGIN}/`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${ORIGIN}/__ablauf/`);
  });

  it('serves the dashboard and client.js gzipped to a client that accepts gzip, inflated to one that does not', async () => {
    for (const [path, type, marker] of [['/__ablauf/', 'text/html', '<title>Ablauf dashboard</title>'],
      ['/__ablauf/client.js', 'text/javascript', 'createAblaufClient']]) {
      const plain = await SELF.fetch(`${ORIGIN}${path}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.status).toBe(200);
      expect(plain.headers.get('content-type')).toContain(type);
      expect(plain.headers.get('content-encoding')).toBeNull();
      const text = await plain.text();
      expect(text).toContain(marker);
      const zipped = await SELF.fetch(`${ORIGIN}${path}`, { headers: { 'accept-encoding': 'gzip, br' } });
      expect(zipped.status).toBe(200);
      expect(zipped.headers.get('vary')).toBe('accept-encoding');
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      // the runtime inflates it on the way to this test (a browser does the same)
      const bytes = new Uint8Array(await zipped.arrayBuffer());
      const inflated = bytes[0] === 0x1f && bytes[1] === 0x8b
        ? await new Response(new Response(bytes).body.pipeThrough(new DecompressionStream('gzip'))).text()
        : new TextDecoder().decode(bytes);
      expect(inflated).toBe(text);
    }
  });

  it('answers a known route with the wrong method with 405 METHOD_NOT_ALLOWED', async () => {
    const id = uid('method');
    const cases = [
      ['DELETE', '/workflows'], ['PUT', '/workflows'], ['POST', `/workflows/${id}`],
      ['DELETE', `/workflows/${id}`], ['POST', `/workflows/${id}/timeline`], ['GET', `/workflows/${id}/pause`],
      ['GET', `/workflows/${id}/resume`], ['GET', `/workflows/${id}/terminate`], ['GET', `/workflows/${id}/events/approval`],
      ['POST', `/workflows/${id}/updates`], ['GET', `/workflows/${id}/_advance`],
    ];
    for (const [method, path] of cases) {
      const res = await SELF.fetch(`${BASE}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      const body = await res.json();
      expect(body.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', status: 405 });
    }
    // A wrong method stored nothing.
    expectError(await getStatus(id), 'WORKFLOW_NOT_FOUND');
  });
});

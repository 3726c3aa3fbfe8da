// helpers.js — shared helpers of the workerd integration tier. Every request
// goes through the real worker (SELF.fetch) unless a test calls `handle`
// itself; time is driven with the _advance test hook, never with real waits.
import { SELF, env, runInDurableObject } from 'cloudflare:test';
import { expect } from 'vitest';

export const ORIGIN = 'https://ablauf.test';
export const BASE = `${ORIGIN}/__ablauf`;

export const ERROR_STATUS = {
  WORKFLOW_NOT_FOUND: 404,
  WORKFLOW_ALREADY_EXISTS: 409,
  WORKFLOW_TYPE_UNKNOWN: 400,
  VALIDATION_ERROR: 400,
  EVENT_INVALID: 400,
  WORKFLOW_NOT_RUNNING: 409,
  STEP_FAILED: 500,
  STEP_RETRY_EXHAUSTED: 500,
  EVENT_TIMEOUT: 408,
  UPDATE_TIMEOUT: 408,
  RESOURCE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNAUTHORIZED: 401,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL_ERROR: 500,
};

/** A fresh instance id: storage persists across the tests of one file. */
export function uid(prefix = 'wf') {
  return `${prefix}-${crypto.randomUUID()}`;
}

async function parse(res) {
  const text = await res.text();
  let body = text;
  try { body = text === '' ? null : JSON.parse(text); } catch { /* not JSON: keep the text */ }
  return { status: res.status, headers: res.headers, body, text };
}

/**
 * One API request through the worker. `body` is JSON-encoded unless it is
 * already a string (for malformed bodies); `path` is relative to /__ablauf.
 */
export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!('content-type' in init.headers)) init.headers['content-type'] = 'application/json';
  }
  const res = await parse(await SELF.fetch(`${BASE}${path}`, init));
  if (method !== 'GET') touch(path, res);
  return res;
}

// The instance's listing entry travels after the answer of a change
// (runner.js deliverLater): list() waits for the instances changed so far,
// so a test reads its own writes.
const touched = new Set();

function touch(path, res) {
  const m = /^\/workflows\/([^/?]+)/.exec(path);
  const id = m ? decodeURIComponent(m[1]) : res.body && typeof res.body === 'object' ? res.body.id : null;
  if (typeof id === 'string') touched.add(id);
}

/** Waits until every instance a request changed has delivered its listing entry. */
export async function delivered() {
  const ids = [...touched];
  touched.clear();
  await Promise.all(ids.map(async (id) => {
    try {
      await runInDurableObject(stubOf(id), (o) => idle(o));
    } catch { /* a name no object can have (a bad-input test's id): nothing to wait for */ }
  }));
}

/** Same as api() but through `handle(request, env)` with a custom env. */
export async function viaHandle(handle, customEnv, method, path, { body, headers = {}, query = '' } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await handle(new Request(`${BASE}${path}${query}`, init), customEnv);
  if (res.status === 101) return { status: 101, headers: res.headers, body: null, webSocket: res.webSocket };
  const out = await parse(res);
  if (method !== 'GET') touch(path, out);
  return out;
}

export const enc = encodeURIComponent;

export function create(type, id, payload) {
  const body = { type };
  if (id !== undefined) body.id = id;
  if (payload !== undefined) body.payload = payload;
  return api('POST', '/workflows', body);
}

export const getStatus = (id) => api('GET', `/workflows/${enc(id)}`);
export const timeline = (id) => api('GET', `/workflows/${enc(id)}/timeline`);
export const advance = (id) => api('POST', `/workflows/${enc(id)}/_advance`);
export const pause = (id) => api('POST', `/workflows/${enc(id)}/pause`);
export const resume = (id) => api('POST', `/workflows/${enc(id)}/resume`);
export const terminate = (id) => api('POST', `/workflows/${enc(id)}/terminate`);
export const sendEvent = (id, event, payload) =>
  api('POST', `/workflows/${enc(id)}/events/${enc(event)}`, payload);

export async function list(query = {}) {
  await delivered();
  const q = new URLSearchParams(query).toString();
  return api('GET', `/workflows${q ? `?${q}` : ''}`);
}

/** Creates an instance and asserts the 201. */
export async function created(type, id, payload) {
  const res = await create(type, id, payload);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** _advance and assert the 200. */
export async function advanced(id) {
  const res = await advance(id);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function statusOf(id) {
  const res = await getStatus(id);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export function stepOf(status, name) {
  const s = status.steps.find((x) => x.name === name);
  expect(s, `step "${name}" in ${JSON.stringify(status.steps.map((x) => x.name))}`).toBeDefined();
  return s;
}

/** Asserts the SPEC §5 error body and returns the inner error. */
export function expectError(res, code, status = ERROR_STATUS[code]) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  expect(res.body).toBeTypeOf('object');
  expect(Object.keys(res.body)).toEqual(['error']);
  const e = res.body.error;
  for (const k of Object.keys(e)) expect(['code', 'message', 'status', 'source', 'details']).toContain(k);
  expect(e.code).toBe(code);
  expect(e.status).toBe(status);
  expect(typeof e.message).toBe('string');
  expect(e.message.length).toBeGreaterThan(0);
  expect(['api', 'engine', 'step', 'validation']).toContain(e.source);
  if ('details' in e) expect(e.details).toBeTypeOf('object');
  return e;
}

/** Asserts a validation issue list: [{path: [...], message}], non-empty. */
export function expectIssues(issues) {
  expect(Array.isArray(issues)).toBe(true);
  expect(issues.length).toBeGreaterThan(0);
  for (const i of issues) {
    expect(Array.isArray(i.path)).toBe(true);
    expect(typeof i.message).toBe('string');
  }
  return issues;
}

/** The instance does not exist: GET answers 404 with the SPEC message. */
export async function expectNotStored(id) {
  const res = await getStatus(id);
  const e = expectError(res, 'WORKFLOW_NOT_FOUND');
  expect(e.message).toBe(`Workflow "${id}" not found`);
}

export const STATUS_KEYS = ['id', 'type', 'status', 'payload', 'result', 'error', 'errorCode', 'steps', 'createdAt', 'updatedAt'];
export const STEP_KEYS = ['name', 'type', 'status', 'attempts', 'result', 'error', 'startedAt', 'completedAt', 'duration', 'wakeAt', 'retryHistory'];
export const INSTANCE_STATUSES = ['running', 'sleeping', 'waiting', 'paused', 'completed', 'errored', 'terminated'];
export const AT_REST = ['completed', 'sleeping', 'waiting', 'paused', 'errored'];

const timeOrNull = (v) => v === null || (Number.isFinite(v) && v >= 0);

/** Asserts every field of SPEC §4 Status and StepInfo. */
export function expectStatusShape(s) {
  expect(Object.keys(s).sort()).toEqual([...STATUS_KEYS].sort());
  expect(typeof s.id).toBe('string');
  expect(typeof s.type).toBe('string');
  expect(INSTANCE_STATUSES).toContain(s.status);
  expect(s.error === null || typeof s.error === 'string').toBe(true);
  expect(s.errorCode === null || (typeof s.errorCode === 'string' && s.errorCode in ERROR_STATUS)).toBe(true);
  expect(Number.isFinite(s.createdAt)).toBe(true);
  expect(Number.isFinite(s.updatedAt)).toBe(true);
  expect(s.updatedAt).toBeGreaterThanOrEqual(s.createdAt);
  if (s.status !== 'completed') expect(s.result).toBeNull();
  expect(Array.isArray(s.steps)).toBe(true);
  for (const st of s.steps) {
    const io = st.type === 'fetch' || st.type === 'call'; // I/O steps also show their request
    expect(Object.keys(st).sort()).toEqual([...STEP_KEYS, ...(io ? ['request'] : [])].sort());
    expect(typeof st.name).toBe('string');
    expect(['do', 'sleep', 'sleep_until', 'wait_for_event', 'fetch', 'call']).toContain(st.type);
    expect(['running', 'completed', 'failed', 'sleeping', 'waiting']).toContain(st.status);
    expect(Number.isInteger(st.attempts)).toBe(true);
    expect(st.error === null || typeof st.error === 'string').toBe(true);
    for (const k of ['startedAt', 'completedAt', 'duration', 'wakeAt']) expect(timeOrNull(st[k]), k).toBe(true);
    if (st.retryHistory !== null) {
      expect(Array.isArray(st.retryHistory)).toBe(true);
      for (const h of st.retryHistory) {
        expect(Object.keys(h).sort()).toEqual(['attempt', 'duration', 'error', 'timestamp']);
        expect(Number.isInteger(h.attempt)).toBe(true);
        expect(typeof h.error).toBe('string');
        expect(Number.isFinite(h.timestamp)).toBe(true);
        expect(Number.isFinite(h.duration)).toBe(true);
      }
    }
  }
  return s;
}

/** The Durable Object stub of an instance (for runDurableObjectAlarm). */
export function stubOf(id) {
  return env.WORKFLOW_RUNNER.get(env.WORKFLOW_RUNNER.idFromName(id));
}

/** The object's alarm time (ms) or null, once the events it has queued have
 *  run: the listing entry of an answer is delivered after it, in an event
 *  of its own, and the alarm covers it (5 s) until the shard acknowledged. */
export function alarmAt(id) {
  return runInDurableObject(stubOf(id), async (o, state) => {
    await idle(o);
    return state.storage.getAlarm();
  });
}

/** Resolves once the object's queue of events is empty (a delivery queued by
 *  the last event included). */
export async function idle(o) {
  for (let q = null; q !== o.queue;) {
    q = o.queue;
    await q;
  }
}

/**
 * Deletes the object's alarm, so a short real back-off (100ms) cannot fire in
 * the background between two requests of a test: time is driven by _advance
 * only. Use right after a response that armed a short timer.
 */
export function disarm(id) {
  return runInDurableObject(stubOf(id), async (o, state) => {
    await idle(o); // a pending delivery's acknowledgement sets the alarm again
    await state.storage.deleteAlarm();
    o.alarmAt = undefined; // the runner's record of its alarm (runner.js setAlarm)
  });
}

/** Collects every page of a listing query. */
export async function listAll(query, limit) {
  const seen = [];
  let cursor = null;
  for (let page = 0; page < 1000; page++) {
    const q = { ...query, limit: String(limit) };
    if (cursor) q.cursor = cursor;
    const res = await list(q);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.workflows.length).toBeLessThanOrEqual(limit);
    seen.push(...res.body.workflows);
    cursor = res.body.nextCursor;
    if (cursor === null) return seen;
    expect(typeof cursor).toBe('string');
  }
  throw new Error('pagination did not end');
}

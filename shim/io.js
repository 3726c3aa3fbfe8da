// io.js — performs one I/O job the engine decided on (wasm/src/eng_io.c):
// an HTTP request or an activity call, bounded by the job's timeout and size
// limit, and reports its outcome as plain data. It judges nothing: whether an
// answer is a success, a retry or a failure is the engine's call, made in the
// next pass. See docs/io-steps.md.
//
// A job: {token, kind: "fetch"|"call", step, attempt, instanceId, timeoutMs,
//   maxBytes, secrets: [names], request?: {url, method, headers, body?},
//   activity?, args?}
// An outcome (always with ms, how long the attempt took):
//   fetch  {status, statusText, headers, body: text, retryAfterMs?}
//   call   {value}
//   either {timeout: true} | {tooLarge: true} | {error, permanent?}

/** Throw it from an activity to fail the step without a retry. */
export class NonRetriableError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NonRetriableError';
  }
}

class Permanent extends Error {}

const dec = new TextDecoder();

/** The outcome of job; signal aborts it (the instance was terminated). */
export async function perform(job, { env = {}, activities = {}, signal } = {}) {
  const started = Date.now();
  const timeout = AbortSignal.timeout(job.timeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const secrets = secretValues(job.secrets, env);
  let outcome;
  try {
    if (secrets.missing) throw new Permanent(`secret "${secrets.missing}" is not set in the worker's environment (a var or secret)`);
    outcome = job.kind === 'fetch'
      ? await send(job, secrets.values, both)
      : await call(job, env, activities, both);
  } catch (err) {
    if (timeout.aborted) outcome = { timeout: true };
    else if (signal && signal.aborted) outcome = { error: 'cancelled: the instance was terminated', permanent: true };
    else outcome = { error: scrub(message(err), secrets.values), permanent: err instanceof Permanent || isNonRetriable(err) };
  }
  outcome.ms = Date.now() - started;
  return outcome;
}

function message(err) {
  if (err && typeof err.message === 'string' && err.message) return err.message;
  return String(err);
}

function isNonRetriable(err) {
  return !!err && (err.nonRetriable === true || err.name === 'NonRetriableError');
}

// --- secrets: substituted here, at send time, and never reported back -------

function secretValues(names = [], env) {
  const values = [];
  for (const name of names) {
    const v = env[name];
    if (typeof v !== 'string') return { values, missing: name };
    values.push([name, v]);
  }
  return { values };
}

function substitute(text, values) {
  let out = text;
  for (const [name, v] of values) out = out.split(`{{${name}}}`).join(v);
  return out;
}

// An error message may quote the url or a header (an invalid URL, a refused
// header value): the secret's value never leaves this function.
function scrub(text, values) {
  let out = text;
  for (const [name, v] of values) if (v) out = out.split(v).join(`{{${name}}}`);
  return out;
}

// --- fetch ---------------------------------------------------------------------

async function send(job, values, signal) {
  const r = job.request;
  const headers = {};
  for (const [k, v] of Object.entries(r.headers || {})) headers[k] = substitute(v, values);
  const init = { method: r.method, headers, signal, redirect: 'follow' };
  if (r.body !== undefined) init.body = r.body;
  const res = await fetch(substitute(r.url, values), init);
  const body = await readLimited(res, job.maxBytes);
  if (body === null) return { tooLarge: true };
  const out = { status: res.status, statusText: res.statusText, headers: Object.fromEntries(res.headers), body };
  const after = retryAfterMs(res.headers.get('retry-after'));
  if (after !== undefined) out.retryAfterMs = after;
  return out;
}

// The body as text, or null once it passes max bytes (reading stops there).
async function readLimited(res, max) {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    parts.push(value);
  }
  const all = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return dec.decode(all);
}

// Retry-After: delay-seconds or an HTTP date.
function retryAfterMs(value) {
  if (value == null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

// --- activities ---------------------------------------------------------------------

async function call(job, env, activities, signal) {
  const info = { env, instanceId: job.instanceId, step: job.step, attempt: job.attempt, signal };
  const fn = Object.hasOwn(activities, job.activity) ? activities[job.activity] : BUILTINS[job.activity];
  if (typeof fn !== 'function') throw new Permanent(`Unknown activity "${job.activity}" (register it in createAblauf({ activities }))`);
  const aborted = new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  const value = await Promise.race([fn(job.args, info), aborted]);
  let text;
  try {
    text = JSON.stringify(value === undefined ? null : value);
  } catch (err) {
    throw new Permanent(`the activity's result is not JSON: ${message(err)}`);
  }
  if (text === undefined) throw new Permanent(`the activity's result is not JSON (${typeof value})`);
  if (new TextEncoder().encode(text).length > job.maxBytes) return { tooLarge: true };
  return { value: JSON.parse(text) };
}

function binding(env, args, what) {
  if (!args || typeof args.binding !== 'string') throw new Permanent(`${what}: args need "binding", the binding's name`);
  const b = env[args.binding];
  if (!b) throw new Permanent(`${what}: binding "${args.binding}" is not bound in this worker (wrangler.toml)`);
  return b;
}

function key(args, what) {
  if (typeof args.key !== 'string' || args.key === '') throw new Permanent(`${what}: args need "key", a non-empty string`);
  return args.key;
}

// A value to store: strings as they are, anything else as its JSON text.
function stored(args, what) {
  if (!('value' in args)) throw new Permanent(`${what}: args need "value"`);
  return typeof args.value === 'string' ? args.value : JSON.stringify(args.value);
}

function asType(args, what) {
  const type = !args || args.type === undefined ? 'text' : args.type;
  if (type !== 'text' && type !== 'json') throw new Permanent(`${what}: "type" is "text" or "json"`);
  return type;
}

/** The built-in activities: the common bindings, for C-only applications.
 * Each takes {binding: "<name in wrangler.toml>", ...} (docs/io-steps.md). */
export const BUILTINS = Object.freeze({
  async 'kv.get'(args, { env }) {
    const type = asType(args, 'kv.get');
    return binding(env, args, 'kv.get').get(key(args, 'kv.get'), type);
  },
  async 'kv.put'(args, { env }) {
    const opts = {};
    if (args.expirationTtl !== undefined) opts.expirationTtl = args.expirationTtl;
    await binding(env, args, 'kv.put').put(key(args, 'kv.put'), stored(args, 'kv.put'), opts);
    return null;
  },
  async 'kv.delete'(args, { env }) {
    await binding(env, args, 'kv.delete').delete(key(args, 'kv.delete'));
    return null;
  },
  async 'queue.send'(args, { env }) {
    if (!args || !('body' in args)) throw new Permanent('queue.send: args need "body"');
    await binding(env, args, 'queue.send').send(args.body, { contentType: 'json' });
    return null;
  },
  async 'r2.get'(args, { env }) {
    const type = asType(args, 'r2.get');
    const obj = await binding(env, args, 'r2.get').get(key(args, 'r2.get'));
    if (obj === null) return null;
    return type === 'json' ? obj.json() : obj.text();
  },
  async 'r2.put'(args, { env }) {
    const obj = await binding(env, args, 'r2.put').put(key(args, 'r2.put'), stored(args, 'r2.put'));
    return { key: obj.key, size: obj.size, etag: obj.etag };
  },
  async 'd1.query'(args, { env }) {
    if (typeof args.sql !== 'string') throw new Permanent('d1.query: args need "sql", a string');
    const params = args.params === undefined ? [] : args.params;
    if (!Array.isArray(params)) throw new Permanent('d1.query: "params" is an array');
    const res = await binding(env, args, 'd1.query').prepare(args.sql).bind(...params).all();
    return { results: res.results, changes: res.meta ? res.meta.changes : undefined };
  },
});

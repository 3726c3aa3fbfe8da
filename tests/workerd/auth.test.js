// auth.test.js — ABLAUF_API_TOKEN and ABLAUF_CORS_ORIGINS (SPEC §1). The
// vitest config sets neither, so these tests call the worker's `handle`
// directly with a custom env.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { handle } from '../../examples/demo/worker.js';
import { delivered, expectError, uid, viaHandle } from './helpers.js';

const TOKEN = 'secret';
const secured = () => ({ ...env, ABLAUF_API_TOKEN: TOKEN });
const bearer = (t) => ({ authorization: `Bearer ${t}` });

describe('bearer token', () => {
  it('refuses every request when ABLAUF_API_TOKEN is set but empty (fail closed) and stores nothing', async () => {
    const id = uid('auth-empty');
    const empty = { ...env, ABLAUF_API_TOKEN: '' };
    const tries = [['POST', '/workflows', { body: { type: 'echo', id, payload: { message: 'x' } } }],
      ['GET', '/workflows'], ['GET', '/types'], ['GET', `/workflows/${id}`], ['POST', `/workflows/${id}/pause`]];
    for (const [method, path, opts] of tries) {
      for (const headers of [{}, bearer(''), bearer('anything')]) {
        const res = await viaHandle(handle, empty, method, path, { ...opts, headers });
        expectError(res, 'INTERNAL_ERROR');
        expect(res.body.error.message).toContain('ABLAUF_API_TOKEN is set but empty');
      }
    }
    expectError(await viaHandle(handle, env, 'GET', `/workflows/${id}`), 'WORKFLOW_NOT_FOUND');
  });

  it('answers 401 UNAUTHORIZED for a missing or wrong token and stores nothing', async () => {
    const id = uid('auth-create');
    const body = { type: 'echo', id, payload: { message: 'x' } };
    const wrong = [{}, bearer('wrong'), bearer(''), bearer(`${TOKEN}x`), bearer(TOKEN.slice(0, 5)),
      { authorization: TOKEN }, { authorization: `Basic ${btoa(`user:${TOKEN}`)}` }];
    for (const headers of wrong) {
      const res = await viaHandle(handle, secured(), 'POST', '/workflows', { body, headers });
      expectError(res, 'UNAUTHORIZED');
    }
    for (const path of ['/workflows', `/workflows/${id}`, '/types', `/workflows/${id}/timeline`]) {
      expectError(await viaHandle(handle, secured(), 'GET', path), 'UNAUTHORIZED');
      expectError(await viaHandle(handle, secured(), 'GET', path, { headers: bearer('nope') }), 'UNAUTHORIZED');
    }
    // Nothing was created by the rejected requests.
    const get = await viaHandle(handle, secured(), 'GET', `/workflows/${id}`, { headers: bearer(TOKEN) });
    expectError(get, 'WORKFLOW_NOT_FOUND');
  });

  it('serves every route with the right bearer token', async () => {
    const id = uid('auth-ok');
    const created = await viaHandle(handle, secured(), 'POST', '/workflows', {
      body: { type: 'echo', id, payload: { message: 'hi' } }, headers: bearer(TOKEN),
    });
    expect(created.status).toBe(201);
    expect(created.body.result).toEqual({ original: 'hi', echoed: 'hi' });
    const get = await viaHandle(handle, secured(), 'GET', `/workflows/${id}`, { headers: bearer(TOKEN) });
    expect(get.status).toBe(200);
    expect(get.body.status).toBe('completed');
    const types = await viaHandle(handle, secured(), 'GET', '/types', { headers: bearer(TOKEN) });
    expect(types.status).toBe(200);
    await delivered();
    const listed = await viaHandle(handle, secured(), 'GET', '/workflows', { headers: bearer(TOKEN), query: '?type=echo' });
    expect(listed.status).toBe(200);
    expect(listed.body.workflows.map((w) => w.id)).toContain(id);
  });

  it('accepts ?access_token= only on the WebSocket route', async () => {
    const id = uid('auth-ws');
    const created = await viaHandle(handle, secured(), 'POST', '/workflows', {
      body: { type: 'sse-test', id, payload: { itemCount: 4 } }, headers: bearer(TOKEN),
    });
    expect(created.status).toBe(201);

    const q = `?access_token=${TOKEN}`;
    for (const [method, path] of [['GET', `/workflows/${id}`], ['GET', '/workflows'], ['GET', `/workflows/${id}/timeline`],
      ['GET', `/workflows/${id}/updates`], ['POST', `/workflows/${id}/pause`]]) {
      expectError(await viaHandle(handle, secured(), method, path, { query: q }), 'UNAUTHORIZED');
    }
    // The WebSocket route: a wrong token is refused, the right one passes auth.
    const ws = { Upgrade: 'websocket' };
    expectError(await viaHandle(handle, secured(), 'GET', `/workflows/${id}/ws`, { query: '?access_token=bad', headers: ws }), 'UNAUTHORIZED');
    expectError(await viaHandle(handle, secured(), 'GET', `/workflows/${id}/ws`, { headers: ws }), 'UNAUTHORIZED');
    const up = await viaHandle(handle, secured(), 'GET', `/workflows/${id}/ws`, { query: q, headers: ws });
    expect(up.status).toBe(101);
    expect(up.webSocket).toBeTruthy();
    up.webSocket.accept();
    up.webSocket.close(1000, 'done');
    // Past auth, the route still needs the upgrade header.
    const noUpgrade = await viaHandle(handle, secured(), 'GET', `/workflows/${id}/ws`, { query: q });
    expect(noUpgrade.status).toBe(426);
  });

  it('leaves the API open when the token is unset', async () => {
    const id = uid('auth-open');
    const res = await viaHandle(handle, { ...env }, 'POST', '/workflows', { body: { type: 'echo', id, payload: { message: 'o' } } });
    expect(res.status).toBe(201);
  });
});

describe('CORS', () => {
  const cors = () => ({ ...env, ABLAUF_CORS_ORIGINS: 'https://app.example.com, https://other.example.org' });

  it('answers a preflight for an allowed origin with 204 and the allow headers', async () => {
    for (const origin of ['https://app.example.com', 'https://other.example.org']) {
      const res = await handle(new Request('https://x/__ablauf/workflows', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      }), cors());
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
      expect(res.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    }
  });

  it('answers a preflight even with a token set (browsers send none on preflight)', async () => {
    const res = await handle(new Request('https://x/__ablauf/workflows/abc', {
      method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
    }), { ...cors(), ABLAUF_API_TOKEN: TOKEN });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('gives no allow-origin to other origins, or when no origins are configured', async () => {
    for (const [origin, e] of [['https://evil.example.com', cors()], ['https://app.example.com.evil.com', cors()],
      ['https://app.example.com', { ...env }]]) {
      const res = await handle(new Request('https://x/__ablauf/workflows', {
        method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' },
      }), e);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('adds allow-origin to actual responses for an allowed origin only', async () => {
    const id = uid('cors');
    const ok = await handle(new Request('https://x/__ablauf/workflows', {
      method: 'POST', headers: { origin: 'https://app.example.com', 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'echo', id, payload: { message: 'c' } }),
    }), cors());
    expect(ok.status).toBe(201);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const get = await handle(new Request(`https://x/__ablauf/workflows/${id}`, { headers: { origin: 'https://evil.example.com' } }), cors());
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    const err = await handle(new Request('https://x/__ablauf/nope', { headers: { origin: 'https://app.example.com' } }), cors());
    expect(err.status).toBe(404);
    expect(err.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });
});

// compose.test.js — createAblauf as an application composes it: its own
// routes beside /__ablauf, the dashboard switched off, and the options it
// refuses. The demo's worker (the rest of this tier) is one such composition.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import engine from '../../build/engine.wasm';
import { createAblauf } from '../../shim/index.js';

const mine = createAblauf({
  engine,
  dashboard: false,
  fetch: (request) => new Response(`mine: ${new URL(request.url).pathname}`),
});

describe('createAblauf', () => {
  it("serves the application's own routes beside the engine's", async () => {
    const own = await mine.worker.fetch(new Request('https://app.test/shop/cart'), env, {});
    expect(await own.text()).toBe('mine: /shop/cart');
    const root = await mine.worker.fetch(new Request('https://app.test/', { headers: { accept: 'text/html' } }), env, {});
    expect(await root.text()).toBe('mine: /');
    const types = await mine.worker.fetch(new Request('https://app.test/__ablauf/types'), env, {});
    expect(types.status).toBe(200);
    expect((await types.json()).types.map((t) => t.type)).toContain('echo');
  });

  it('dashboard: false serves neither the page nor its client', async () => {
    for (const path of ['/__ablauf/', '/__ablauf', '/__ablauf/client.js']) {
      const res = await mine.worker.fetch(new Request(`https://app.test${path}`), env, {});
      expect(res.status, path).toBe(404);
      expect((await res.json()).error.code).toBe('RESOURCE_NOT_FOUND');
    }
  });

  it('refuses what cannot work, with a message', () => {
    expect(() => createAblauf({})).toThrow(/engine must be the compiled engine/);
    expect(() => createAblauf({ engine, activities: { 'kv.get': async () => 1 } })).toThrow(/shadow the built-in/);
    expect(() => createAblauf({ engine, activities: { x: 1 } })).toThrow(/activity "x" is not a function/);
    expect(() => createAblauf({ engine, fetch: 'no' })).toThrow(/fetch must be a function/);
  });
});

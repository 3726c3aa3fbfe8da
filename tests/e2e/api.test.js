import { inject, describe, expect, it } from 'vitest';

const base = inject('baseUrl');

describe('wrangler dev end to end', () => {
  it('serves POST /__ablauf/workflows for echo with the echoed result', async () => {
    const res = await fetch(`${base}/__ablauf/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'echo', payload: { message: 'hi' } }),
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.status).toBe('completed');
    expect(body.result).toEqual({ original: 'hi', echoed: 'hi' });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown paths with 404 RESOURCE_NOT_FOUND', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('RESOURCE_NOT_FOUND');
  });
});

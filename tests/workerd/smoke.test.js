import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

describe('smoke', () => {
  it('creates an echo workflow that completes in one request', async () => {
    const res = await SELF.fetch('https://x/__ablauf/workflows', {
      method: 'POST',
      body: JSON.stringify({ type: 'echo', id: 'smoke-1', payload: { message: 'hi' } }),
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.status).toBe('completed');
    expect(body.result).toEqual({ original: 'hi', echoed: 'hi' });
  });
});

import { SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('hello greets', async () => {
  const res = await SELF.fetch('https://app.test/__ablauf/workflows', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'hello', id: 'hello-1', payload: { name: 'Ada' } }),
  });
  expect(res.status).toBe(201);
  const status = await res.json();
  expect(status.status).toBe('completed');
  expect(status.result).toEqual({ greeting: 'Hello, Ada!' });
});

it('a payload that does not match the schema is refused', async () => {
  const res = await SELF.fetch('https://app.test/__ablauf/workflows', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'hello', payload: {} }),
  });
  expect(res.status).toBe(400);
  expect((await res.json()).error.code).toBe('VALIDATION_ERROR');
});

// bad-input.test.js — every rejected request answers the SPEC §5 error body
// and stores nothing (SPEC §2, §3).
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  BASE, advanced, api, created, expectError, expectIssues, expectNotStored, list, sendEvent, statusOf, uid,
} from './helpers.js';

/** A JSON value nested `depth` containers deep (a scalar is depth 0); the
 * outermost container is an object, inner ones alternate with arrays. */
function nested(depth) {
  let v = 1;
  for (let i = 0; i < depth; i++) v = (depth - 1 - i) % 2 === 0 ? { k: v } : [v];
  return v;
}

async function expectNotListed(id) {
  const res = await list({ type: 'echo', limit: '1000' });
  expect(res.status).toBe(200);
  expect(res.body.workflows.map((w) => w.id)).not.toContain(id);
}

describe('malformed create requests', () => {
  it('rejects malformed JSON with 400 VALIDATION_ERROR', async () => {
    const id = uid('malformed');
    for (const body of [`{"type":"echo","id":"${id}",`, 'not json', `{"type":"echo","id":"${id}"}}`, '']) {
      const res = await api('POST', '/workflows', body);
      expectError(res, 'VALIDATION_ERROR');
    }
    await expectNotStored(id);
  });

  it('rejects a body that is not a JSON object', async () => {
    for (const body of ['[1,2]', '"echo"', '42', 'null', 'true', JSON.stringify([{ type: 'echo' }])]) {
      const res = await api('POST', '/workflows', body);
      expectError(res, 'VALIDATION_ERROR');
    }
  });

  it('rejects a type that is not a string', async () => {
    for (const type of [42, null, { name: 'echo' }, ['echo'], true]) {
      const id = uid('badtype');
      const res = await api('POST', '/workflows', { type, id, payload: { message: 'x' } });
      const e = expectError(res, 'VALIDATION_ERROR');
      if (e.details) expectIssues(e.details.issues);
      await expectNotStored(id);
    }
    const id = uid('notype');
    expectError(await api('POST', '/workflows', { id, payload: { message: 'x' } }), 'VALIDATION_ERROR');
    await expectNotStored(id);
  });

  it('rejects a payload that fails the input schema with details.issues and paths', async () => {
    const cases = [
      ['echo', { message: 42 }, ['message']],
      ['echo', {}, null],
      ['echo', 'just a string', null],
      ['multi-step', { value: 'five' }, ['value']],
      ['failing-step', { failCount: 1.5 }, ['failCount']],
      ['backoff-config', { failCount: 1, strategy: 'random' }, ['strategy']],
      ['benchmark', { steps: 0, work: 1 }, ['steps']],
      ['test', { name: ['Ann'] }, ['name']],
    ];
    for (const [type, payload, path] of cases) {
      const id = uid(`schema-${type}`);
      const res = await api('POST', '/workflows', { type, id, payload });
      const e = expectError(res, 'VALIDATION_ERROR');
      const issues = expectIssues(e.details && e.details.issues);
      if (path) expect(issues.map((i) => i.path), `${type} ${JSON.stringify(payload)}`).toContainEqual(path);
      await expectNotStored(id);
    }
  });

  it('rejects a payload missing a required field with an issue', async () => {
    const id = uid('required');
    const res = await api('POST', '/workflows', { type: 'echo', id, payload: { other: 'x' } });
    const e = expectError(res, 'VALIDATION_ERROR');
    const issues = expectIssues(e.details.issues);
    expect(issues.some((i) => JSON.stringify(i).includes('message'))).toBe(true);
    await expectNotStored(id);
  });

  it('rejects bad ids: too long, bad characters, leading "__", wrong JSON type', async () => {
    const bad = ['a'.repeat(129), 'has space', 'slash/inside', 'ümlaut', 'semi;colon', '__reserved', '__index:0', ''];
    for (const id of bad) {
      const res = await api('POST', '/workflows', { type: 'echo', id, payload: { message: 'x' } });
      const e = expectError(res, 'VALIDATION_ERROR');
      if (id.length > 0) expectIssues(e.details.issues);
      await expectNotListed(id);
    }
    for (const id of [42, { a: 1 }, ['x'], true]) {
      const res = await api('POST', '/workflows', { type: 'echo', id, payload: { message: 'x' } });
      expectError(res, 'VALIDATION_ERROR');
    }
    // The longest valid id and every allowed character are accepted.
    const longest = `${'a'.repeat(120)}${crypto.randomUUID().slice(0, 8)}`;
    expect(longest).toHaveLength(128);
    expect((await created('echo', longest, { message: 'x' })).id).toBe(longest);
    const chars = `Az09._:@-${crypto.randomUUID()}`;
    expect((await created('echo', chars, { message: 'x' })).id).toBe(chars);
    const single = `_${crypto.randomUUID()}`;
    expect((await created('echo', single, { message: 'x' })).id).toBe(single);
  });

  it('rejects bad ids in the path with 400 VALIDATION_ERROR', async () => {
    for (const id of ['a'.repeat(129), 'has%20space', '__index:0', '__x']) {
      for (const [method, sub] of [['GET', ''], ['POST', '/pause'], ['GET', '/timeline']]) {
        expectError(await api(method, `/workflows/${id}${sub}`), 'VALIDATION_ERROR');
      }
    }
  });

  it('rejects a body over 1 MiB with 413 PAYLOAD_TOO_LARGE', async () => {
    const id = uid('big');
    const message = 'x'.repeat(1024 * 1024);
    const res = await api('POST', '/workflows', { type: 'no-schema', id, payload: { message } });
    expectError(res, 'PAYLOAD_TOO_LARGE');
    await expectNotStored(id);

    // Also without a content-length (a stream).
    const id2 = uid('big-stream');
    const bytes = new TextEncoder().encode(JSON.stringify({ type: 'no-schema', id: id2, payload: { message } }));
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < bytes.length; i += 65536) c.enqueue(bytes.slice(i, i + 65536));
        c.close();
      },
    });
    const res2 = await SELF.fetch(`${BASE}/workflows`, { method: 'POST', body: stream, headers: { 'content-type': 'application/json' } });
    expect(res2.status).toBe(413);
    expect((await res2.json()).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    await expectNotStored(id2);
  });

  it('accepts a body just under 1 MiB', async () => {
    const id = uid('almost-big');
    const frame = JSON.stringify({ type: 'no-schema', id, payload: { message: '' } });
    const message = 'x'.repeat(1024 * 1024 - frame.length);
    const body = JSON.stringify({ type: 'no-schema', id, payload: { message } });
    expect(new TextEncoder().encode(body).length).toBe(1024 * 1024);
    const res = await api('POST', '/workflows', body);
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('completed');
  });

  it('rejects JSON nested deeper than 64 levels and accepts exactly 64', async () => {
    // The request body is the JSON document: {"type","id","payload": P} is
    // one level deeper than P.
    const deepId = uid('deep');
    const res = await api('POST', '/workflows', { type: 'no-schema', id: deepId, payload: nested(64) });
    expectError(res, 'VALIDATION_ERROR');
    await expectNotStored(deepId);

    const veryDeep = uid('very-deep');
    const text = `{"type":"no-schema","id":"${veryDeep}","payload":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expectError(await api('POST', '/workflows', text), 'VALIDATION_ERROR');
    await expectNotStored(veryDeep);

    const okId = uid('deep-ok');
    const ok = await api('POST', '/workflows', { type: 'no-schema', id: okId, payload: nested(63) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.status).toBe('completed');
    expect(ok.body.payload).toEqual(nested(63));
    expect((await statusOf(okId)).payload).toEqual(nested(63));
  });
});

describe('bad events', () => {
  it('rejects an event payload failing its schema with 400 EVENT_INVALID and changes nothing', async () => {
    const id = uid('ev-invalid');
    await created('test', id, { name: 'Ann' });
    const before = await statusOf(id);
    for (const payload of [{ approved: 'yes' }, {}, JSON.stringify('approved'), [true], 'null']) {
      const res = await sendEvent(id, 'approval', payload);
      const e = expectError(res, 'EVENT_INVALID');
      expect(e.details.event).toBe('approval');
      expectIssues(e.details.issues);
    }
    const res = await sendEvent(id, 'approval', { approved: 1 });
    const e = expectError(res, 'EVENT_INVALID');
    expect(e.details.issues.map((i) => i.path)).toContainEqual(['approved']);
    expect(await statusOf(id)).toEqual(before);
    // Nothing was buffered: when the wait is reached the instance waits.
    const next = await advanced(id);
    expect(next.status).toBe('waiting');
    expect(next.steps.find((x) => x.name === 'approval').status).toBe('waiting');
  });

  it('rejects an undeclared event name with EVENT_INVALID', async () => {
    const id = uid('ev-undeclared');
    await created('test', id, { name: 'Ann' });
    const before = await statusOf(id);
    const res = await sendEvent(id, 'not-declared', { approved: true });
    const e = expectError(res, 'EVENT_INVALID');
    expect(e.details.event).toBe('not-declared');
    expect(await statusOf(id)).toEqual(before);

    const echoId = uid('ev-echo');
    await created('echo', echoId, { message: 'x' });
    // Validation is checked before the running state.
    const e2 = expectError(await sendEvent(echoId, 'approval', { approved: true }), 'EVENT_INVALID');
    expect(e2.details.event).toBe('approval');
  });

  it('rejects malformed event JSON and an event body over 1 MiB', async () => {
    const id = uid('ev-malformed');
    await created('replay-counter', id, { id });
    const before = await statusOf(id);
    expectError(await api('POST', `/workflows/${id}/events/continue`, '{"a":'), 'VALIDATION_ERROR');
    expectError(await api('POST', `/workflows/${id}/events/continue`, { big: 'x'.repeat(1024 * 1024) }), 'PAYLOAD_TOO_LARGE');
    expectError(await api('POST', `/workflows/${id}/events/continue`, nested(65)), 'VALIDATION_ERROR');
    expect(await statusOf(id)).toEqual(before);
    // An event body of exactly 64 levels is accepted.
    const ok = await sendEvent(id, 'continue', nested(64));
    expect(ok.status).toBe(202);
    expect(ok.body.status.status).toBe('completed');
  });

  it('rejects an invalid event name in the path', async () => {
    const id = uid('ev-name');
    await created('test', id, { name: 'Ann' });
    const res = await api('POST', `/workflows/${id}/events/${'e'.repeat(129)}`, { approved: true });
    expectError(res, 'VALIDATION_ERROR');
    const ctl = await api('POST', `/workflows/${id}/events/a%01b`, { approved: true });
    expectError(ctl, 'VALIDATION_ERROR');
  });
});

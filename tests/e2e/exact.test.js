// What goes in comes out unchanged, or is refused with a clear error and
// nothing stored: every input a tester found changed or accepted, over real
// HTTP against wrangler dev (docs/json.md).
import { inject, describe, expect, it } from 'vitest';

const base = inject('baseUrl');
const api = `${base}/__ablauf/workflows`;

async function raw(method, path, text) {
  const res = await fetch(`${api}${path}`, { method, headers: { 'content-type': 'application/json' }, body: text });
  return { status: res.status, text: await res.text() };
}

describe('exact data', () => {
  it('numbers come back bit-exact through create, Status, result and events', async () => {
    const run = Date.now();
    const nums = ['9007199254740991', '0.30000000000000004', '1.7976931348623157e+308', '5e-324',
      '-0', '1e+21', '123456789012345680000', '2.2250738585072014e-308'];
    for (const [i, n] of nums.entries()) {
      const id = `num-${run}-${i}`;
      // echo turns a number message into its string form, so use no-schema's payload
      const c = await raw('POST', '', `{"type":"no-schema","id":"${id}","payload":{"n":${n}}}`);
      expect(c.status).toBe(201);
      expect(c.text).toContain(`"payload":{"n":${n}}`);
      const g = await raw('GET', `/${id}`);
      expect(g.text).toContain(`"payload":{"n":${n}}`);
      expect(Object.is(JSON.parse(g.text).payload.n, Number(n))).toBe(true);
    }
    // integers beyond 2^53 are doubles: they come back as the double they parse to
    const c = await raw('POST', '', `{"type":"no-schema","id":"num-${run}-big","payload":{"n":9007199254740993}}`);
    expect(c.text).toContain('"payload":{"n":9007199254740992}');
    // an event payload keeps its numbers too
    const id = `num-${run}-ev`;
    await raw('POST', '', `{"type":"multi-event","id":"${id}","payload":{"name":"N"}}`);
    const e = await raw('POST', `/${id}/events/second-approval`, '{"ok":true,"x":0.30000000000000004}');
    expect(e.status).toBe(202);
  });

  it('an answer over 1 MiB arrives whole, to concurrent readers', async () => {
    // The object hands an answer to the worker as an RPC value; past 1 MiB
    // its body goes as a stream. echo's Status holds a 450 KB message four
    // times (payload, the step's result, the result's two fields): ~1.8 MB.
    const id = `big-${Date.now()}`;
    const message = 'é😀"\\'.repeat(10) + 'x'.repeat(450_000);
    const c = await raw('POST', '', JSON.stringify({ type: 'echo', id, payload: { message } }));
    expect(c.status).toBe(201);
    expect(c.text.length).toBeGreaterThan(1_500_000);
    const made = JSON.parse(c.text);
    expect(made.result).toEqual({ original: message, echoed: message });
    const reads = await Promise.all(Array.from({ length: 6 }, () => raw('GET', `/${id}`)));
    for (const g of reads) {
      expect(g.status).toBe(200);
      expect(g.text).toBe(c.text);
    }
  });

  it('refuses malformed JSON with VALIDATION_ERROR, a path, and stores nothing', async () => {
    const run = Date.now();
    const bad = [
      ['trailing garbage', `{"type":"echo","id":"bad-${run}-1","payload":{"message":"m"}} GARBAGE`],
      ['two values', `{"type":"echo","id":"bad-${run}-2","payload":{"message":"m"}}{"x":1}`],
      ['leading zero', `{"type":"no-schema","id":"bad-${run}-3","payload":{"n":01}}`],
      ['trailing dot', `{"type":"no-schema","id":"bad-${run}-4","payload":{"n":1.}}`],
      ['raw control character', `{"type":"echo","id":"bad-${run}-5","payload":{"message":"a\tb"}}`],
      ['duplicate key', `{"type":"echo","id":"bad-${run}-6","payload":{"message":"a","message":"b"}}`],
      ['\\u0000 in a payload', `{"type":"echo","id":"bad-${run}-7","payload":{"message":"a\\u0000b"}}`],
      ['\\u0000 in an id', `{"type":"echo","id":"bad-${run}-8\\u0000zzz","payload":{"message":"m"}}`],
      ['1e400', `{"type":"no-schema","id":"bad-${run}-9","payload":{"n":1e400}}`],
    ];
    for (const [what, text] of bad) {
      const r = await raw('POST', '', text);
      expect(r.status, what).toBe(400);
      const e = JSON.parse(r.text).error;
      expect(e.code, what).toBe('VALIDATION_ERROR');
      expect(e.message, what).toMatch(/^Malformed JSON body: .* \(at byte \d+\)$/);
      expect(Array.isArray(e.details.issues[0].path), what).toBe(true);
    }
    // invalid UTF-8 (raw bytes, not an escape)
    const bytes = new Uint8Array([...new TextEncoder().encode(`{"type":"echo","id":"bad-${run}-10","payload":{"message":"`), 0xff, 0xfe,
      ...new TextEncoder().encode('"}}')]);
    const u = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes });
    expect(u.status).toBe(400);
    for (let i = 1; i <= 10; i++) expect((await raw('GET', `/bad-${run}-${i}`)).status).toBe(404);
    expect((await raw('GET', `/bad-${run}-8`)).status).toBe(404);
    // the duplicate key's path names it
    const d = JSON.parse((await raw('POST', '', bad[5][1])).text);
    expect(d.error.details.issues[0].path).toEqual(['payload', 'message']);
  });

  it('refuses ids . and .., and malformed listing queries', async () => {
    for (const id of ['.', '..']) {
      const r = await raw('POST', '', JSON.stringify({ type: 'echo', id, payload: { message: 'm' } }));
      expect(r.status).toBe(400);
    }
    for (const q of ['cursor=~x', 'cursor=nan~x', 'cursor=inf~x', 'cursor=1e400~x', 'cursor=0x10~x',
      'cursor=%201~x', 'limit=%2010', 'limit=1001']) {
      const r = await fetch(`${api}?${q}`);
      expect(r.status, q).toBe(400);
    }
  });
});

describe('export and replay', () => {
  it('an exported instance replays locally, pass by pass, to the same end', async () => {
    const { execFileSync } = await import('node:child_process');
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const id = `rp-${Date.now()}`;
    await raw('POST', '', JSON.stringify({ type: 'failing-step', id, payload: { failCount: 2 } }));
    const exported = await raw('GET', `/${id}/export`);
    expect(exported.status).toBe(200);
    const file = join(mkdtempSync(join(tmpdir(), 'ablauf-replay-')), 'wf.json');
    writeFileSync(file, exported.text);
    const out = execFileSync('node', ['scripts/replay.mjs', file], { encoding: 'utf8' });
    expect(out).toContain(`${id} (failing-step): sleeping`);
    expect(out).toMatch(/pass 1: sleeping -> (sleeping|completed)/);
    expect(out).toContain('result: "recovered"');
    // the deployment's own instance is untouched by the replay
    expect(JSON.parse((await raw('GET', `/${id}`)).text).status).toBe('sleeping');
  });
});

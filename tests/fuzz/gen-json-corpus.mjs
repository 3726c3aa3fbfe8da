#!/usr/bin/env node
// gen-json-corpus.mjs — the differential corpus for wasm/src/json.c: a few
// thousand JSON texts, valid and invalid, each with what JavaScript's
// JSON.parse says about it. Deterministic: the same seed gives the same bytes.
//
//   node tests/fuzz/gen-json-corpus.mjs OUT [--seeds DIR] [--schema-seeds DIR]
//
// OUT, one case per line (hex keeps every byte, NUL and bad UTF-8 included):
//   A <flags> <hex text> <hex canonical>   JSON.parse accepts
//   R - <hex text>                         it refuses
// A text is first decoded as UTF-8 the way a strict client does (TextDecoder
// with fatal: true, keeping a BOM): bytes that are not UTF-8 are refused
// there, as json_parse refuses them. <flags> name the documented differences
// that JSON.parse cannot see and json_parse refuses (docs/json.md), "-" for
// none:
//   D  nesting deeper than 64 levels      Z  a string or key holds U+0000
//   S  an unpaired surrogate (escaped)    I  a number overflowed to Infinity
// (duplicate keys cannot be seen after JSON.parse: the native side accepts a
// "duplicate key" refusal of an accepted text without a flag.)
// <canonical> (flags "-" only) is JSON.stringify of the parsed value, except
// that -0 is written "-0" (json_print keeps the sign). tests/native/test_json.c
// compares json_print's output with it after putting integer-like keys first,
// as V8's objects order them.
//
// --seeds DIR writes every text as a file, the seed corpus of fuzz_json;
// --schema-seeds DIR writes schema/value pairs for fuzz_schema (the two texts
// padded to equal length with spaces: the target splits its input in halves).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SEED = 0x5eed1ab1;
const args = process.argv.slice(2);
const out = args[0];
if (!out) {
  console.error('usage: gen-json-corpus.mjs OUT [--seeds DIR] [--schema-seeds DIR]');
  process.exit(2);
}
const opt = (name) => { const i = args.indexOf(name); return i > 0 ? args[i + 1] : null; };

// mulberry32: small, fast, and the same everywhere.
let state = SEED >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rand() < p;

// --- hand-written cases: the edges of RFC 8259 and of json_parse's rules ------
const B = (...xs) => Buffer.from(xs.flat());
const fixed = [
  // scalars, whitespace, trailing garbage
  '0', '-0', '1', '-1', '1.5', '-1.5e-3', '1E5', '1e+5', '1e-5', '1E-05', '"x"', '""', 'true', 'false',
  'null', '[]', '{}', ' \t\r\n[ ] \n', '[1,2,3]', '{"a":1}', '{"a":[{"b":null}]}', '', ' ', '{} x',
  '{}{}', '1 2', '[] ]', 'nullx', '"a" "b"', '[1]x', '\f1', '1\f', '\u00a01', '\v[]',
  // numbers
  '01', '-01', '00', '1.', '.5', '+1', '0x10', '1e', '1e+', '1e-', '-', '--1', '1.2.3', 'Infinity',
  '-Infinity', 'NaN', '1e400', '-1e400', '1e309', '1e308', '1.7976931348623157e308',
  '1.7976931348623158e308', '1.7976931348623159e308', '-1.7976931348623157e308', '5e-324', '4e-324',
  '2e-324', '3e-324', '1e-400', '-1e-400', '2.2250738585072014e-308', '2.2250738585072011e-308',
  '0.1', '0.30000000000000004', '9007199254740993', '9007199254740992', '-9007199254740993',
  '123456789012345680000', '123456789012345678901234567890', '1e21', '1e20', '1e-6', '1e-7', '1.5e-7',
  '0.000001', '0.0000001', '100', '1e2', '1E+2', '0e0', '0E-0', '-0.0', '-0e5', '0.0', '1.0', '1.50',
  '18446744073709551616', '[1,01]', '[-]', '[1.]', '[.1]', '1_000', '1e5e5', '0.e1', '2.e+3',
  '1' + '0'.repeat(307), '1' + '0'.repeat(308), '1' + '0'.repeat(309), '0.' + '0'.repeat(400) + '1',
  '1' + '0'.repeat(400) + 'e-400', '0.' + '1'.repeat(800), '9'.repeat(30) + 'e-30',
  '4.9406564584124654e-324', '2.4703282292062328e-324', '2.4703282292062327e-324',
  // strings and escapes
  '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\u00e9"', '"\\u00E9"', '"\\ud83d\\ude00"', '"\\uD83D\\uDE00"',
  '"\\uD800"', '"\\uDC00"', '"\\uD800\\u0041"', '"\\uD800x"', '"\\uDBFF\\uDBFF"', '"\\uDBFF\\uDFFF"',
  '"\\uD800\\"', '"\\uD800\\u00"', '"\\u0000"', '"a\\u0000b"', '{"\\u0000":1}', '"\\u0001"', '"\\u001f"',
  '"\\u007f"', '"\\u2028\\u2029"', '"\\x41"', "'a'", '"\\\'"', '"\\u12"', '"\\u12G4"', '"\\U1234"',
  '"abc', '"abc\\', '"\\', '"', '"a\tb"', '"a\nb"', '"a\u007fb"', '"\u2028"', '"\ufeff"',
  '"' + 'x'.repeat(3000) + '"', '"\\uFFFF"', '"\\uFFFE"', '"\\uDBFF\\uDFFF\\uD800\\uDC00"',
  // objects
  '{"a":1,"a":2}', '{"a":1,"\\u0061":2}', '{"a":1,"b":{"c":1,"c":2}}', '{"b":1,"a":2,"b":3,"a":4}',
  '[{"a":1},{"a":1}]', '{"a":{"a":1}}', '{"":1,"":2}', '{"b":1,"a":2,"1":3,"0":4,"-1":5,"01":6}',
  '{"4294967294":1,"4294967295":2,"2":3}', '{a:1}', '{1:1}', '{"a" 1}', '{"a":}', '{"a":1,}', '[1,]',
  '[,1]', '[1 2]', '{"a":1 "b":2}', '{,}', '{"a"}', '{"a":1}}', '[[]', '[', '{', ']', '}', ':', ',',
  '/* c */ 1', '1 // c', '[1,2,3,]', '{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"a":0}',
  // depth
  '['.repeat(64) + ']'.repeat(64), '['.repeat(65) + ']'.repeat(65), '['.repeat(64) + '1' + ']'.repeat(64),
  '{"a":'.repeat(64) + '1' + '}'.repeat(64), '{"a":'.repeat(65) + '1' + '}'.repeat(65),
  '['.repeat(100) + ']'.repeat(100), '['.repeat(65),
];
const fixedBytes = [
  // UTF-8 at its edges, inside strings
  B(0x22, 0xc2, 0x80, 0x22), B(0x22, 0xdf, 0xbf, 0x22), B(0x22, 0xe0, 0xa0, 0x80, 0x22),
  B(0x22, 0xed, 0x9f, 0xbf, 0x22), B(0x22, 0xee, 0x80, 0x80, 0x22), B(0x22, 0xef, 0xbf, 0xbf, 0x22),
  B(0x22, 0xf0, 0x90, 0x80, 0x80, 0x22), B(0x22, 0xf4, 0x8f, 0xbf, 0xbf, 0x22),
  B(0x22, 0xc0, 0x80, 0x22), B(0x22, 0xc1, 0xbf, 0x22), B(0x22, 0xe0, 0x80, 0x80, 0x22),
  B(0x22, 0xe0, 0x9f, 0xbf, 0x22), B(0x22, 0xf0, 0x80, 0x80, 0x80, 0x22), B(0x22, 0xf0, 0x8f, 0xbf, 0xbf, 0x22),
  B(0x22, 0xed, 0xa0, 0x80, 0x22), B(0x22, 0xed, 0xbf, 0xbf, 0x22), B(0x22, 0xf4, 0x90, 0x80, 0x80, 0x22),
  B(0x22, 0xf5, 0x80, 0x80, 0x80, 0x22), B(0x22, 0xff, 0x22), B(0x22, 0xfe, 0x22), B(0x22, 0x80, 0x22),
  B(0x22, 0xbf, 0x22), B(0x22, 0xe2, 0x82, 0x22), B(0x22, 0xf0, 0x9f, 0x98, 0x22), B(0x22, 0xc3, 0x22),
  B(0xef, 0xbb, 0xbf, 0x7b, 0x7d), B(0x22, 0xef, 0xbb, 0xbf, 0x22), B(0xc3, 0xa9), B(0x5b, 0x80, 0x5d),
  // raw control bytes and NUL
  B(0x22, 0x00, 0x22), B(0x22, 0x1f, 0x22), B(0x5b, 0x5d, 0x00), B(0x00), B(0x5b, 0x00, 0x5d),
  B(0x7b, 0x22, 0x01, 0x22, 0x3a, 0x31, 0x7d),
];

// --- random values, written with random choices JSON allows ---------------------
const NUMBERS = [
  '0', '-0', '1', '-1', '0.1', '0.2', '0.30000000000000004', '5e-324', '2.2250738585072014e-308',
  '1.7976931348623157e308', '9007199254740993', '1e21', '123456789012345680000', '1e-7', '1e-6',
  '3.141592653589793', '2.718281828459045', '1e100', '1.5e300', '-2.5e-300', '4.35', '0.000001234',
  '100', '1e23', '9.999999999999999e22', '18446744073709551615', '1e-400', '1e400', '-1e999',
];
function numberText() {
  if (chance(0.3)) return pick(NUMBERS);
  let s = chance(0.3) ? '-' : '';
  s += chance(0.2) ? '0' : String(1 + int(9)) + digits(int(chance(0.1) ? 40 : 8));
  if (chance(0.4)) s += '.' + digits(1 + int(chance(0.1) ? 40 : 6));
  if (chance(0.3)) s += pick(['e', 'E']) + pick(['', '+', '-']) + digits(1 + int(3));
  return s;
}
function digits(n) { let s = ''; for (let i = 0; i < n; i++) s += String(int(10)); return s; }

const CHARS = ['a', 'b', 'z', 'A', ' ', '0', '~', 'é', 'ß', '€', '中', '😀', '𝄞', '\u2028', '\u00ad', '\u07ff', '\uffff', '\u0800'];
const ESCAPES = ['\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t'];
function hex4(n) { return n.toString(16).padStart(4, '0'); }
function uEscape() {
  const r = rand();
  if (r < 0.5) return '\\u' + (chance(0.5) ? hex4(1 + int(0x7f)) : hex4(0x80 + int(0xd800 - 0x80)));
  if (r < 0.8) { // a pair
    const hi = 0xd800 + int(0x400), lo = 0xdc00 + int(0x400);
    const h = (x) => (chance(0.5) ? hex4(x) : hex4(x).toUpperCase());
    return '\\u' + h(hi) + '\\u' + h(lo);
  }
  if (r < 0.9) return '\\u' + hex4(0xe000 + int(0x2000));
  if (r < 0.96) return '\\u' + hex4(0xd800 + int(0x800)); // a lone surrogate (S)
  return '\\u0000'; // Z
}
function stringText(maxLen) {
  let s = '"';
  const n = int(maxLen);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.6) s += pick(CHARS);
    else if (r < 0.8) s += pick(ESCAPES);
    else s += uEscape();
  }
  return s + '"';
}
function keyText(used) {
  const r = rand();
  let k;
  if (r < 0.15) k = '"' + String(int(chance(0.5) ? 10 : 5000000000)) + '"'; // integer-like keys (V8 moves them)
  else if (r < 0.2 && used.length) k = pick(used); // a duplicate, usually
  else if (r < 0.25) k = stringText(4);
  else k = '"' + pick(['id', 'name', 'a', 'b', 'items', 'payload', 'x', 'é', 'k' + int(100)]) + '"';
  used.push(k);
  return k;
}
const WS = ['', '', '', ' ', '\n', '\t', '\r\n', '  '];
const ws = () => (chance(0.3) ? pick(WS) : '');
function valueText(depth) {
  const r = rand();
  if (depth > 0 && r < 0.35) {
    const n = int(6), parts = [];
    for (let i = 0; i < n; i++) parts.push(ws() + valueText(depth - 1) + ws());
    return '[' + parts.join(',') + ws() + ']';
  }
  if (depth > 0 && r < 0.6) {
    const n = int(6), parts = [], used = [];
    for (let i = 0; i < n; i++) parts.push(ws() + keyText(used) + ws() + ':' + ws() + valueText(depth - 1) + ws());
    return '{' + parts.join(',') + ws() + '}';
  }
  if (r < 0.75) return numberText();
  if (r < 0.9) return stringText(12);
  return pick(['true', 'false', 'null']);
}
function deepText() { // around the depth limit
  const d = 60 + int(10);
  let open = '', close = '';
  for (let i = 0; i < d; i++) {
    if (chance(0.5)) { open += '['; close = ']' + close; } else { open += '{"k":'; close = '}' + close; }
  }
  return open + valueText(0) + close;
}

// --- mutations: bytes JSON cares about, at random places -------------------------
const INTERESTING = [...'{}[]",:\\ 0123456789eE.+-tfnux/'].map((c) => c.charCodeAt(0))
  .concat([0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff]);
function mutate(buf) {
  const b = [...buf];
  const times = 1 + int(3);
  for (let t = 0; t < times; t++) {
    const i = int(b.length + 1), r = rand();
    if (r < 0.3 && b.length) b.splice(Math.min(i, b.length - 1), 1);
    else if (r < 0.6) b.splice(i, 0, pick(INTERESTING));
    else if (r < 0.85 && b.length) b[Math.min(i, b.length - 1)] = pick(INTERESTING);
    else if (r < 0.95 && b.length) b.length = int(b.length); // truncate
    else if (b.length) { const j = int(b.length); b.splice(i, 0, ...b.slice(j, j + 1 + int(8))); } // repeat a slice
  }
  return Buffer.from(b);
}

// --- JSON.parse's verdict --------------------------------------------------------
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// text is JSON (JSON.parse accepted it), so a tokenizer this small reads it.
const TOKEN = /[ \t\n\r]*(?:([{}[\],:])|("(?:[^"\\]|\\.)*")|(-?[0-9][0-9.eE+-]*)|(true|false|null))/y;
function flagsOf(text) {
  const f = new Set(), open = [];
  TOKEN.lastIndex = 0;
  for (let m; TOKEN.lastIndex < text.length && (m = TOKEN.exec(text)); ) {
    const top = open[open.length - 1];
    if (m[1] === '{' || m[1] === '[') {
      open.push({ keys: m[1] === '{' ? new Set() : null, atKey: true });
      if (open.length > 64) f.add('D');
    } else if (m[1] === '}' || m[1] === ']') open.pop();
    else if (m[1] === ',') { if (top.keys) top.atKey = true; }
    else if (m[2] !== undefined) {
      const s = JSON.parse(m[2]);
      if (s.includes('\0')) f.add('Z');
      if (!s.isWellFormed()) f.add('S');
      if (top && top.keys && top.atKey) {
        if (top.keys.has(s)) f.add('K');
        top.keys.add(s);
        top.atKey = false;
      }
    } else if (m[3] !== undefined && !Number.isFinite(Number(m[3]))) f.add('I');
  }
  return [...f].sort().join('') || '-';
}
// JSON.stringify, written out so that it can keep the sign of zero.
function canon(v, sign = true) {
  if (typeof v === 'number') return sign && Object.is(v, -0) ? '-0' : JSON.stringify(v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map((x) => canon(x, sign)).join(',') + ']';
  return '{' + Object.keys(v).map((k) => JSON.stringify(k) + ':' + canon(v[k], sign)).join(',') + '}';
}
function verdict(buf) {
  let text;
  try { text = decoder.decode(buf); } catch { return { ok: false }; }
  let v;
  try { v = JSON.parse(text); } catch { return { ok: false }; }
  const flags = flagsOf(text);
  const c = flags === '-' ? canon(v) : null;
  // canon is JSON.stringify but for the sign of zero
  if (c !== null && canon(v, false) !== JSON.stringify(v)) throw new Error('canon drifted from JSON.stringify: ' + text);
  return { ok: true, flags, canon: c };
}

// --- the corpus ----------------------------------------------------------------------
const cases = [];
const seen = new Set();
function add(buf) {
  const h = buf.toString('hex');
  if (seen.has(h)) return;
  seen.add(h);
  cases.push(buf);
}
for (const s of fixed) add(Buffer.from(s, 'utf8'));
for (const b of fixedBytes) add(b);
const valid = [];
for (let i = 0; i < 1800; i++) {
  const s = ws() + (i % 40 === 39 ? deepText() : valueText(1 + int(4))) + ws();
  const b = Buffer.from(s, 'utf8');
  valid.push(b);
  add(b);
}
for (let i = 0; i < 2200; i++) add(mutate(pick(valid)));

// Numbers, 16 to a text: every power of two (the shortest form of one may lie
// above it: the next double up is twice as far as the next one down) and its
// neighbours, then random doubles from random bits, written in several ways.
const dv = new DataView(new ArrayBuffer(8));
const doubles = [];
for (let e = -1074; e <= 1023; e++) doubles.push(2 ** e, -(2 ** e), 2 ** e * (1 + 2 ** -52));
while (doubles.length < 14000) {
  dv.setUint32(0, Math.floor(rand() * 2 ** 32));
  dv.setUint32(4, Math.floor(rand() * 2 ** 32));
  const x = dv.getFloat64(0);
  if (Number.isFinite(x)) doubles.push(x);
  if (chance(0.2)) doubles.push(Math.round(rand() * 2 ** (int(70)))); // integers, some beyond 2^53
}
const numText = (x) => {
  const r = rand();
  if (r < 0.5) return String(x);
  if (r < 0.8) return x.toPrecision(17).replace(/\.?0+(e|$)/, '$1');
  if (r < 0.9) return x.toExponential().replace('e+', pick(['e', 'E', 'e+', 'E+']));
  return x.toPrecision(1 + int(21));
};
for (let i = 0; i < doubles.length; i += 16)
  add(Buffer.from('[' + doubles.slice(i, i + 16).map(numText).join(',') + ']'));

const lines = [];
let accepted = 0, refused = 0;
for (const buf of cases) {
  const v = verdict(buf);
  if (v.ok) {
    accepted++;
    lines.push(`A ${v.flags} ${buf.toString('hex') || '-'}${v.canon !== null ? ' ' + Buffer.from(v.canon, 'utf8').toString('hex') : ''}`);
  } else {
    refused++;
    lines.push(`R - ${buf.toString('hex') || '-'}`);
  }
}
writeFileSync(out, lines.join('\n') + '\n');

const seeds = opt('--seeds');
if (seeds) {
  mkdirSync(seeds, { recursive: true });
  cases.forEach((b, i) => writeFileSync(join(seeds, `c${String(i).padStart(5, '0')}`), b));
}

const schemaSeeds = opt('--schema-seeds');
if (schemaSeeds) {
  const schemas = [
    'true', 'false', '{}', '{"type":"object","required":["message"],"properties":{"message":{"type":"string"}}}',
    '{"type":"array","items":{"type":"number","minimum":0,"exclusiveMaximum":10},"minItems":1,"maxItems":3}',
    '{"anyOf":[{"type":"string","minLength":1,"maxLength":4},{"type":"null"},{"const":{"a":[1]}}]}',
    '{"enum":[1,"a",null,[true]],"title":"t","description":"d","default":1}',
    '{"type":["integer","boolean"],"maximum":5,"exclusiveMinimum":-1}',
    '{"type":"object","properties":{"a":{"type":"object","additionalProperties":false,"properties":{"b":{}}}},"additionalProperties":{"type":"integer"}}',
    '{"items":[{"type":"string"}]}', '{"minimum":"1"}', '{"type":"nope"}', '{"required":"a"}',
  ];
  mkdirSync(schemaSeeds, { recursive: true });
  let n = 0;
  for (const s of schemas) {
    for (let i = 0; i < 6; i++) {
      let v = i === 0 ? '{"message":"hi"}' : i === 1 ? '[1,2,3]' : valueText(1 + int(3));
      let a = s;
      const len = Math.max(a.length, Buffer.byteLength(v));
      a = a.padEnd(len, ' ');
      v = v + ' '.repeat(len - Buffer.byteLength(v));
      writeFileSync(join(schemaSeeds, `s${String(n++).padStart(4, '0')}`), Buffer.concat([Buffer.from(a), Buffer.from(v)]));
    }
  }
}
console.error(`gen-json-corpus: ${cases.length} texts (${accepted} accepted by JSON.parse, ${refused} refused) -> ${out}`);

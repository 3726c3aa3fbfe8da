// replay.mjs — runs one exported instance's history through the engine on
// this machine, pass by pass, for debugging (docs/testing.md, "Replaying an
// instance").
//
//   curl -s -H "Authorization: Bearer $TOKEN" https://<worker>/__ablauf/workflows/<id>/export > wf.json
//   npm run replay -- wf.json [--passes N] [--quiet]
//
// The export's tables are loaded into an in-memory SQLite (the same
// @sqlite.org/sqlite-wasm the simulator uses), and the real build/engine.wasm
// runs over it through shim/host.js: first the Status as exported, then one
// pass at a time (each makes every pending timer due, as the _advance test
// hook does), printing what each pass changed, until the instance ends or a
// pass changes nothing. Step bodies run here, so build the engine from the
// same workflow sources as the deployment. Nothing is sent anywhere.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, makeHost } from '../shim/host.js';
import { initSqlite, runStatement } from '../tests/sim/runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const passes = Number(args[args.indexOf('--passes') + 1]) || 50;
const quiet = args.includes('--quiet');
if (!file) {
  console.error('usage: npm run replay -- <export.json> [--passes N] [--quiet]');
  process.exit(2);
}
const exp = JSON.parse(readFileSync(file, 'utf8'));
if (exp.format !== 'ablauf-export') throw new Error(`${file} is not an ablauf export`);

const sqlite3 = await initSqlite();
const db = new sqlite3.oo1.DB(':memory:');
const sql = {
  exec(text, ...params) {
    const { columns, rows } = runStatement(db, text, params);
    return { columnNames: columns, raw: () => rows[Symbol.iterator]() };
  },
};
const engine = createEngine(new WebAssembly.Module(readFileSync(join(root, 'build/engine.wasm'))));
const env = { ABLAUF_TEST_HOOKS: '1' };
const dec = new TextDecoder();
function call(method, path) {
  const h = makeHost({ sql });
  const out = engine.fetchObject(h, { method, path, query: '', headers: {}, env, bodyTooLarge: false }, null);
  return { status: out.meta.status, body: JSON.parse(dec.decode(out.body) || 'null') };
}

// The engine makes its schema (a GET of an empty object migrates it); then
// the export's rows take the place of whatever it holds.
call('GET', `/__ablauf/workflows/${encodeURIComponent(exp.id)}`);
for (const [table, { columns, rows }] of Object.entries(exp.tables)) {
  db.exec(`DELETE FROM ${table}`);
  const marks = columns.map((_, i) => `?${i + 1}`).join(', ');
  for (const row of rows) runStatement(db, `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${marks})`, row);
}

const path = `/__ablauf/workflows/${encodeURIComponent(exp.id)}`;
const line = (s) => `${s.name.padEnd(24)} ${s.type.padEnd(15)} ${s.status.padEnd(10)} attempts ${s.attempts}`
  + `${s.error ? `  error: ${s.error}` : ''}`;
let prev = call('GET', path).body;
console.log(`${exp.id} (${prev.type}): ${prev.status}${prev.error ? ` — ${prev.errorCode}: ${prev.error}` : ''}`);
if (!quiet) for (const s of prev.steps) console.log(`  ${line(s)}`);
const ended = (s) => ['completed', 'errored', 'terminated'].includes(s);
for (let n = 1; n <= passes && !ended(prev.status); n++) {
  const r = call('POST', `${path}/_advance`);
  if (r.status !== 200) { console.log(`pass ${n}: HTTP ${r.status} ${JSON.stringify(r.body)}`); break; }
  const now = r.body;
  const before = new Map(prev.steps.map((s) => [s.name, JSON.stringify(s)]));
  const changed = now.steps.filter((s) => before.get(s.name) !== JSON.stringify(s));
  console.log(`pass ${n}: ${prev.status} -> ${now.status}${now.error ? ` — ${now.errorCode}: ${now.error}` : ''}`);
  for (const s of changed) console.log(`  ${line(s)}`);
  if (changed.length === 0 && now.status === prev.status) { console.log('  (nothing changed: the instance waits for an event or a resume)'); break; }
  prev = now;
}
if (ended(prev.status)) console.log(`result: ${JSON.stringify(prev.result)}`);

// npm run bench:platform — what the platform itself costs, with no engine:
// a bare worker of its own (tests/bench/platform/: one SQLite-backed Durable
// Object class) under a local `wrangler dev`, requests sent straight to the
// runtime workerd. The engine's figures in docs/performance.md include all of
// this; these are the floor under them (what a request, a statement and an
// open object cost anyway, whatever the engine does).
//   1. a request to a Durable Object, ms from send to answer, the kinds
//      interleaved per round: (a) a new object, no storage touched; (b) a new
//      object, one CREATE TABLE + one INSERT; (c) a new object, the engine's
//      whole schema (schema_current in wasm/src/db.c) as one exec + one
//      INSERT into ab_instance; (d) an existing object, no storage. Objects
//      are named (idFromName), as the engine's are; under wrangler dev
//      miniflare's wrapper then writes the name into every new object's
//      database (a table of its own): (a') is (a) with a new id of no name;
//   2. a SQL statement inside an object: µs per statement, from one request
//      of N statements minus the same request with none (each on a new
//      object): SELECT 1; the engine's 17-parameter step upsert (step_save_
//      in db.c) into its ab_steps (with its indexes, from schema_current);
//      the same row with 6 parameters (the other columns literals); and the
//      multi-row insert of completed steps (DB_ROWS_* in wasm/src/db.h),
//      DB_ROWS_MAX rows of DB_ROWS_PARAMS parameters, also µs per row; that
//      statement with the index on name schema v5 had, and with no index at
//      all (what each index costs a row); the same rows as one JSON text
//      parameter read by json_each (what the parameters cost); and reading
//      a page of PAGE_FILL rows as a pass loads its history (ord_page in
//      db.c: one text) and as .raw().toArray() rows. Every write writes new
//      rows; every kind writes the same rows (checked);
//   3. memory per open object: VmRSS of the runtime workerd before and after
//      touching M new objects, 8 at a time, each kind in a new dev server
//      (workerd's allocator keeps what it freed: RSS never goes back down):
//      (a) no storage; (a') the same by newUniqueId; (c) the engine's
//      schema; (c) + 20 distinct statements run once; and that with the
//      object calling ctx.abort() right after answering (workerd closes it
//      at once). A sample of the objects is asked again afterwards: still
//      open if that instance answers its second request.
//   4. fetch or RPC: a request to an existing object through stub.fetch and
//      through an RPC method (as the engine's worker reaches its objects:
//      shim/handler.js), the kinds interleaved per round, an object each:
//      a GET; a POST of a 2-byte body; that POST when the object also writes
//      a row (one upsert, committed before the answer leaves).
// The SQL is read from wasm/src at run time, so it follows the engine.
// Prints median, min, max; writes build/bench-platform.json. BENCH_QUICK=1
// halves the counts; BENCH_PRINT_SQL=1 prints what is sent to the worker
// (the statements) and exits. Figures are noisy on a busy machine (the load
// average is printed).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { freePort, startDevServer } from '../support/devserver.js';
import { innerUrl, median } from './common.js';

const QUICK = process.env.BENCH_QUICK === '1';
const half = (n) => (QUICK ? Math.ceil(n / 2) : n);
const LATENCY = { warmup: half(5), rounds: half(40), gapMs: 10 };
const STATEMENTS = { n: half(5000), requests: QUICK ? 3 : 7 };
const PAGE_FILL = 1000; // rows a page read reads
const PAGE_READS = half(40); // page reads a request
const MEMORY = { objects: half(300), concurrency: 8, warmup: 16, settleMs: 1000 };
const CONFIG = 'tests/bench/platform/wrangler.toml';
const READY = '/ready';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs });
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

// --- the engine's SQL, from its C source ---------------------------------------------------

/** The C string literals of `text` from `at` on, concatenated, up to the first
 *  `stop` character outside a literal; an upper-case name between them is a
 *  #define of literals in `defs` (the file's text), expanded. */
function literals(text, at, stop, defs = null) {
  let out = '';
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (c === stop) return out;
    if (c === '/' && text[i + 1] === '*') { i = text.indexOf('*/', i) + 1; continue; }
    const name = defs && /[A-Z_]/.test(c) && /^[A-Z_][A-Z0-9_]*/.exec(text.slice(i, i + 64))[0];
    if (name && text[i + name.length] === '(') {
      // a macro of one argument: its literals in place of the parameter
      const close = text.indexOf(')', i + name.length);
      out += define(defs, name, literals(text.slice(i + name.length + 1, close) + ';', 0, ';', defs));
      i = close;
      continue;
    }
    if (name) { out += define(defs, name); i += name.length - 1; continue; }
    if (c !== '"') continue;
    for (i++; text[i] !== '"'; i++) {
      if (text[i] !== '\\') { out += text[i]; continue; }
      const e = text[++i];
      out += { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" }[e] ?? (() => { throw new Error(`C escape \\${e}`); })();
    }
  }
  throw new Error(`no ${stop} after offset ${at}`);
}

function after(text, marker, from = 0) {
  const at = text.indexOf(marker, from);
  if (at < 0) throw new Error(`${marker} not found`);
  return at + marker.length;
}

/** The value of a #define of string literals (continued lines) or a number;
 *  of a macro of one parameter with `arg` (a string) for it. Other macros
 *  in its body are expanded from `text`. */
function define(text, name, arg) {
  const m = new RegExp(`^#define ${name}(\\((\\w+)\\))?\\s((?:.*\\\\\\n)*.*)$`, 'm').exec(text);
  if (!m || (arg === undefined) !== (m[1] === undefined)) throw new Error(`#define ${name}${arg === undefined ? '' : '(x)'} not found`);
  let body = m[3].replace(/\\\n/g, ' ').trim();
  if (arg !== undefined) body = body.replace(new RegExp(`\\b${m[2]}\\b`, 'g'), JSON.stringify(arg));
  return /^\d+$/.test(body) ? Number(body) : literals(body + '\n', 0, '\n', text);
}

/** INSERT INTO t (cols) VALUES (tuple)...: the table, the columns, and the
 *  column each parameter (?N or ?, in order) binds, by parameter number. */
function insertShape(text) {
  const m = /^INSERT INTO (\w+) \(([^)]*)\) VALUES \(([^)]*)\)/.exec(text);
  if (!m) throw new Error(`not an INSERT: ${text.slice(0, 80)}`);
  const cols = m[2].split(',').map((s) => s.trim());
  const tuple = m[3].split(',').map((s) => s.trim());
  if (tuple.length !== cols.length) throw new Error(`${cols.length} columns, ${tuple.length} values: ${text.slice(0, 80)}`);
  const params = [];
  let next = 1;
  tuple.forEach((v, j) => {
    const p = /^\?(\d*)$/.exec(v);
    if (p) params[(p[1] ? Number(p[1]) : next++) - 1] = cols[j];
  });
  if (params.includes(undefined) || params.length !== tuple.filter((v) => v.startsWith('?')).length) throw new Error(`parameters not 1..n: ${m[3]}`);
  return { table: m[1], cols, tuple, params };
}

/** Top-level comma-separated parts of a column list. */
function splitTop(s) {
  const parts = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) { parts.push(cur.trim()); cur = ''; } else cur += c;
  }
  parts.push(cur.trim());
  return parts;
}

const sqlLiteral = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);


// The constant columns of the step rows section 2 writes (a completed do step
// without a failure, as the engine writes nearly every step); the worker
// makes the varying ones (name, ord, result, started_at, completed_at,
// duration) and pads the result to result_bytes.
const ROW = { type: 'do', status: 'completed', attempts: 1, error: null, wake_at: null, history: null, result_bytes: 40, request: null, io_token: null, outcome: null, done_seq: 0 };

function engineSql() {
  const dbc = readFileSync('wasm/src/db.c', 'utf8');
  const dbh = readFileSync('wasm/src/db.h', 'utf8');

  // schema_current: the statements, and the tables' columns
  const schema = literals(dbc, after(dbc, 'static const char schema_current[] ='), ';', dbc);
  const statements = schema.split(';').map((s) => s.trim()).filter(Boolean);
  const tables = {};
  for (const s of statements) {
    const m = /^CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)$/s.exec(s);
    if (m) tables[m[1]] = splitTop(m[2]).map((c) => { const [name, ...def] = c.split(/\s+/); return { name, def: def.join(' ') }; });
  }
  if (!tables.ab_steps || !tables.ab_instance) throw new Error('schema_current: no ab_steps or ab_instance');
  const stepsTable = statements.filter((s) => /^CREATE TABLE IF NOT EXISTS ab_steps \(/.test(s) || /^CREATE INDEX .* ON ab_steps \(/.test(s));

  // one instance row: the columns the table requires (NOT NULL or the key, no DEFAULT)
  const instanceValues = { id: 'bench', type: 'echo', status: 'running', payload: '{}', created_at: 1764600000000, updated_at: 1764600000000 };
  const required = tables.ab_instance.filter((c) => /NOT NULL|PRIMARY KEY/.test(c.def) && !/DEFAULT/.test(c.def)).map((c) => c.name);
  for (const c of required) if (!(c in instanceValues)) throw new Error(`ab_instance.${c}: no value`);
  const insertInstance = [`INSERT INTO ab_instance (${required.join(', ')}) VALUES (${required.map(() => '?').join(', ')})`, ...required.map((c) => instanceValues[c])];

  // 20 distinct short SELECTs over the schema's tables (column k of every
  // table, k = 0, 1, ...)
  const selects = [];
  const names = Object.keys(tables);
  for (let k = 0; selects.length < 20; k++) {
    for (const t of names) if (tables[t][k] && selects.length < 20) selects.push([`SELECT ${tables[t][k].name} FROM ${t} LIMIT 1`]);
  }

  // step_save_'s statement: the literals of its exec_p call, up to params(
  const saveAt = after(dbc, 'exec_p(X,', after(dbc, 'static int step_save_('));
  const saveEnd = dbc.indexOf('params(', saveAt);
  const upsert17 = literals(dbc.slice(saveAt, saveEnd) + ';', 0, ';');
  const shape17 = insertShape(upsert17);
  if (shape17.table !== 'ab_steps' || shape17.params.length !== 17) throw new Error(`step_save_: ${shape17.params.length} parameters into ${shape17.table}`);
  // the same statement, the constant columns as literals
  let p = 0;
  const tuple6 = shape17.cols.map((c) => (c in ROW ? sqlLiteral(ROW[c]) : `?${++p}`));
  const upsert6 = upsert17.replace(/VALUES \([^)]*\)/, `VALUES (${tuple6.join(', ')})`);
  const shape6 = insertShape(upsert6);

  // the multi-row insert of completed steps (db.h)
  const head = define(dbh, 'DB_ROWS_HEAD');
  const tuple = define(dbh, 'DB_ROWS_TUPLE');
  const tail = define(dbh, 'DB_ROWS_TAIL');
  const maxRows = define(dbh, 'DB_ROWS_MAX');
  const perRow = define(dbh, 'DB_ROWS_PARAMS');
  const shapeRows = insertShape(head + tuple);
  if (shapeRows.params.length !== perRow) throw new Error(`DB_ROWS_TUPLE binds ${shapeRows.params.length}, DB_ROWS_PARAMS is ${perRow}`);
  const rowsSql = head + Array(maxRows).fill(tuple).join(',') + tail;
  // the same rows with the index on name schema v5 had (keyed by name), and
  // with no index at all (what each index costs a row); and as one JSON
  // text parameter read by json_each (what the 96 parameters cost)
  const [stepsCreate, ...stepsIndexes] = stepsTable;
  const nameIndex = stepsCreate.replace('name TEXT NOT NULL,', 'name TEXT NOT NULL UNIQUE,');
  if (nameIndex === stepsCreate || !/ON CONFLICT \(ord\)/.test(tail)) throw new Error('ab_steps: not keyed by ord');
  const byName = head + Array(maxRows).fill(tuple).join(',') + tail.replace('ON CONFLICT (ord)', 'ON CONFLICT (name)');
  let q = 0;
  const selectList = tuple.replace(/^\(|\)$/g, '').split(',').map((x) => x.trim()).map((x) => (x === '?' ? `value->>${q++}` : x));
  const jsonSql = head.replace(/ VALUES $/, ' ') + `SELECT ${selectList.join(', ')} FROM json_each(?) WHERE true` + tail;

  // a page of step rows as a pass loads its history (ord_page in db.c: one
  // text), and the same columns as .raw().toArray() rows; PAGE_FILL rows
  // written by one statement first, the same rows the writes write
  const pageAt = after(dbc, 'return steps_query(X, ', after(dbc, 'static int ord_page('));
  const pageSql = literals(dbc, pageAt, ',', dbc);
  const columns = define(dbc, 'STEP_COLUMNS');
  const rawSql = `SELECT ${columns} FROM ab_steps WHERE ord > ?1 ORDER BY ord LIMIT ?2`;
  const fill = `WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ${PAGE_FILL - 1}) ` +
    head.replace(/ VALUES $/, ' ') + `SELECT 'step-' || i, i, ${sqlLiteral(ROW.type)}, ${sqlLiteral(ROW.status)}, ${ROW.attempts},` +
    ` printf('%-${ROW.result_bytes}s', '{"i":' || i || ',"sum":123456789}'), 1764600000000 + i, 1764600000001 + i, 1, ${ROW.result_bytes} FROM c`;

  return {
    statementCount: statements.length,
    conf: {
      row: ROW,
      plans: {
        none: [],
        table: [['CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)'], ['INSERT INTO t (k, v) VALUES (?, ?)', 'k', '{}']],
        put: [['CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)'],
          ['INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = v || ?', 'k', '{}', '.']],
        schema: [[schema], insertInstance],
        schemaStmts: [[schema], insertInstance, ...selects],
      },
      loops: {
        select1: { setup: [], sql: 'SELECT 1', cols: [], rows: 1 },
        upsert17: { setup: stepsTable, sql: upsert17, cols: shape17.params, rows: 1 },
        upsert6: { setup: stepsTable, sql: upsert6, cols: shape6.params, rows: 1 },
        rows: { setup: stepsTable, sql: rowsSql, cols: shapeRows.params, rows: maxRows },
        rowsName: { setup: [nameIndex, ...stepsIndexes], sql: byName, cols: shapeRows.params, rows: maxRows },
        rowsBare: { setup: [stepsCreate], sql: rowsSql, cols: shapeRows.params, rows: maxRows },
        rowsJson: { setup: stepsTable, sql: jsonSql, cols: shapeRows.params, rows: maxRows, json: true },
        pageText: { setup: [...stepsTable, fill], fill: PAGE_FILL, sql: pageSql, args: [-1, PAGE_FILL], rows: PAGE_FILL, n: PAGE_READS },
        pageRaw: { setup: [...stepsTable, fill], fill: PAGE_FILL, sql: rawSql, args: [-1, PAGE_FILL], rows: PAGE_FILL, n: PAGE_READS },
      },
    },
    selects,
  };
}

// --- the dev server and requests -------------------------------------------------------------

async function server(conf) {
  const srv = await startDevServer({ config: CONFIG, readyPath: READY, vars: {}, inspectorPort: await freePort() });
  const pid = await srv.workerdPid();
  const base = await innerUrl(pid, READY);
  if (!base) { await srv.stop(); throw new Error('the runtime workerd answers on no port'); }
  const res = await fetch(`${base}/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(conf) });
  if (!res.ok) throw new Error(`setup: ${res.status} ${await res.text()}`);
  await res.text();
  return { srv, pid, base };
}

// An object: { id: name } (idFromName, as the engine addresses its objects),
// { unique: true } (a new id of no name) or { hex } (that one again).
const target = (o) => (o.unique ? 'unique=1' : o.hex ? `hex=${o.hex}` : `id=${encodeURIComponent(o.id)}`);

/** GET (or `method`, with `body`) the object with `query`: { ms, text, hex }
 *  (throws unless 200). */
async function touch(base, obj, query, { method = 'GET', body } = {}) {
  const t0 = performance.now();
  const res = await fetch(`${base}/o?${target(obj)}&${query}`, { method, body, headers: { 'accept-encoding': 'identity' } });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${target(obj)} ${query}: ${res.status} ${text.slice(0, 500)}`);
  return { ms, text, hex: res.headers.get('x-id') };
}

/** touch(), and throws unless the object was new (its first request). */
async function touchNew(base, obj, query) {
  const r = await touch(base, obj, query);
  if (r.text !== '1') throw new Error(`${target(obj)} ${query}: not a new object (served ${r.text})`);
  return r;
}

// miniflare's own table in every named object (see worker.js)
const MINIFLARE_TABLE = '__miniflare_do_name';
const check = async (base, obj) => JSON.parse((await touch(base, obj, 'k=check')).text);

function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { rssKb: kb('VmRSS'), anonKb: kb('RssAnon') };
}

const f = (x, d = 2) => x.toFixed(d);
const row = (label, s, d = 2, extra = '') => console.log(`${label.padEnd(50)} ${f(s.median, d).padStart(8)} ${f(s.min, d).padStart(8)} ${f(s.max, d).padStart(8)}${extra}`);

// --- 1. a request to a Durable Object ----------------------------------------------------------

const LATENCY_KINDS = [
  ['a', 'none', '(a) new object, no storage'],
  ['a1', 'none', "(a') the same, newUniqueId (no name row)"],
  ['b', 'table', '(b) new object, CREATE TABLE + INSERT'],
  ['c', 'schema', '(c) new object, engine schema + INSERT'],
  ['d', 'none', '(d) existing object, no storage'],
];

async function latency(base) {
  const samples = LATENCY_KINDS.map(() => []);
  const last = {};
  let seq = 0;
  let existingServed = 0;
  for (let round = 0; round < LATENCY.warmup + LATENCY.rounds; round++) {
    for (const [i, [kind, k]] of LATENCY_KINDS.entries()) {
      let r;
      if (kind === 'd') {
        r = await touch(base, { id: 'lat-existing' }, `k=${k}`);
        existingServed = Number(r.text);
      } else {
        const obj = kind === 'a1' ? { unique: true } : { id: `lat-${kind}-${seq++}` };
        r = await touchNew(base, obj, `k=${k}`);
        last[kind] = kind === 'a1' ? { hex: r.hex } : obj;
      }
      if (round >= LATENCY.warmup) samples[i].push(r.ms);
      await sleep(LATENCY.gapMs);
    }
  }
  // what the objects' databases hold
  const [a, a1, b, c] = [await check(base, last.a), await check(base, last.a1), await check(base, last.b), await check(base, last.c)];
  if (a.tables.join() !== MINIFLARE_TABLE) throw new Error(`(a) object's tables: ${a.tables}`);
  if (a1.tables.length) throw new Error(`(a') object's tables: ${a1.tables}`);
  if (b.t !== 1) throw new Error(`(b) object: ${JSON.stringify(b)}`);
  if (c.instances !== 1 || !c.tables.includes('ab_steps')) throw new Error(`(c) object: ${JSON.stringify(c)}`);
  const total = LATENCY.warmup + LATENCY.rounds;
  return {
    kinds: Object.fromEntries(LATENCY_KINDS.map(([, , label], i) => [label, summary(samples[i])])),
    schemaTables: c.tables.filter((t) => t !== MINIFLARE_TABLE).length,
    // served by one instance all along: the object stayed open (else workerd closed and reopened it)
    existingServed: { answered: existingServed, requests: total },
  };
}

// --- 2. a SQL statement inside an object -------------------------------------------------------

const STATEMENT_KINDS = [
  ['select1', 'SELECT 1 (.raw().toArray())'],
  ['upsert17', 'step upsert, 17 parameters (step_save_)'],
  ['upsert6', 'the same row, 6 parameters'],
  ['rows', null], // label from DB_ROWS_MAX
  ['rowsName', 'the same, name UNIQUE and the key (schema v5)'],
  ['rowsBare', 'the same, no timeline index either'],
  ['rowsJson', 'the same rows as one JSON text (json_each)'],
  ['pageText', null], // a page read, labels from PAGE_FILL
  ['pageRaw', null],
];

async function statements(base, conf) {
  const base0 = Object.fromEntries(STATEMENT_KINDS.map(([k]) => [k, []]));
  const full = Object.fromEntries(STATEMENT_KINDS.map(([k]) => [k, []]));
  const firstRows = {};
  let seq = 0;
  for (let r = 0; r < STATEMENTS.requests; r++) {
    for (const [k] of STATEMENT_KINDS) {
      const loop = conf.loops[k];
      const n = loop.n ?? STATEMENTS.n;
      const id0 = { id: `st-${k}-0-${seq++}` };
      base0[k].push((await touchNew(base, id0, `k=${k}&n=0`)).ms);
      const id = { id: `st-${k}-${n}-${seq++}` };
      full[k].push((await touchNew(base, id, `k=${k}&n=${n}`)).ms);
      if (loop.setup.length) {
        // a write adds rows.n a statement; a read finds what the setup wrote
        const [want0, want] = loop.fill ? [loop.fill, loop.fill] : [0, n * loop.rows];
        const [c0, c] = [await check(base, id0), await check(base, id)];
        if (c0.steps !== want0 || c.steps !== want) throw new Error(`${k}: ${c0.steps} and ${c.steps} rows, not ${want0} and ${want}`);
        firstRows[k] = c.rows;
      }
      await sleep(LATENCY.gapMs);
    }
  }
  // every kind wrote the same rows
  const [one, ...others] = Object.entries(firstRows);
  for (const [k, rows] of others) {
    if (JSON.stringify(rows) !== JSON.stringify(one[1])) throw new Error(`${k} wrote ${JSON.stringify(rows)}, ${one[0]} ${JSON.stringify(one[1])}`);
  }
  const out = {};
  for (const [k] of STATEMENT_KINDS) {
    const loop = conf.loops[k];
    const n = loop.n ?? STATEMENTS.n;
    const m0 = median(base0[k]);
    const perStatement = full[k].map((ms) => ((ms - m0) * 1000) / n);
    out[k] = { statements: n, rows: loop.rows, params: (loop.args ?? loop.cols).length * (loop.args ? 1 : loop.rows), baselineMs: summary(base0[k]), requestMs: summary(full[k]), usPerStatement: summary(perStatement) };
  }
  return { statements: STATEMENTS.n, out, row: one[1][0] };
}

// --- 3. memory per open object -------------------------------------------------------------------

const MEMORY_KINDS = [
  ['k=none', '(a) no storage'],
  ['k=none&unique', "(a') no storage, newUniqueId (no name row)"],
  ['k=schema', '(c) engine schema + INSERT'],
  ['k=schemaStmts', '(c) + 20 distinct statements'],
  ['k=schemaStmts&abort=1', '(c) + 20 statements, then ctx.abort()'],
];

async function memory(conf, kindQuery) {
  const unique = kindQuery.endsWith('&unique');
  const query = kindQuery.replace(/&unique$/, '');
  const obj = (name) => (unique ? { unique: true } : { id: name });
  const { srv, pid, base } = await server(conf);
  try {
    for (let i = 0; i < MEMORY.warmup; i++) await touchNew(base, obj(`warm-${i}`), query);
    await sleep(MEMORY.settleMs);
    const before = rss(pid);
    const touched = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: MEMORY.concurrency }, async () => {
      while (next < MEMORY.objects) {
        const i = next++;
        touched[i] = unique ? { hex: (await touchNew(base, obj(), query)).hex } : (await touchNew(base, obj(`obj-${i}`), query), obj(`obj-${i}`));
      }
    }));
    const ms = performance.now() - t0;
    await sleep(MEMORY.settleMs);
    const afterRss = rss(pid);
    // still open? A second request to an open object is its second (after
    // ctx.abort() workerd opens it anew: its first)
    const sampled = [0, Math.floor(MEMORY.objects / 2), MEMORY.objects - 1];
    const open = [];
    for (const i of sampled) open.push((await touch(base, touched[i], 'k=none')).text === '2');
    return {
      before, after: afterRss, ms,
      kbPerObject: (afterRss.rssKb - before.rssKb) / MEMORY.objects,
      anonKbPerObject: (afterRss.anonKb - before.anonKb) / MEMORY.objects,
      stillOpen: `${open.filter(Boolean).length} of ${sampled.length} sampled`,
    };
  } finally {
    await srv.stop();
  }
}

// --- 4. fetch or RPC ----------------------------------------------------------------------------

const VIA_KINDS = [
  ['GET', 'fetch', 'none'], ['GET', 'rpc', 'none'],
  ['POST', 'fetch', 'none'], ['POST', 'rpc', 'none'],
  ['POST', 'fetch', 'put'], ['POST', 'rpc', 'put'],
];
const viaLabel = ([method, via, k]) => `${method}${method === 'POST' ? ' {}' : ''}${k === 'put' ? ' + a write' : ''}, ${via}`;

async function via(base) {
  const samples = VIA_KINDS.map(() => []);
  const objs = VIA_KINDS.map(([method, v, k]) => ({ id: `via-${method}-${v}-${k}` }));
  for (let round = 0; round < LATENCY.warmup + LATENCY.rounds; round++) {
    for (const [i, [method, v, k]] of VIA_KINDS.entries()) {
      const r = await touch(base, objs[i], `k=${k}${v === 'rpc' ? '&via=rpc' : ''}`, { method, body: method === 'POST' ? '{}' : undefined });
      if (round >= LATENCY.warmup) samples[i].push(r.ms);
      await sleep(LATENCY.gapMs);
    }
  }
  // each object served every request (none was closed and reopened)
  const served = [];
  for (const o of objs) served.push((await check(base, o)).served - 1);
  return { kinds: Object.fromEntries(VIA_KINDS.map((kind, i) => [viaLabel(kind), summary(samples[i])])), served, requests: LATENCY.warmup + LATENCY.rounds };
}

// --- main ----------------------------------------------------------------------------------------

const started = Date.now();
if (process.env.BENCH_PRINT_SQL) { console.log(JSON.stringify(engineSql(), null, 1)); process.exit(0); }
const sql = engineSql();
const { conf } = sql;
const statementLabels = {
  rows: `${conf.loops.rows.rows} rows x ${conf.loops.rows.cols.length} params, one INSERT (DB_ROWS_*)`,
  pageText: `read ${PAGE_FILL} rows as one text (ord_page)`,
  pageRaw: `read ${PAGE_FILL} rows, .raw().toArray()`,
};
const report = { date: new Date().toISOString(), node: process.version, quick: QUICK, loadavgStart: loadavg() };
console.log(`ablauf platform floor — ${report.date}, node ${process.version}${QUICK ? ', BENCH_QUICK=1' : ''}, load ${report.loadavgStart.join(' ')}`);
console.log(`bare worker ${CONFIG}; SQL from wasm/src: schema_current (${sql.statementCount} statements), step_save_, DB_ROWS_*`);

const main = await server(conf);
try {
  const lat = await latency(main.base);
  report.latency = lat;
  console.log(`\n1. a request to a Durable Object, ms from send to answer (${LATENCY.rounds} rounds after ${LATENCY.warmup} warm-up, kinds interleaved; a new object per request for (a)-(c))`);
  console.log(`${'kind'.padEnd(50)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}`);
  for (const [label, s] of Object.entries(lat.kinds)) row(label, s);
  const ex = lat.existingServed;
  console.log(`(c) made ${lat.schemaTables} tables; (d) ${ex.answered === ex.requests ? 'stayed open' : `was reopened (its instance served ${ex.answered} of ${ex.requests})`}`);

  const st = await statements(main.base, conf);
  report.statements = st;
  console.log(`\n2. a SQL statement inside an object, µs per statement: (request of ${st.statements} statements - median of the same with 0) / ${st.statements}; ${STATEMENTS.requests} requests each, a new object each`);
  console.log(`${'statement'.padEnd(50)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}   µs/row   request ms (0 / n)`);
  for (const [k, label] of STATEMENT_KINDS) {
    const o = st.out[k];
    row(label ?? statementLabels[k], o.usPerStatement, 2, `${f(o.usPerStatement.median / o.rows).padStart(9)}   ${f(o.baselineMs.median, 1)} / ${f(o.requestMs.median, 1)} (${o.statements})`);
  }
  console.log('every write is a new row; every kind wrote the same rows (checked), e.g.', JSON.stringify(st.row));

  const v = await via(main.base);
  report.via = v;
  console.log(`\n4. fetch or RPC: a request to an existing object, ms from send to answer (${LATENCY.rounds} rounds after ${LATENCY.warmup} warm-up, kinds interleaved, an object each)`);
  console.log(`${'kind'.padEnd(50)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}   fetch − rpc`);
  const labels = Object.keys(v.kinds);
  for (const [i, label] of labels.entries()) {
    const s = v.kinds[label];
    row(label, s, 2, i % 2 ? `   ${f(v.kinds[labels[i - 1]].median - s.median).padStart(8)}` : '');
  }
  const reopened = v.served.filter((n) => n !== v.requests).length;
  console.log(reopened ? `${reopened} of the objects were closed and reopened on the way` : 'every object stayed open all along');
} finally {
  await main.srv.stop();
}

report.memory = {};
console.log(`\n3. memory per open object: VmRSS of the runtime workerd before and after ${MEMORY.objects} new objects, ${MEMORY.concurrency} at a time (after ${MEMORY.warmup} warm-up), a new dev server per kind`);
console.log(`${'kind'.padEnd(50)} ${'before MB'.padStart(10)} ${'after MB'.padStart(10)} ${'KB/object'.padStart(10)} ${'anon KB/obj'.padStart(12)}   still open`);
for (const [query, label] of MEMORY_KINDS) {
  const m = await memory(conf, query);
  report.memory[label] = m;
  console.log(`${label.padEnd(50)} ${f(m.before.rssKb / 1024, 1).padStart(10)} ${f(m.after.rssKb / 1024, 1).padStart(10)} ${f(m.kbPerObject, 1).padStart(10)} ${f(m.anonKbPerObject, 1).padStart(12)}   ${m.stillOpen}`);
}
console.log(`the 20 statements: ${sql.selects.map(([s]) => s.replace(/^SELECT (\w+) FROM (\w+) LIMIT 1$/, '$2.$1')).join(', ')}`);

report.loadavgEnd = loadavg();
report.seconds = (Date.now() - started) / 1000;
report.sql = conf;
mkdirSync('build', { recursive: true });
writeFileSync('build/bench-platform.json', JSON.stringify(report, null, 2) + '\n');
console.log(`\nload at the end ${report.loadavgEnd.join(' ')}; ${report.seconds.toFixed(0)} s; wrote build/bench-platform.json`);

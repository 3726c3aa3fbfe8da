// The bare worker of npm run bench:platform (tests/bench/platform.mjs). It
// holds no SQL of its own: the script reads the engine's statements from
// wasm/src at run time and sends them, once, to POST /setup (kept in a module
// variable: the worker and its objects share one isolate under workerd).
//
//   GET /ready                         200 once the worker is up (no object)
//   POST /setup  {plans, loops, row}   the statements (see platform.mjs)
//   GET /o?id=&k=plan[&abort=1]        object `id` runs plans[k]: each
//                                      [sql, ...args] once, in order
//   GET /o?id=&k=loop&n=N              object `id` runs loops[k].setup, then
//                                      loops[k].sql N times with its
//                                      loops[k].rows rows of loops[k].cols
//   GET /o?id=&k=check                 what the object's database holds
//   /o?unique=1&…, /o?hex=&…            a new object of no name, an object by id
//   /o?…&via=rpc                       the same through the RPC method call()
//                                      instead of fetch (section 4); a POST's
//                                      body is read either way
// An object answers the number of requests this instance of it has served
// (1 for a new object), so the script can tell that it was new, or not.
import { DurableObject } from 'cloudflare:workers';

let conf = null;

// Step row i's values for the columns that vary per row; the other columns
// come from conf.row (the same constants the script writes as literals).
const VARYING = {
  name: (i) => `step-${i}`,
  ord: (i) => i,
  result: (i) => `{"i":${i},"sum":123456789}`.padEnd(conf.row.result_bytes),
  started_at: (i) => 1764600000000 + i,
  completed_at: (i) => 1764600000000 + i + 1,
  duration: () => 1,
};

function value(col, i) {
  if (col in VARYING) return VARYING[col](i);
  if (col in conf.row) return conf.row[col];
  throw new Error(`no value for column ${col}`);
}

export class Bench extends DurableObject {
  served = 0;

  async fetch(req) {
    if (req.method === 'POST') await req.arrayBuffer();
    const { status, text } = this.serve(new URL(req.url).searchParams);
    return new Response(text, { status });
  }

  // The same as fetch, reached by RPC: the query as an object, the body's bytes.
  call(query, body) {
    void body;
    return this.serve(new URLSearchParams(query));
  }

  serve(q) {
    this.served++;
    if (!conf) return { status: 500, text: 'POST /setup first' };
    const kind = q.get('k');
    const sql = this.ctx.storage.sql;
    if (kind === 'check') return { status: 200, text: JSON.stringify(this.check()) };
    const plan = conf.plans[kind];
    const loop = conf.loops[kind];
    if (plan) {
      for (const [text, ...args] of plan) sql.exec(text, ...args).raw().toArray();
    } else if (loop) {
      for (const text of loop.setup) sql.exec(text);
      const n = Number(q.get('n'));
      for (let s = 0; s < n; s++) {
        const args = loop.args ? [...loop.args] : [];
        if (loop.json) {
          const rows = [];
          for (let r = 0; r < loop.rows; r++) rows.push(loop.cols.map((col) => value(col, s * loop.rows + r)));
          args.push(JSON.stringify(rows));
        } else if (!loop.args) {
          for (let r = 0; r < loop.rows; r++) for (const col of loop.cols) args.push(value(col, s * loop.rows + r));
        }
        sql.exec(loop.sql, ...args).raw().toArray();
      }
    } else {
      return { status: 400, text: `no kind ${kind}` };
    }
    // ctx.abort() resets the object (workerd closes it at once), after the answer.
    if (q.get('abort') === '1') setTimeout(() => { try { this.ctx.abort('done'); } catch { /* it throws by design */ } }, 0);
    return { status: 200, text: String(this.served) };
  }

  check() {
    const sql = this.ctx.storage.sql;
    const tables = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").raw().toArray().map((r) => r[0]);
    const out = { served: this.served, tables };
    if (tables.includes('ab_steps')) {
      out.steps = sql.exec('SELECT count(*) FROM ab_steps').raw().toArray()[0][0];
      out.rows = sql.exec('SELECT * FROM ab_steps ORDER BY ord LIMIT 2').toArray();
    }
    if (tables.includes('ab_instance')) out.instances = sql.exec('SELECT count(*) FROM ab_instance').raw().toArray()[0][0];
    if (tables.includes('t')) out.t = sql.exec('SELECT count(*) FROM t').raw().toArray()[0][0];
    return out;
  }
}

export default {
  async fetch(req, env) {
    const u = new URL(req.url);
    if (u.pathname === '/ready') return new Response('ok');
    if (u.pathname === '/setup' && req.method === 'POST') {
      conf = await req.json();
      return new Response('ok');
    }
    if (u.pathname === '/o') {
      // by name, as the engine addresses its objects; unique=1: a new id of
      // no name (miniflare's wrapper writes the name of a named object into
      // its database, table __miniflare_do_name, when it opens it);
      // hex=: that id again
      const ns = env.OBJ;
      const hex = u.searchParams.get('hex');
      const id = u.searchParams.get('unique') === '1' ? ns.newUniqueId() : hex ? ns.idFromString(hex) : ns.idFromName(u.searchParams.get('id'));
      if (u.searchParams.get('via') === 'rpc') {
        const body = req.method === 'POST' ? new Uint8Array(await req.arrayBuffer()) : null;
        const { status, text } = await ns.get(id).call(Object.fromEntries(u.searchParams), body);
        return new Response(text, { status });
      }
      if (!u.searchParams.has('unique')) return ns.get(id).fetch(req);
      const res = await ns.get(id).fetch(req);
      return new Response(res.body, { status: res.status, headers: { 'x-id': id.toString() } });
    }
    return new Response('not found', { status: 404 });
  },
};

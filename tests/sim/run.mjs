#!/usr/bin/env node
// run.mjs — runs simulator seeds (docs/testing.md).
//
//   node tests/sim/run.mjs --seed 17 --verbose    one seed, with its trace
//   node tests/sim/run.mjs --seeds 1..40          a range; one line per seed
//   options: --no-serial       bypass runner.js serial() (the defect it fixed)
//            --strict          count the known defects (sim.mjs KNOWN) as failures
//            --keep-going      do not stop a seed at its first violation
//            --sql             trace every write statement (with --verbose)
//            --summary         end with "sim: N passed, N failed"
//            --determinism     run the first seed again: its trace must be the same (one more test)
//            --expect KIND     turn it around: one test that passes when some seed fails
//                              with violation KIND (npm test: --no-serial must find
//                              death-without-kill, or the simulator lost its teeth)
import './register.mjs';

const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const value = (f) => { const i = args.indexOf(f); return i >= 0 ? args[i + 1] : undefined; };

function parseSeeds(s) {
  const out = [];
  for (const part of s.split(',')) {
    const m = part.match(/^(\d+)\.\.(\d+)$/);
    if (m) for (let i = Number(m[1]); i <= Number(m[2]); i++) out.push(i);
    else out.push(Number(part));
  }
  return out;
}

const seeds = value('--seed') ? [Number(value('--seed'))] : parseSeeds(value('--seeds') || '1..20');
const opts = {
  verbose: flag('--verbose'),
  noSerial: flag('--no-serial'),
  strict: flag('--strict'),
  keepGoing: flag('--keep-going'),
  sql: flag('--sql'),
};
const { runSeed, KNOWN } = await import('./sim.mjs');

export function repro(seed, o) {
  return `node tests/sim/run.mjs --seed ${seed}${o.noSerial ? ' --no-serial' : ''}${o.strict ? ' --strict' : ''} --verbose`;
}

const expect = value('--expect');
if (expect) {
  const t1 = performance.now();
  let found = null;
  for (const seed of seeds) {
    const res = await runSeed(seed, opts);
    const v = res.violations.find((x) => x.kind === expect);
    if (v) { found = { seed, v }; break; }
  }
  const secs = ((performance.now() - t1) / 1000).toFixed(1);
  if (found) console.log(`expected ${expect}: found at seed ${found.seed} (${found.v.msg}) — ${repro(found.seed, opts)}`);
  else console.log(`expected ${expect}: NOT found in seeds ${seeds[0]}..${seeds[seeds.length - 1]}`);
  if (flag('--summary')) console.log(`sim: ${found ? 1 : 0} passed, ${found ? 0 : 1} failed (${secs} s)`);
  process.exit(found ? 0 : 1);
}

let passed = 0;
let failed = 0;
const knownSeeds = {}; // kind -> seeds
const t0 = performance.now();
for (const seed of seeds) {
  const res = await runSeed(seed, opts);
  const s = res.stats;
  const ends = Object.entries(s.ends).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
  const info = `${res.steps} steps, ${Math.round(res.ms)} ms; ${s.ops} ops, ${s.kills} kills, ${s.traps} traps, ${s.deathsSeen} deaths noticed, ${s.carefulSeen} careful, ${s.crashEntries} crash entries, ${s.sockets} sockets, ${s.frames} frames; ends: ${ends}; trace ${res.hash}`;
  if (res.ok) {
    passed++;
    let line = `seed ${seed}: ok (${info})`;
    for (const kind of new Set(res.known.map((v) => v.kind))) (knownSeeds[kind] ||= []).push(seed);
    if (res.known.length) line += `\n  known: ${res.known.map((v) => `${v.kind}: ${v.msg}`).join('\n  known: ')}`;
    console.log(line);
  } else {
    failed++;
    const what = res.error ? `simulator error: ${res.error.stack}` : res.violations.map((v) => `${v.kind} (step ${v.step}): ${v.msg}`).join('\n  ');
    console.log(`seed ${seed}: FAILED (${info})\n  ${what}\n  reproduce: ${repro(seed, opts)}`);
    if (!opts.verbose && seeds.length === 1) console.log(res.trace.slice(-40).join('\n'));
  }
}
if (flag('--determinism')) {
  const a = await runSeed(seeds[0], opts);
  const b = await runSeed(seeds[0], opts);
  if (a.hash === b.hash && a.steps === b.steps) { passed++; console.log(`determinism: seed ${seeds[0]} ran the same twice (trace ${a.hash})`); }
  else { failed++; console.log(`determinism: FAILED — seed ${seeds[0]} ran differently (trace ${a.hash}, ${a.steps} steps / ${b.hash}, ${b.steps} steps)`); }
}
const secs = ((performance.now() - t0) / 1000).toFixed(1);
for (const [kind, list] of Object.entries(knownSeeds)) {
  console.log(`known defect, not counted: ${kind} in ${list.length} of ${seeds.length} seeds (${list.slice(0, 12).join(', ')}${list.length > 12 ? ', …' : ''}) — ${KNOWN[kind]}`);
}
if (flag('--summary')) console.log(`sim: ${passed} passed, ${failed} failed (${seeds.length} seeds${flag('--determinism') ? ' + determinism' : ''} in ${secs} s)`);
process.exitCode = failed ? 1 : 0;

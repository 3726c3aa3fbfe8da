#!/usr/bin/env node
// soak.mjs — `npm run soak`: many simulator seeds in a row (docs/testing.md).
//   SOAK_SEEDS   how many (default 500)
//   SOAK_FROM    the first seed (default 1000, past the seeds npm test runs)
//   arguments    passed on to every seed: --no-serial, --strict
// Prints each failing seed with the command that reproduces it, and a summary.
import './register.mjs';

const n = Number(process.env.SOAK_SEEDS || 500);
const from = Number(process.env.SOAK_FROM || 1000);
const args = process.argv.slice(2);
const opts = { noSerial: args.includes('--no-serial'), strict: args.includes('--strict') };
const { runSeed, KNOWN } = await import('./sim.mjs');

const t0 = performance.now();
const failures = [];
const known = {}; // kind -> seeds
let steps = 0;
for (let seed = from; seed < from + n; seed++) {
  const res = await runSeed(seed, opts);
  steps += res.steps;
  for (const kind of new Set(res.known.map((v) => v.kind))) (known[kind] ||= []).push(seed);
  if (!res.ok) {
    const what = res.error ? `simulator error: ${res.error.message}` : res.violations.map((v) => `${v.kind}: ${v.msg}`).join('; ');
    const cmd = `node tests/sim/run.mjs --seed ${seed}${opts.noSerial ? ' --no-serial' : ''}${opts.strict ? ' --strict' : ''} --verbose`;
    failures.push({ seed, what, cmd });
    console.log(`seed ${seed} FAILED: ${what}\n  reproduce: ${cmd}`);
  }
  const done = seed - from + 1;
  if (done % 50 === 0) console.log(`… ${done}/${n} seeds, ${failures.length} failed (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
const secs = ((performance.now() - t0) / 1000).toFixed(1);
console.log(`\nsoak: ${n - failures.length} passed, ${failures.length} failed — seeds ${from}..${from + n - 1}, ${steps} steps in ${secs} s`);
for (const [kind, list] of Object.entries(known)) {
  console.log(`known defect, not counted: ${kind} in ${list.length} seeds (${list.slice(0, 20).join(', ')}${list.length > 20 ? ', …' : ''})\n  ${KNOWN[kind]}`);
}
if (failures.length) {
  console.log('\nfirst failing seed — reproduce with:');
  console.log(`  ${failures[0].cmd}`);
}
process.exitCode = failures.length ? 1 : 0;

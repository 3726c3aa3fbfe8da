// Small helpers shared by the test tiers (plain JS: runs in Node and workerd).

/** The updates live-progress sends for `steps` steps, in order (data parsed):
 *  a broadcast per step, an emit (with seq) on even steps, then done. */
export function liveProgressSequence(steps) {
  const out = [];
  let s = 0;
  for (let i = 1; i <= steps; i++) {
    out.push({ event: 'progress', data: { step: i } });
    if (i % 2 === 0) out.push({ event: 'progress', data: { step: i }, seq: ++s });
  }
  out.push({ event: 'done', data: { total: steps }, seq: ++s });
  return out;
}

/** The error a promise rejects with; fails if it resolves. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

// common.js — what the benchmark scripts share: the median, and a timed
// JSON POST (milliseconds from send to the parsed answer; a failed request
// throws with its status and body).
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function post(url, body) {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${res.status} ${text}`);
  return { ms, json: JSON.parse(text) };
}

// A JSON caller for the HTTP API of a running server (the e2e tier).
/** call(method, path, body?) against `${base}/__ablauf/workflows${path}` -> {status, body}. */
export function apiCaller(base) {
  const api = `${base}/__ablauf/workflows`;
  return async function call(method, path, body, timeout = 60000) {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeout), // a hung request fails the test with its path
    }).catch((err) => { throw new Error(`${method} ${path}: ${err.message}`); });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

// A JSON caller for the HTTP API of a running server (the e2e tier).
/** call(method, path, body?) against `${base}/__ablauf/workflows${path}` -> {status, body}. */
export function apiCaller(base) {
  const api = `${base}/__ablauf/workflows`;
  return async function call(method, path, body) {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

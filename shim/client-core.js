// client-core.js — what the two clients share: the §5 error, reading an
// answer, the live-update frames of docs/live-updates.md and durations. binding.js (inside
// a Worker) and client.js (browsers, Node) import it. It imports nothing and
// uses nothing but the language: scripts/gen-assets.mjs inlines it into the
// client.js served to browsers (/__ablauf/client.js), which must stay one
// self-contained module.

/** An error answered by the API (docs/http-api.md, "Errors"), or raised by a client itself. */
export class AblaufError extends Error {
  /**
   * @param {{code: string, message: string, status: number, source?: string, details?: any}} e
   */
  constructor({ code, message, status, source, details }) {
    super(message);
    this.name = 'AblaufError';
    /** @type {string} */ this.code = code;
    /** @type {number} */ this.status = status;
    /** @type {string|undefined} */ this.source = source;
    /** @type {any} */ this.details = details;
  }
}

/**
 * An answer of the API as the parsed JSON body (null if empty), or throws the
 * AblaufError its §5 error body carries.
 */
export function readAnswer(status, text) {
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (status < 200 || status >= 300) {
    const e = json?.error;
    throw new AblaufError({
      code: e?.code ?? 'INTERNAL_ERROR',
      message: e?.message ?? `HTTP ${status}: ${String(text).slice(0, 200)}`,
      status: e?.status ?? status,
      source: e?.source,
      details: e?.details,
    });
  }
  return json;
}

/** A server frame as an object, or null for anything else ("pong"). */
export function parseFrame(text) {
  try {
    const frame = JSON.parse(text);
    return frame !== null && typeof frame === 'object' ? frame : null;
  } catch {
    return null;
  }
}

/**
 * Is this the end frame {"event":"close","data":{}} (the instance ended)? It
 * has no seq, and its data is an object where an update's is always JSON
 * text, so an update named "close" is not mistaken for it.
 */
export function isEndFrame(frame) {
  return frame.event === 'close' && frame.seq === undefined &&
    frame.data !== null && typeof frame.data === 'object';
}

/** The value of an update's `data` (JSON text); a non-JSON string stays as is. */
export function parseData(data) {
  if (typeof data !== 'string') return data;
  try { return JSON.parse(data); } catch { return data; }
}

const UNITS = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };

/** "<int>(ms|s|m|h|d)" -> ms, as the engine parses durations (docs/steps.md). */
export function parseDuration(text) {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(String(text));
  if (!m) {
    throw new AblaufError({ code: 'VALIDATION_ERROR', status: 400, message: `Invalid duration "${text}"` });
  }
  return Number(m[1]) * UNITS[m[2]];
}

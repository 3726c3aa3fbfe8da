// schema-to-ts.mjs — the JSON Schema subset the engine validates, as a
// TypeScript type expression.
export function schemaToTs(s) {
  if (s === true || s === undefined || s === null) return 'unknown';
  if (s === false) return 'never';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ') || 'never';
  if (Array.isArray(s.anyOf)) return s.anyOf.map((b) => `(${schemaToTs(b)})`).join(' | ') || 'never';
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : null;
  if (!types) return Object.keys(s).length === 0 ? 'unknown' : objectType(s) ;
  return types.map((t) => single(t, s)).join(' | ');
}

function single(t, s) {
  switch (t) {
    case 'string': return 'string';
    case 'number':
    case 'integer': return 'number';
    case 'boolean': return 'boolean';
    case 'null': return 'null';
    case 'array': return `Array<${s.items === undefined ? 'unknown' : schemaToTs(s.items)}>`;
    case 'object': return objectType(s);
    default: return 'unknown';
  }
}

function objectType(s) {
  const props = s.properties || {};
  const req = new Set(s.required || []);
  const fields = Object.keys(props).map((k) => `${JSON.stringify(k)}${req.has(k) ? '' : '?'}: ${schemaToTs(props[k])}`);
  if (s.additionalProperties !== false) {
    const extra = s.additionalProperties && s.additionalProperties !== true ? schemaToTs(s.additionalProperties) : 'unknown';
    if (fields.length === 0) return `{ [key: string]: ${extra} }`;
    if (extra !== 'unknown') fields.push(`[key: string]: ${extra}`);
  }
  return `{ ${fields.join('; ')} }`;
}

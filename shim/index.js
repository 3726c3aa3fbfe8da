// index.js — the package's runtime entry (import ... from 'ablauf'): what an
// application's worker composes (docs/cli.md).
export { createAblauf } from './app.js';
export { Ablauf, AblaufError } from './binding.js';
export { NonRetriableError } from './io.js';

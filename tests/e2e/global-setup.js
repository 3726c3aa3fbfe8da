// Starts `wrangler dev` once for the e2e tier and stops it afterwards. The
// base URL reaches the tests through provide/inject ("baseUrl"); what the
// server printed is kept in build/wrangler-dev.log for a failed run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { startDevServer } from '../support/devserver.js';

export default async function setup({ provide }) {
  const server = await startDevServer();
  provide('baseUrl', server.url);
  return async () => {
    try {
      mkdirSync('build', { recursive: true });
      writeFileSync('build/wrangler-dev.log', server.log());
    } catch { /* the log is a convenience */ }
    await server.stop();
  };
}

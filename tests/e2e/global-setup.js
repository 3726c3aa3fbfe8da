// Starts `wrangler dev` once for the e2e tier and stops it afterwards. The
// base URL reaches the tests through provide/inject ("baseUrl").
import { startDevServer } from '../support/devserver.js';

export default async function setup({ provide }) {
  const server = await startDevServer();
  provide('baseUrl', server.url);
  return () => server.stop();
}

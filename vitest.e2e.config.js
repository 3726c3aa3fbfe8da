import { defineConfig } from 'vitest/config';

// End-to-end tier: plain Node tests against a real `wrangler dev` server
// (started once by tests/e2e/global-setup.js on a free port), with real
// WebSocket clients (ws) and Debian's Chromium driven by playwright-core.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.js'],
    globalSetup: ['tests/e2e/global-setup.js'],
    testTimeout: 60000,
    hookTimeout: 120000,
    fileParallelism: false,
  },
});

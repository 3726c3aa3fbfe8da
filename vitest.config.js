import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';

// Integration tier: the real worker and Durable Object inside workerd, with the
// real engine.wasm. Time is driven with the test hook (_advance) and the alarm,
// never with real waits.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: { ABLAUF_TEST_HOOKS: '1' },
      },
    }),
  ],
  test: {
    include: ['tests/workerd/**/*.test.js'],
    testTimeout: 30000,
  },
});

import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';

// The worker and its Durable Objects run inside workerd, with the real engine.
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' }, miniflare: { bindings: { ABLAUF_TEST_HOOKS: '1' } } })],
  test: { include: ['test/**/*.test.js'] },
});

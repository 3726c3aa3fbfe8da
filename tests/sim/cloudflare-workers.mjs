// cloudflare-workers.mjs — what the simulator gives runner.js for
// `import { DurableObject } from 'cloudflare:workers'`: the base class keeps
// ctx and env, as workerd's does.
export class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

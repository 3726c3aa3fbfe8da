// register.mjs — installs ./loader.mjs. Import it before anything that imports
// the shim (a dynamic import afterwards sees the hooks; static imports of the
// same module graph would be resolved before this runs).
import { register } from 'node:module';

register('./loader.mjs', import.meta.url);

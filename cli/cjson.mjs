// cjson.mjs — cJSON is a dependency, never committed: the sources the engine
// is built with must match the pinned checksums (Debian's cjson
// 1.7.15-1+deb12u4). Looked for in CJSON_DIR, then in the package's
// vendor/cjson (a packed ablauf carries a verified copy), then in .deps/cjson
// (filled by build.sh cjson from Debian's source package, with apt).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const CJSON_VERSION = '1.7.15-1+deb12u4';
const SUMS = {
  'cJSON.c': '5c5ab83a24eecfebc25b6aa4d47dbdb5f23d1baec92de75fec5f0528dbe255a7',
  'cJSON.h': 'c25b54ebc98e814eb7b3eeaf12ce899806f87ff5a275b20a3b77dbb3968e5d0b',
};

function verified(dir) {
  return Object.entries(SUMS).every(([f, sum]) => {
    const p = join(dir, f);
    return existsSync(p) && createHash('sha256').update(readFileSync(p)).digest('hex') === sum;
  });
}

/** The directory holding verified cJSON.c and cJSON.h. */
export function findCjson(pkgDir, log = () => {}) {
  if (process.env.CJSON_DIR) {
    const dir = resolve(process.env.CJSON_DIR);
    if (!verified(dir)) throw new Error(`CJSON_DIR=${process.env.CJSON_DIR}: cJSON.c/cJSON.h do not match the pinned sha256 of cJSON ${CJSON_VERSION}`);
    return dir;
  }
  for (const d of [join(pkgDir, 'vendor/cjson'), join(pkgDir, '.deps/cjson')]) if (verified(d)) return d;
  if (existsSync(join(pkgDir, 'build.sh')) && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    log(`fetching cJSON ${CJSON_VERSION} from Debian's source package`);
    const r = spawnSync('bash', [join(pkgDir, 'build.sh'), 'cjson'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status === 0 && verified(join(pkgDir, '.deps/cjson'))) return join(pkgDir, '.deps/cjson');
  }
  throw new Error(`cJSON ${CJSON_VERSION} not found (checked by sha256): set CJSON_DIR to a directory with its cJSON.c and cJSON.h`);
}

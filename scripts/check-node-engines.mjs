// check-node-engines.mjs [VERSION] - every package in package-lock.json
// whose "engines.node" does not accept VERSION (default 18.20.4, Debian
// 12's nodejs), so that a new or updated npm tool that would refuse
// Debian's Node.js fails `make test` here rather than on a fresh machine.
// Fix a finding by pinning an older version (package.json, "overrides" for
// a dependency of a tool) and running `npm install`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const semver = require('semver'); // a dependency of the pinned tools
const want = process.argv[2] || '18.20.4';
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url)));
let checked = 0;
const bad = [];
for (const [path, pkg] of Object.entries(lock.packages)) {
  const range = pkg.engines && pkg.engines.node;
  if (!path || !range || typeof range !== 'string') continue;
  checked++;
  if (!semver.satisfies(want, range)) bad.push(`${path.replace(/^.*node_modules\//, '')}@${pkg.version} needs node ${range}`);
}
const root = lock.packages[''].engines?.node;
if (!root || !semver.satisfies(want, root)) bad.push(`package.json engines.node (${root}) does not accept ${want}`);
for (const b of bad) console.log(`  FAIL  ${b}`);
console.log(`node engines: ${checked} packages checked against Node.js ${want}, ${bad.length} refuse it`);
process.exit(bad.length ? 1 : 0);

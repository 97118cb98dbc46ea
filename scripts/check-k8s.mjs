// check-k8s.mjs FILE... - every YAML document in each FILE against the
// Kubernetes API schema of its apiVersion and kind, from the npm package
// kubernetes-models (pinned in package.json; its schemas are generated from
// Kubernetes' own OpenAPI document). kubeconform is not in Debian and
// cannot be fetched here; this runs on Debian 12's Node.js 18.
// Prints one line per document and "N passed, M failed"; exits 1 on any
// failure: an unknown apiVersion/kind, a schema error, a YAML error.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const YAML = require('yaml');

// apiVersion "apps/v1" -> module "kubernetes-models/apps/v1/Kind";
// the core group "v1" -> "kubernetes-models/v1/Kind".
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' ||
      !/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    throw new Error(`bad apiVersion/kind ${apiVersion}/${kind}`);
  }
  const mod = require(`kubernetes-models/${apiVersion}/${kind}`);
  if (!mod[kind]) throw new Error(`no model ${kind} in ${apiVersion}`);
  return mod[kind];
}

let pass = 0;
let fail = 0;
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/check-k8s.mjs FILE...');
  process.exit(2);
}
for (const file of files) {
  const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true });
  docs.forEach((doc, i) => {
    const where = `${file} document ${i + 1}`;
    try {
      if (doc.errors.length) throw new Error(doc.errors.map(String).join('; '));
      const obj = doc.toJSON();
      if (obj === null) return; // an empty document (a trailing ---)
      const Model = modelFor(obj.apiVersion, obj.kind);
      new Model(obj).validate();
      console.log(`  ok    ${where}: ${obj.kind} ${obj.metadata?.name ?? ''}`);
      pass++;
    } catch (err) {
      const details = err.errors ? JSON.stringify(err.errors, null, 0).slice(0, 600) : '';
      console.log(`  FAIL  ${where}: ${err.message} ${details}`);
      fail++;
    }
  });
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);

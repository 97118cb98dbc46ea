// tests/e2e/openapi_live.mjs - live responses against openapi.yaml.
//
// Sends a representative request to every operation of openapi.yaml (and
// a few error cases) to the daemon at $MLPD_URL, and validates with
// openapi-backend: the request matches a documented operation and is valid
// for it, the status is documented, the body matches the response schema,
// and the nosniff/no-store headers are there. Fails if an operation of the
// document was not exercised. Run by tests/e2e/openapi_live.sh.
import pkg from 'openapi-backend';
import { readFileSync } from 'node:fs';

const { OpenAPIBackend } = pkg;
const base = process.env.MLPD_URL;
if (!base) {
  console.error('openapi_live: set MLPD_URL');
  process.exit(2);
}

// date-time as mlpd documents it: UTC, ISO 8601 with milliseconds.
const ajvOpts = { formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ } };
const api = new OpenAPIBackend({ definition: 'openapi.yaml', strict: true, quick: false, ajvOpts });
await api.init();

let passed = 0;
let failed = 0;
const seen = new Set();
const ok = (what) => { passed++; console.log(`  ok    ${what}`); };
const fail = (what, detail) => { failed++; console.log(`  FAIL  ${what}: ${detail}`); };

// One request: returns the parsed JSON body (or text).
async function call(method, path, body, contentType = 'application/json') {
  const url = new URL(path, base);
  const query = Object.fromEntries(url.searchParams);
  const headers = {};
  let payload;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const what = `${method} ${path}`;
  const op = api.matchOperation({ method, path: url.pathname, headers, query });
  if (!op) {
    fail(what, 'no operation in openapi.yaml matches');
    return undefined;
  }
  seen.add(op.operationId);
  const vreq = api.validateRequest({ method, path: url.pathname, headers, query,
    body: contentType === 'application/json' && payload ? JSON.parse(payload) : payload }, op);
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  const ctype = res.headers.get('content-type') || '';
  let parsed = text;
  if (ctype.startsWith('application/json')) {
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      fail(what, `not JSON: ${text.slice(0, 100)}`);
      return undefined;
    }
  }
  const label = `${what} -> ${res.status} (${op.operationId})`;
  const problems = [];
  // openapi-backend validates JSON request bodies only (a text/csv body
  // reads as missing), so CSV requests are checked by their answer alone.
  if (res.status < 400 && contentType === 'application/json' && !vreq.valid)
    problems.push(`request not valid for the spec: ${JSON.stringify(vreq.errors)}`);
  if (!op.responses || !op.responses[String(res.status)])
    problems.push(`status ${res.status} not documented`);
  else {
    // openapi-backend checks bodies against the application/json schema
    // only: another content type (results as text/csv) is checked by its
    // type alone, below.
    const vres = ctype.startsWith('application/json') ? api.validateResponse(parsed, op, res.status) : {};
    if (vres.errors && vres.errors.length)
      problems.push(`body does not match: ${JSON.stringify(vres.errors)} body=${text.slice(0, 200)}`);
    const documented = Object.keys(op.responses[String(res.status)].content || {});
    if (documented.length && !documented.some((t) => ctype.startsWith(t)))
      problems.push(`content-type ${ctype} not in ${documented}`);
  }
  if (res.headers.get('x-content-type-options') !== 'nosniff') problems.push('no nosniff');
  // Event streams and the lab page's files (ETag) say no-cache.
  const cache = ctype.startsWith('text/event-stream') ||
    (op.operationId.startsWith('lab') && res.status < 400) ? 'no-cache' : 'no-store';
  if (res.headers.get('cache-control') !== cache) problems.push(`no ${cache}`);
  if (problems.length) fail(label, problems.join('; '));
  else ok(label);
  return { status: res.status, body: parsed };
}

const lecture = {
  name: 'lecture-2-3-1', inputs: 2,
  layers: [{ units: 3, activation: 'logsig' }, { units: 1, activation: 'purelin' }],
  loss: 'mse', init: { method: 'xavier', seed: 42 },
};
const weights = {
  layers: [
    { weights: [[0.2, -0.3], [0.4, 0.1], [-0.5, 0.2]], biases: [0.1, -0.2, 0.05] },
    { weights: [[0.3, -0.6, 0.9]], biases: [0.1] },
  ],
};

await call('GET', '/healthz');
await call('GET', '/v2/health/live');
await call('GET', '/v2/health/ready');
await call('GET', '/metrics');
await call('GET', '/');
await call('GET', '/web/lab.js');
await call('GET', '/web/lab.css');
await call('GET', '/web/missing.js');
await call('GET', '/web/onnx.html');
await call('GET', '/web/onnxruntime-web-LICENSE.txt');
const doc = await call('GET', '/openapi.yaml');
if (doc && doc.body !== readFileSync('openapi.yaml', 'utf8')) fail('GET /openapi.yaml', 'differs from the file');

const created = await call('POST', '/v1/models', lecture);
const id = created && created.body.id;
if (!id) {
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}
const m = `/v1/models/${id}`;
await call('GET', '/v1/models');
await call('GET', m);
await call('GET', `${m}/weights`);
await call('PUT', `${m}/weights`, weights);
await call('GET', `${m}/weights?version=1`);
await call('POST', `${m}/samples`, { samples: [{ x: [0, 0], y: [0] }, { x: [1, 0], y: [0.84] }] });
await call('POST', `${m}/samples`, { inputs: [[0, 1]], targets: [[0]] });
await call('POST', `${m}/samples`, 'x1,x2,y\n1,1,0.45\n', 'text/csv');
await call('POST', `${m}/samples?generate=xor&n=4&noise=0.1&seed=3`);
await call('POST', `${m}/samples?generate=moons`);
await call('GET', `${m}/samples?offset=1&limit=2`);
await call('POST', `${m}/predict`, { inputs: [[0.5, -1.0], [1, 2]] });
await call('POST', `${m}/activations`, { grid: { x_range: [-1, 1], y_range: [-2, 2], n: 4 } });
await call('POST', `${m}/activations`, { inputs: [[0.5, -1.0]] });
await call('POST', `${m}/activations`, { grid: { x_range: [1, -1], y_range: [-2, 2] } });
await call('POST', `${m}/predict?version=2`, { inputs: [[0.5, -1.0]] });
await call('POST', `${m}:predict`, { instances: [[0.5, -1.0]] });
await call('POST', `${m}/step`, { x: [0.5, -1.0], y: [0.8], learning_rate: 0.5, apply: false });
await call('POST', `${m}/step`, { x: [0.5, -1.0], y: [0.8], learning_rate: 0.5, check: true });
const job = await call('POST', `${m}/train?wait=true`, { epochs: 5, seed: 1, validation_split: 0.25 });
const job2 = await call('POST', `${m}/train`, { epochs: 3 });
if (job) await call('GET', `/v1/jobs/${job.body.id}`);
if (job) await call('GET', `/v1/jobs/${job.body.id}/events`); // ended: the whole stream at once
if (job2) await call('DELETE', `/v1/jobs/${job2.body.id}`); // finished already: 409
await call('GET', `${m}/jobs`);
await call('GET', `${m}/history`);
await call('GET', `${m}/versions`);
await call('POST', `${m}/versions/2/restore`);
const exported = await call('GET', `${m}/export`);
if (exported) {
  const imported = await call('POST', '/v1/models/import', exported.body);
  if (imported && imported.body.id) await call('DELETE', `/v1/models/${imported.body.id}`);
}
// interchange: ONNX export, TF Serving, KServe v2
await call('GET', `${m}/metadata`);
await call('GET', `${m}/export?format=onnx&dtype=float64`);
await call('GET', `${m}/export?format=onnx&dtype=float16`);
await call('POST', `${m}:predict`, { inputs: [[0.5, -1.0]] });
await call('POST', `${m}:predict`, { signature_name: 'serving_default', inputs: { input: [[0.5, -1.0]] } });
await call('POST', `${m}:predict`, { instances: [[1]] });
const infer = { id: '7', parameters: { a: 1 }, inputs: [{ name: 'input', shape: [2, 2], datatype: 'FP64', data: [0.5, -1, 0, 0] }] };
await call('GET', '/v2');
await call('GET', `/v2/models/${id}`);
await call('GET', `/v2/models/${id}/versions/1`);
await call('GET', `/v2/models/${id}/ready`);
await call('GET', `/v2/models/${id}/versions/2/ready`);
await call('POST', `/v2/models/${id}/infer`, infer);
await call('POST', `/v2/models/${id}/versions/1/infer`, { inputs: [{ ...infer.inputs[0], datatype: 'FP32', data: [[0.5, -1], [0, 0]] }] });
await call('POST', `/v2/models/${id}/infer`, { inputs: [{ ...infer.inputs[0], shape: [2, 3] }] });
await call('GET', '/v2/models/0123456789abcdef');
await call('GET', `/v2/models/${id}/versions/999`);
// Real data: a classifier with scaling, labels, CSV header, evaluate, schedule.
const cls = await call('POST', '/v1/models', {
  name: 'two-classes', inputs: 2, layers: [{ units: 3, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }],
  loss: 'cross_entropy', classes: ['no', 'yes'], preprocessing: { inputs: 'standard' },
});
const cid = cls && cls.body.id;
if (cid) {
  const c = `/v1/models/${cid}`;
  await call('POST', `${c}/samples`, 'size,"weight, kg",label\n100,1,no\n200,5,yes\n150,2,no\n', 'text/csv');
  await call('POST', `${c}/samples`, { samples: [{ x: [300, 7], label: 'yes' }] });
  await call('POST', `${c}/samples`, { inputs: [[120, 1], [260, 6]], labels: ['no', 'yes'] });
  await call('POST', `${c}/samples`, { inputs: [[120, 1]], labels: ['maybe'] });
  await call('POST', `${c}/train?wait=true`, { epochs: 4, validation_split: 0.3, schedule: { method: 'step', step_size: 2, gamma: 0.5 } });
  await call('GET', `${c}/weights`);
  await call('GET', `${c}/history`);
  await call('POST', `${c}/predict`, { inputs: [[180, 3]] });
  await call('POST', `${c}:predict`, { instances: [[180, 3]] });
  await call('POST', `${c}/evaluate`, { split: 'validation' });
  await call('POST', `${c}/evaluate?version=1`, { inputs: [[120, 1], [260, 6]], labels: ['no', 'yes'] });
  await call('POST', `${c}/evaluate`, 'size,"weight, kg",label\n100,1,no\n300,7,yes\n', 'text/csv');
  await call('POST', `${c}/evaluate`, { split: 'test' });
  await call('POST', `${c}/step`, { x: [180, 3], y: [1], apply: false });
  await call('DELETE', c);
}
const big = await call('POST', '/v1/models', { name: 'unscaled', inputs: 2, layers: [{ units: 1, activation: 'linear' }] });
if (big && big.body.id) {
  const b = `/v1/models/${big.body.id}`;
  await call('POST', `${b}/samples`, { inputs: [[100, 1], [300, 2], [500, 3]], targets: [[1], [2], [3]] });
  await call('POST', `${b}/train?wait=true`, { epochs: 2, learning_rate: 1e-6 }); // warnings
  await call('POST', `${b}/evaluate`, { split: 'all' });
  await call('DELETE', b);
}
await call('PATCH', m, { public_predict: true });
await call('GET', '/v1/me');

// Exercises (the caller is the built-in admin local).
const ex = await call('POST', '/v1/exercises', { title: 'one step', network: 'lecture-2-3-1', seed: 3, steps: 2 });
const exId = ex && ex.body.id;
await call('POST', '/v1/exercises', {
  title: 'spec', network: { inputs: 2, layers: [{ units: 2, activation: 'tanh' }, { units: 1, activation: 'linear' }] },
});
await call('POST', '/v1/exercises', { title: 'bad', network: 'lecture-2-2-1' });
await call('GET', '/v1/exercises');
if (exId) {
  const e = `/v1/exercises/${exId}`;
  await call('GET', e);
  await call('GET', `${e}?user=local`);
  await call('GET', `${e}?user=nobody`);
  await call('POST', `${e}/attempts`, { e: [0.1], layers: [{ delta: [0.1, null, 0.2] }], steps: [null, { E: 0.2 }] });
  await call('POST', `${e}/attempts`, { e: [0.1], layers: [{ delta: [0.1, 0.2] }], reveal: true });
  await call('GET', `${e}/attempts`);
  await call('GET', `${e}/results`);
  await call('GET', `${e}/results?format=csv`);
  await call('GET', `${e}/results?format=xml`);
  await call('GET', `${e}/solution`);
  await call('GET', `${e}/solution?user=nobody`);
  await call('DELETE', e);
  await call('DELETE', e);
}

// Datasets (the caller is the built-in admin local, the owner).
const ds = await call('POST', '/v1/datasets', {
  name: 'xor', inputs: [[0, 0], [0, 1], [1, 0], [1, 1], [0.1, 0.1], [0.9, 0.1]],
  labels: ['no', 'yes', 'yes', 'no', 'no', 'yes'], test_fraction: 0.34, seed: 7,
});
await call('POST', '/v1/datasets?name=sine&test_fraction=0.25', 'x1,x2,y\n0,0,0\n1,0,0.84\n0,1,0\n1,1,0.45\n', 'text/csv');
await call('POST', '/v1/datasets', { name: 'bad', inputs: [[1]], labels: ['a'] });
await call('GET', '/v1/datasets');
if (ds && ds.body.id) {
  const d = `/v1/datasets/${ds.body.id}`;
  await call('GET', d);
  await call('PATCH', d, { visibility: 'class' });
  await call('GET', `${d}/rows?split=test`);
  await call('GET', `${d}/rows?split=both`);
  const cm = await call('POST', '/v1/models', { name: 'c', inputs: 2, layers: [{ units: 3, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], loss: 'cross_entropy' });
  if (cm && cm.body.id) {
    await call('POST', `/v1/models/${cm.body.id}/samples`, { dataset: ds.body.id });
    await call('POST', `/v1/models/${cm.body.id}/evaluate`, { dataset: ds.body.id, split: 'test' });
    await call('POST', `/v1/models/${cm.body.id}/evaluate`, { dataset: ds.body.id, split: 'all' });
    await call('DELETE', `/v1/models/${cm.body.id}`);
  }
  await call('GET', `${d}/scores`);
  await call('DELETE', d);
  await call('GET', d);
}

// Error answers have the documented shape too.
await call('GET', '/v1/models/0123456789abcdef');
await call('POST', '/v1/models', { ...lecture, owner: 'x' });
await call('POST', `${m}/predict`, { inputs: [[1, 2, 3]] });
await call('POST', `${m}/predict`, 'x', 'text/plain');
await call('GET', `${m}/samples?limit=5000`);

await call('DELETE', `${m}/samples`);
await call('DELETE', m);

for (const op of api.getOperations()) {
  if (seen.has(op.operationId)) ok(`operation ${op.operationId} exercised`);
  else fail(`operation ${op.operationId}`, 'never exercised');
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

// tests/e2e/serving_protocols.mjs - KServe v2 and TensorFlow Serving
// answers of a live daemon.
//
// Every KServe v2 answer is validated against tests/kserve_v2.schema.json
// (written from the KServe v2 REST specification) with ajv, the validator
// openapi-backend already brings; v2 infer must equal predict exactly
// (the same doubles), flat or nested, FP64 or FP32 (= predict on the
// inputs rounded to float), current or /versions/{n}; id and parameters
// come back as sent; errors are {"error": "text"} with 400/404 (401
// without a token); a public_predict model answers without a token.
// TF Serving: model_version_status, /metadata's signature, the columnar
// {"inputs"} form equal to {"instances"}, {"error": "text"} on :predict.
//
// Environment: MLPD_URL, TOKEN_A (owner of MODEL, PUBLIC), TOKEN_B (another
// user), MODEL (2 inputs, 1 output, versions 1 and 2), PUBLIC (public_predict),
// F32MODEL (a float32 model: predict computes in float).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(createRequire(import.meta.url).resolve('openapi-backend'));
const Ajv = require('ajv');
const schema = JSON.parse(readFileSync('tests/kserve_v2.schema.json', 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addSchema(schema, 'v2');
const validate = (def) => ajv.getSchema(`v2#/definitions/${def}`);

const { MLPD_URL: base, TOKEN_A, TOKEN_B, MODEL, PUBLIC, F32MODEL } = process.env;
let passed = 0, failed = 0;
const ok = (what) => { passed++; console.log(`  ok    ${what}`); };
const fail = (what, detail) => { failed++; console.log(`  FAIL  ${what}: ${detail}`); };
const check = (what, cond, detail = '') => (cond ? ok(what) : fail(what, detail));

async function call(method, path, body, token = TOKEN_A) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, base), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, type: res.headers.get('content-type') };
}

// The answer has this status and matches the schema's definition.
async function expect(what, method, path, body, status, def, token) {
  const r = await call(method, path, body, token);
  const v = validate(def);
  const valid = v(r.json);
  check(`${what} -> ${status} ${def}`, r.status === status && valid && r.type === 'application/json',
    `status ${r.status}, ${valid ? '' : ajv.errorsText(v.errors)} body ${r.text.slice(0, 200)}`);
  return r;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b); // doubles printed round-trip

console.log('== KServe v2 against tests/kserve_v2.schema.json');
// the schema refuses what it must (so that passing means something)
check('the schema refuses mlpd\'s own error shape', !validate('error_response')({ error: { code: 'x', message: 'y' } }));
check('the schema refuses an inference response without outputs', !validate('inference_response')({ model_name: 'm' }));
check('the schema refuses a tensor without datatype', !validate('response_output')({ name: 'o', shape: [1], data: [1] }));
check('the schema refuses a metadata tensor of datatype FLOAT64', !validate('metadata_tensor')({ name: 'i', datatype: 'FLOAT64', shape: [-1] }));
const rows = [[0.5, -1], [0, 0], [1e-3, 123.456], [-2.25, 0.1]];
const flat = rows.flat();
const fp32 = rows.map((r) => r.map(Math.fround));
const predict = (await call('POST', `/v1/models/${MODEL}/predict`, { inputs: rows })).json.outputs;
const predict32 = (await call('POST', `/v1/models/${MODEL}/predict`, { inputs: fp32 })).json.outputs;
const predictV1 = (await call('POST', `/v1/models/${MODEL}/predict?version=1`, { inputs: rows })).json.outputs;

const server = await expect('GET /v2', 'GET', '/v2', undefined, 200, 'metadata_server_response', null);
check('server metadata names mlpd with its version', server.json?.name === 'mlpd' && /^\d+\.\d+\.\d+$/.test(server.json?.version));
for (const path of [`/v2/models/${MODEL}`, `/v2/models/${MODEL}/versions/1`]) {
  const m = await expect(`GET ${path}`, 'GET', path, undefined, 200, 'metadata_model_response');
  check(`${path}: name, versions, platform mlpd, input [-1, 2] and output [-1, 1] FP64`,
    m.json?.name === MODEL && same(m.json.versions, ['1', '2']) && m.json.platform === 'mlpd' &&
    same(m.json.inputs, [{ name: 'input', datatype: 'FP64', shape: [-1, 2] }]) &&
    same(m.json.outputs, [{ name: 'output', datatype: 'FP64', shape: [-1, 1] }]), m.text);
}
for (const path of [`/v2/models/${MODEL}/ready`, `/v2/models/${MODEL}/versions/2/ready`]) {
  const r = await expect(`GET ${path}`, 'GET', path, undefined, 200, 'ready_model_response');
  check(`${path}: ready`, r.json?.ready === true && r.json.name === MODEL);
}

const request = (data, datatype = 'FP64', extra = {}) =>
  ({ inputs: [{ name: 'input', shape: [rows.length, 2], datatype, data }], ...extra });
const vreq = validate('inference_request');
for (const [what, body] of [['flat', request(flat)], ['nested', request(rows)]]) {
  check(`the ${what} request itself matches inference_request`, vreq(body), ajv.errorsText(vreq.errors));
  const r = await expect(`infer, ${what} FP64`, 'POST', `/v2/models/${MODEL}/infer`, body, 200, 'inference_response');
  const out = r.json?.outputs?.[0];
  check(`infer ${what}: output [4, 1] FP64 equal to predict, bit for bit`,
    out && out.name === 'output' && out.datatype === 'FP64' && same(out.shape, [4, 1]) &&
    same(out.data, predict.flat()) && r.json.model_name === MODEL && r.json.model_version === '2',
    `${r.text.slice(0, 300)} vs ${JSON.stringify(predict)}`);
}
{
  const r = await expect('infer FP32', 'POST', `/v2/models/${MODEL}/infer`, request(flat, 'FP32'), 200, 'inference_response');
  check('infer FP32 equals predict on the inputs rounded to float', same(r.json?.outputs?.[0]?.data, predict32.flat()), r.text.slice(0, 300));
  const v = await expect('infer /versions/1', 'POST', `/v2/models/${MODEL}/versions/1/infer`, request(flat), 200, 'inference_response');
  check('/versions/1/infer equals predict?version=1', same(v.json?.outputs?.[0]?.data, predictV1.flat()) &&
    v.json.model_version === '1' && !same(predictV1, predict), v.text.slice(0, 300));
  const params = { temperature: 0.5, tag: 'x', flag: true };
  const body = request(flat, 'FP64', { id: 'req-42', parameters: params, outputs: [{ name: 'output' }] });
  const p = await expect('infer with id, parameters, outputs', 'POST', `/v2/models/${MODEL}/infer`, body, 200, 'inference_response');
  check('id and parameters come back as sent', p.json?.id === 'req-42' && same(p.json.parameters, params), p.text.slice(0, 300));
}

const bad = [
  ['datatype INT32', request(flat, 'INT32'), 400],
  ['shape [4, 3]', { inputs: [{ name: 'input', shape: [4, 3], datatype: 'FP64', data: flat }] }, 400],
  ['data one short', request(flat.slice(1)), 400],
  ['ragged rows', request([[1, 2], [3]]), 400],
  ['input named x', { inputs: [{ name: 'x', shape: [4, 2], datatype: 'FP64', data: flat }] }, 400],
  ['two inputs', { inputs: [request(flat).inputs[0], request(flat).inputs[0]] }, 400],
  ['no inputs', { id: '1' }, 400],
  ['an unknown member', { ...request(flat), extra: 1 }, 400],
  ['output named y', { ...request(flat), outputs: [{ name: 'y' }] }, 400],
  ['a string number', request(flat.map(String)), 400],
];
for (const [what, body, status] of bad)
  await expect(`infer, ${what}`, 'POST', `/v2/models/${MODEL}/infer`, body, status, 'error_response');
{
  const r = await call('POST', `/v2/models/${MODEL}/infer`, '{"inputs": [');
  check('infer, broken JSON -> 400 error_response', r.status === 400 && validate('error_response')(r.json), r.text);
}
await expect('model nope', 'GET', '/v2/models/nope', undefined, 404, 'error_response');
await expect('infer on model nope', 'POST', '/v2/models/nope/infer', request(flat), 404, 'error_response');
await expect('version 9', 'GET', `/v2/models/${MODEL}/versions/9`, undefined, 404, 'error_response');
await expect('infer version 9', 'POST', `/v2/models/${MODEL}/versions/9/infer`, request(flat), 404, 'error_response');
await expect('ready of version 9', 'GET', `/v2/models/${MODEL}/versions/9/ready`, undefined, 404, 'error_response');
await expect('version abc', 'GET', `/v2/models/${MODEL}/versions/abc`, undefined, 400, 'error_response');
await expect('no such path under /v2', 'GET', '/v2/nothing', undefined, 404, 'error_response');
await expect('DELETE a v2 model', 'DELETE', `/v2/models/${MODEL}`, undefined, 405, 'error_response');
await expect("another user's model", 'GET', `/v2/models/${MODEL}`, undefined, 404, 'error_response', TOKEN_B);
await expect("infer on another user's model", 'POST', `/v2/models/${MODEL}/infer`, request(flat), 404, 'error_response', TOKEN_B);
await expect('no token, private model', 'POST', `/v2/models/${MODEL}/infer`, request(flat), 401, 'error_response', null);
await expect('no token, public model metadata', 'GET', `/v2/models/${PUBLIC}`, undefined, 200, 'metadata_model_response', null);
await expect('no token, public model ready', 'GET', `/v2/models/${PUBLIC}/ready`, undefined, 200, 'ready_model_response', null);
{
  const r = await expect('no token, public model infer', 'POST', `/v2/models/${PUBLIC}/infer`, request(flat), 200, 'inference_response', null);
  const p = (await call('POST', `/v1/models/${PUBLIC}/predict`, { inputs: rows }, null)).json.outputs;
  check('public infer equals public predict', same(r.json?.outputs?.[0]?.data, p.flat()));
}

if (F32MODEL) {
  const p = (await call('POST', `/v1/models/${F32MODEL}/predict`, { inputs: rows })).json.outputs;
  const r = await expect('infer on a float32 model', 'POST', `/v2/models/${F32MODEL}/infer`,
    { inputs: [{ name: 'input', shape: [rows.length, 2], datatype: 'FP64', data: flat }] }, 200, 'inference_response');
  check('a float32 model: infer equals predict (both in float)', same(r.json?.outputs?.[0]?.data, p.flat()), r.text.slice(0, 300));
}

console.log('== TensorFlow Serving');
{
  const m = await call('GET', `/v1/models/${MODEL}`);
  check('GET model: model_version_status of the current version',
    same(m.json?.model_version_status, [{ version: '2', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }]), m.text);
  const md = await call('GET', `/v1/models/${MODEL}/metadata`);
  const sig = md.json?.metadata?.signature_def?.signature_def?.serving_default;
  check('GET metadata: model_spec and the serving_default signature',
    md.status === 200 && md.json.model_spec.name === MODEL && md.json.model_spec.version === '2' &&
    sig.method_name === 'tensorflow/serving/predict' && sig.inputs.input.dtype === 'DT_DOUBLE' &&
    same(sig.inputs.input.tensor_shape.dim.map((d) => d.size), ['-1', '2']) &&
    same(sig.outputs.output.tensor_shape.dim.map((d) => d.size), ['-1', '1']), md.text.slice(0, 300));
  const pub = await call('GET', `/v1/models/${PUBLIC}/metadata`, undefined, null);
  check('GET metadata of a public model without a token', pub.status === 200);
  const inst = await call('POST', `/v1/models/${MODEL}:predict`, { instances: rows });
  const cols = await call('POST', `/v1/models/${MODEL}:predict`, { inputs: rows });
  const named = await call('POST', `/v1/models/${MODEL}:predict`, { signature_name: 'serving_default', inputs: { input: rows } });
  check(':predict instances -> predictions, equal to predict', same(inst.json?.predictions, predict), inst.text);
  check(':predict columnar inputs -> outputs, equal to predict', same(cols.json?.outputs, predict) && same(named.json?.outputs, predict),
    `${cols.text} ${named.text}`);
  const plain = (r) => r.json && typeof r.json.error === 'string' && Object.keys(r.json).length === 1;
  for (const [what, body, status, token] of [
    ['both forms', { instances: rows, inputs: rows }, 400, TOKEN_A],
    ['a wrong width', { instances: [[1, 2, 3]] }, 400, TOKEN_A],
    ['another signature', { signature_name: 'other', inputs: rows }, 400, TOKEN_A],
    ['inputs naming x', { inputs: { x: rows } }, 400, TOKEN_A],
    ["another user's model", { instances: rows }, 404, TOKEN_B],
  ]) {
    const r = await call('POST', `/v1/models/${MODEL}:predict`, body, token);
    check(`:predict, ${what} -> ${status} {"error": "text"}`, r.status === status && plain(r), `${r.status} ${r.text}`);
  }
  const e = await call('POST', '/v1/models/nope:predict', { instances: rows });
  check(':predict on model nope -> 404 {"error": "text"}', e.status === 404 && plain(e), e.text);
  const v1 = await call('POST', `/v1/models/${MODEL}/predict`, { inputs: [[1]] });
  check('/predict keeps mlpd\'s {"error": {"code", "message"}}', v1.status === 400 && typeof v1.json?.error?.code === 'string', v1.text);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

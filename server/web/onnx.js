// onnx.js - the ONNX demo page: the model exported by the server (or a
// downloaded .onnx file) run by onnxruntime-web (vendored, served from
// /web/), and the server's predict beside it. Once loaded, running needs
// no server. The table's dataset holds both outputs as JSON (data-ort,
// data-server) and #o-diff the largest relative difference (data-max)
// for tests/browser/onnx.mjs.
import * as ort from './ort-wasm-bundle.mjs';
import { api } from './api.js';
import { fetchOnnx, saveBytes } from './download.js';

const $ = (id) => document.getElementById(id);
const state = { bytes: null, name: '', session: null, dtype: 'float64', rows: null, ort: null, server: null };

// One thread: SharedArrayBuffer needs cross-origin isolation, and a
// network this small gains nothing from more.
ort.env.wasm.numThreads = 1;

function setStatus(msg, isError = false) {
  $('status').textContent = msg;
  $('status').classList.toggle('error', isError);
}

function action(id, fn) {
  $(id).addEventListener('click', async () => {
    $(id).disabled = true;
    try {
      await fn();
    } catch (e) {
      setStatus(e.message || String(e), true);
    } finally {
      $(id).disabled = false;
      buttons();
    }
  });
}

function buttons() {
  $('o-save').disabled = !state.bytes;
  $('o-run').disabled = !state.session;
  $('o-compare').disabled = !state.session || !$('o-model').value.trim();
}

function rowsOf(text) {
  const rows = text.split('\n').map((l) => l.trim()).filter(Boolean).map((l, i) => {
    const v = l.split(',').map((s) => Number(s.trim()));
    if (v.some((x) => !Number.isFinite(x))) throw new Error(`Row ${i + 1} is not a list of numbers.`);
    return v;
  });
  if (!rows.length) throw new Error('Give at least one row of inputs.');
  return rows;
}

// The element type an ONNX model declares for its input (1 = float, 11 = double).
function inputType(session) {
  const meta = session.inputMetadata?.[0];
  if (meta && meta.type) return meta.type === 'float64' ? 'float64' : 'float32';
  return state.dtype;
}

async function open(bytes, name) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  if (session.inputNames[0] !== 'input' || session.outputNames[0] !== 'output')
    throw new Error(`This is not an mlpd model (tensors ${session.inputNames} → ${session.outputNames}).`);
  state.bytes = bytes;
  state.name = name;
  state.session = session;
  state.dtype = inputType(session);
  $('o-info').textContent = `${name}: ${bytes.length} bytes, ${state.dtype}, loaded into onnxruntime-web.`;
  $('o-info').dataset.loaded = name;
}

async function loadFromServer() {
  const id = $('o-model').value.trim();
  if (!id) throw new Error('Give the model id.');
  const { bytes, name } = await fetchOnnx(id, $('o-dtype').value);
  await open(bytes, name);
  setStatus(`Loaded ${name} from the server; running it needs no server from here on.`);
}

async function openFile() {
  const f = $('o-file').files[0];
  if (!f) return;
  await open(new Uint8Array(await f.arrayBuffer()), f.name);
  setStatus(`Opened ${f.name}.`);
}

function showTable() {
  const body = $('o-table').tBodies[0];
  body.textContent = '';
  const fmt = (v) => (v ? v.map((x) => x.toPrecision(10)).join(', ') : '');
  state.rows.forEach((x, i) => {
    const tr = body.insertRow();
    tr.insertCell().textContent = x.join(', ');
    tr.insertCell().textContent = fmt(state.ort?.[i]);
    tr.insertCell().textContent = fmt(state.server?.[i]);
  });
  $('o-table').dataset.ort = state.ort ? JSON.stringify(state.ort) : '';
  $('o-table').dataset.server = state.server ? JSON.stringify(state.server) : '';
}

async function runHere() {
  const rows = rowsOf($('o-inputs').value);
  const width = rows[0].length;
  if (rows.some((r) => r.length !== width)) throw new Error('Every row needs the same number of inputs.');
  const Arr = state.dtype === 'float64' ? Float64Array : Float32Array;
  const input = new ort.Tensor(state.dtype, Arr.from(rows.flat()), [rows.length, width]);
  const { output } = await state.session.run({ input });
  const n = output.dims[1];
  state.rows = rows;
  state.ort = rows.map((_, i) => Array.from(output.data.slice(i * n, (i + 1) * n), Number));
  state.server = null;
  $('o-diff').textContent = '';
  delete $('o-diff').dataset.max;
  showTable();
  setStatus(`Ran ${rows.length} row(s) in this browser with onnxruntime-web (${state.dtype}).`);
}

async function compare() {
  if (!state.ort) await runHere();
  const id = $('o-model').value.trim();
  const r = (await api('POST', `/v1/models/${encodeURIComponent(id)}/predict`, { inputs: state.rows })).body;
  state.server = r.outputs;
  let worst = 0;
  state.ort.forEach((row, i) => row.forEach((a, j) => {
    const b = state.server[i][j], scale = Math.max(Math.abs(a), Math.abs(b));
    if (scale > 0) worst = Math.max(worst, Math.abs(a - b) / scale);
  }));
  showTable();
  $('o-diff').dataset.max = String(worst);
  $('o-diff').textContent = `Largest relative difference to the server's predict (version ${r.version}): ${worst.toExponential(2)}` +
    (state.dtype === 'float32' ? ' (float32 rounds to about 1e-7).' : '.');
  setStatus('Compared with the server.');
}

function init() {
  const q = new URLSearchParams(location.search);
  if (q.get('model')) $('o-model').value = q.get('model');
  if (q.get('dtype') === 'float32') $('o-dtype').value = 'float32';
  action('o-load', loadFromServer);
  action('o-save', async () => saveBytes(state.bytes, state.name));
  action('o-run', runHere);
  action('o-compare', compare);
  $('o-file').addEventListener('change', () => openFile().catch((e) => setStatus(e.message, true)).finally(buttons));
  $('o-model').addEventListener('input', buttons);
  buttons();
  setStatus('Ready: load the model from the server or open a file.');
  document.body.dataset.ready = '1';
}

init();

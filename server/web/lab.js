// lab.js - the lab page: wires the forms to the API (api.js), the
// drawings (charts.js), the step explanation (explain.js) and the lecture
// beside it (lecture.js).
import { api, ApiError, followJob, getToken, jobFinished, jobHistory, setToken } from './api.js';
import { drawHeat, drawLoss, drawNetwork, planeOf, scaleOf } from './charts.js';
import { FIELDS, applyFields, readState, writeState } from './urlstate.js';
import { initDatasets } from './datasets.js';
import { fmt, renderStep } from './explain.js';
import { showLecture } from './lecture.js';
import { fetchOnnx, saveBytes } from './download.js';
import { clearEvaluation, realDataSpec, showEvaluation, showJobWarnings, showWarnings } from './realdata.js';

const $ = (id) => document.getElementById(id);
const GRID = 40;          // heat map resolution: GRID x GRID points
const MAP_VALUES = 262144; // the most values (points x units) one activations answer holds
const SAMPLES_SHOWN = 2000;

const state = {
  model: null,      // GET /v1/models/{id}
  weights: null,    // GET /v1/models/{id}/weights
  samples: [],      // up to SAMPLES_SHOWN, for the heat map and "use sample"
  curve: [],        // epochs of the job on show
  job: null,        // the job on show
  training: false,
  trace: null,      // the last explained step, with its x, d, learning rate
  heat: null,       // the last heat map: {plane, values, scale, n}
  classSet: null,   // the class dataset chosen (its id)
  maps: null,       // each unit's output over the plane: {n, layers: [{activation, units}]}
};

function setStatus(msg, isError = false) {
  const s = $('status');
  s.textContent = msg;
  s.classList.toggle('error', isError);
  s.dataset.state = isError ? 'error' : 'ok';
}

// A button's action: the button is disabled while it runs; an API error
// is shown in the status line (never thrown to the console).
function action(id, fn) {
  const b = $(id);
  b.addEventListener('click', async () => {
    if (b.dataset.busy) return;
    b.dataset.busy = '1';
    b.disabled = true;
    try {
      await fn();
    } catch (e) {
      setStatus(e instanceof ApiError ? `${e.message} (${e.status} ${e.code})` : `Error: ${e.message}`, true);
    } finally {
      delete b.dataset.busy;
      b.disabled = false;
      updateButtons();
    }
  });
}

function num(id, { int = false, min = -Infinity, max = Infinity } = {}) {
  const v = Number($(id).value);
  const label = $(id).closest('label')?.firstChild?.textContent.trim() || id;
  if ($(id).value.trim() === '' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v)))
    throw new Error(`${label} must be ${int ? 'an integer' : 'a number'}${min > -Infinity ? ` ≥ ${min}` : ''}${max < Infinity ? ` and ≤ ${max}` : ''}.`);
  return v;
}

function vector(text, what) {
  const parts = text.split(/[,\s]+/).filter((p) => p !== '');
  const v = parts.map(Number);
  if (!v.length || v.some((x) => !Number.isFinite(x))) throw new Error(`${what} must be numbers separated by commas.`);
  return v;
}

const mid = () => encodeURIComponent(state.model.id);
const outputsOf = (m) => m.layers[m.layers.length - 1].units;

let dsets = null; // the class datasets' part of the page (datasets.js)

function updateButtons() {
  if (dsets) dsets.updateButtons();
  const has = !!state.model;
  for (const id of ['generate', 'upload', 'train', 'explain', 's-load', 'predict', 'versions-refresh', 'onnx-download'])
    if (!$(id).dataset.busy) $(id).disabled = !has || (state.training && id !== 'predict');
  $('apply').disabled = !has || !state.trace || state.training;
  $('cancel').disabled = !state.training || !state.job || jobFinished(state.job);
}

// ---- network ------------------------------------------------------------

async function presetLecture() {
  $('m-name').value = 'lecture-2-3-1';
  $('m-inputs').value = 2;
  $('m-hidden').value = '3';
  $('m-hidden-act').value = 'sigmoid';
  $('m-outputs').value = 1;
  $('m-out-act').value = 'linear';
  $('m-loss').value = 'mse';
  $('m-seed').value = 42;
  $('m-scale').value = 'none';
  $('m-tscale').value = 'none';
  $('m-classes').value = '';
  $('m-classes-csv').checked = false;
  await createModel();
  setStatus(`Created the lecture's 2-3-1 network (2 inputs, 3 sigmoid hidden units, 1 linear output, mse) as model ${state.model.id}.`);
}

function specFromForm() {
  const hidden = $('m-hidden').value.trim();
  const units = hidden ? hidden.split(/[,\s]+/).filter(Boolean).map(Number) : [];
  if (units.some((u) => !Number.isInteger(u) || u < 1)) throw new Error('Hidden units must be positive integers, e.g. 3 or 8,8.');
  const act = $('m-hidden-act').value;
  return {
    name: $('m-name').value.trim() || 'lab',
    inputs: num('m-inputs', { int: true, min: 1 }),
    layers: [...units.map((u) => ({ units: u, activation: act })),
      { units: num('m-outputs', { int: true, min: 1 }), activation: $('m-out-act').value }],
    loss: $('m-loss').value,
    init: { method: 'xavier', seed: num('m-seed', { int: true, min: 0 }) },
  };
}

async function createModel() {
  const created = (await api('POST', '/v1/models', await realDataSpec(specFromForm()))).body;
  await loadModelList(created.id);
  await openModel(created.id);
  setStatus(`Created model ${created.id} (${created.name}).`);
}

async function loadModelList(select) {
  const list = (await api('GET', '/v1/models')).body.models || [];
  const sel = $('models');
  sel.replaceChildren(...(list.length ? [] : [new Option('(none yet)', '')]),
    ...list.map((m) => new Option(`${m.name} (${m.id}, ${m.samples} samples)`, m.id)));
  if (select) sel.value = select;
}

const LAST_MODEL_KEY = 'mlpd-lab-model';

async function openModel(id) {
  state.model = (await api('GET', `/v1/models/${encodeURIComponent(id)}`)).body;
  try { localStorage.setItem(LAST_MODEL_KEY, id); } catch { /* not kept */ }
  state.trace = null;
  state.maps = null;
  state.heat = null;
  networkToForm(state.model);
  syncUrl();
  $('explanation').replaceChildren();
  clearEvaluation();
  showWarnings(null);
  await Promise.all([loadWeights(), loadSamples(), loadVersions(), loadLastCurve()]);
  showModelInfo();
  await refreshHeat();
  if (state.samples.length) useSample(0);
  updateButtons();
}

// The open model's architecture in the network form (so that the
// page's link describes the network on show).
function networkToForm(m) {
  const hidden = m.layers.slice(0, -1), out = m.layers[m.layers.length - 1];
  $('m-name').value = m.name;
  $('m-inputs').value = m.inputs;
  $('m-hidden').value = hidden.map((l) => l.units).join(',');
  if (hidden.length && hidden.every((l) => l.activation === hidden[0].activation)) $('m-hidden-act').value = hidden[0].activation;
  $('m-outputs').value = out.units;
  $('m-out-act').value = out.activation;
  $('m-loss').value = m.loss;
  if (m.init && Number.isInteger(m.init.seed)) $('m-seed').value = m.init.seed;
}

// The page's state into its address, and the share field.
function syncUrl() {
  const href = writeState(document, { model: state.model?.id, dataset: state.classSet });
  $('share-url').value = href;
}

async function shareLink() {
  syncUrl();
  const href = $('share-url').value;
  try {
    await navigator.clipboard.writeText(href);
    setStatus('Link copied: it opens this page with the same network, data and training settings.');
  } catch {
    $('share-url').select();
    setStatus('Copy the link from the field beside the button.');
  }
}

function showModelInfo() {
  const m = state.model;
  const layers = m.layers.map((l) => `${l.units} ${l.activation}`).join(' → ');
  const pre = m.preprocessing ? `; scaling inputs ${m.preprocessing.inputs}, targets ${m.preprocessing.targets}` : '';
  const cls = m.classes ? `; classes ${m.classes.join(', ')}` : '';
  $('model-info').textContent = `Model ${m.id}: ${m.inputs} inputs → ${layers}, loss ${m.loss}${pre}${cls}; weights version ${m.version}, ${m.params} parameters.`;
  $('model-info').dataset.modelId = m.id;
  showOnnxLink();
}

async function loadWeights() {
  state.weights = (await api('GET', `/v1/models/${mid()}/weights`)).body;
  drawNetwork($('net-canvas'), state.model, state.weights, state.maps);
}

// ---- data ---------------------------------------------------------------

async function loadSamples() {
  const out = [];
  let total = 0;
  do {
    const page = (await api('GET', `/v1/models/${mid()}/samples?offset=${out.length}&limit=1000`)).body;
    total = page.total;
    out.push(...page.samples);
    if (!page.samples.length) break;
  } while (out.length < Math.min(total, SAMPLES_SHOWN));
  state.samples = out;
  state.model.samples = total;
  $('data-info').textContent = total
    ? `${total} samples${total > out.length ? ` (${out.length} drawn)` : ''}.`
    : 'No samples yet.';
  $('data-info').dataset.total = String(total);
  $('s-index').max = String(Math.max(out.length - 1, 0));
}

async function generate() {
  const q = new URLSearchParams({
    generate: $('d-set').value,
    n: String(num('d-n', { int: true, min: 1 })),
    noise: String(num('d-noise', { min: 0 })),
    seed: String(num('d-seed', { int: true, min: 0 })),
  });
  if ($('d-replace').checked) await api('DELETE', `/v1/models/${mid()}/samples`);
  const r = (await api('POST', `/v1/models/${mid()}/samples?${q}`)).body;
  await loadSamples();
  await refreshHeat();
  useSample(0);
  setStatus(`Generated ${r.added} ${$('d-set').value} samples on the server (${r.total} in all).`);
}

async function uploadCsv() {
  const file = $('d-csv').files[0];
  if (!file) throw new Error('Choose a CSV file first.');
  const text = await file.text();
  if ($('d-replace').checked) await api('DELETE', `/v1/models/${mid()}/samples`);
  const r = (await api('POST', `/v1/models/${mid()}/samples`, text, 'text/csv')).body;
  await loadSamples();
  await refreshHeat();
  setStatus(`Uploaded ${r.added} samples from ${file.name} (${r.total} in all).`);
}

// ---- heat map -------------------------------------------------------------

let heatBusy = false, heatAgain = false, heatLast = 0;

// The output surface and every unit's map, from one
// POST /v1/models/{id}/activations over a grid of the plane (while
// training, with the weights too, so the drawing's lines follow).
async function refreshHeat(withWeights = false) {
  const m = state.model;
  const canvas = $('heatmap');
  if (!m || m.inputs !== 2) {
    state.heat = null;
    state.maps = null;
    canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    $('heat-caption').textContent = 'The heat map needs a model with 2 inputs.';
    if (m) drawNetwork($('net-canvas'), m, state.weights, null);
    return;
  }
  if (heatBusy) { heatAgain = true; return; }
  heatBusy = true;
  try {
    const plane = planeOf(state.samples);
    const units = m.layers.reduce((a, l) => a + l.units, 0);
    const n = Math.max(2, Math.min(GRID, Math.floor(Math.sqrt(MAP_VALUES / units))));
    const body = { grid: { x_range: [plane.x0, plane.x1], y_range: [plane.y0, plane.y1], n } };
    const [r, w] = await Promise.all([
      api('POST', `/v1/models/${mid()}/activations`, body),
      withWeights ? api('GET', `/v1/models/${mid()}/weights`) : null]);
    if (!state.model || state.model.id !== m.id) return; // another model opened meanwhile
    if (w) state.weights = w.body;
    const layers = r.body.layers;
    const outs = outputsOf(m);
    const values = layers[layers.length - 1].outputs.map((o) => (outs === 2 ? o[1] : o[0]));
    state.maps = {
      n,
      layers: layers.map((l) => ({
        activation: l.activation,
        units: Array.from({ length: l.units }, (_, u) => l.outputs.map((row) => row[u])),
      })),
    };
    const scale = scaleOf(state.samples, outs);
    state.heat = { plane, values, scale, n };
    drawHeat(canvas, plane, n, values, state.samples, scale);
    drawNetwork($('net-canvas'), m, state.weights, state.maps);
    canvas.dataset.drawn = String(Number(canvas.dataset.drawn || 0) + 1);
    canvas.dataset.plane = JSON.stringify(plane);
    canvas.dataset.grid = String(n);
    canvas.dataset.version = String(r.body.version);
    $('heat-caption').textContent = `${scale.classes ? 'Output (class 1 blue, class 0 orange; dark cells: the 0.5 boundary)' : 'Output surface (blue high, orange low)'} over x₁ ∈ [${fmt(plane.x0)}, ${fmt(plane.x1)}], x₂ ∈ [${fmt(plane.y0)}, ${fmt(plane.y1)}], weights version ${r.body.version}.`;
  } finally {
    heatBusy = false;
    heatLast = Date.now();
  }
  if (heatAgain) { heatAgain = false; await refreshHeat(withWeights); }
}

// During training: at most one refresh every 500 ms.
function scheduleHeat() {
  if (Date.now() - heatLast > 500) refreshHeat(true).catch(() => {});
}

// ---- training -------------------------------------------------------------

function trainParams() {
  return {
    epochs: num('t-epochs', { int: true, min: 1 }),
    learning_rate: num('t-lr', { min: 0 }),
    batch_size: num('t-batch', { int: true, min: 1 }),
    optimizer: $('t-opt').value,
    validation_split: num('t-val', { min: 0, max: 0.95 }),
    seed: num('t-seed', { int: true, min: 0 }),
    shuffle: true,
  };
}

function redrawCurve() {
  drawLoss($('loss-chart'), state.curve);
  $('loss-chart').dataset.epochs = String(state.curve.length);
}

// At most one redraw per frame, however fast the epochs come.
let curvePending = false;
function scheduleCurve() {
  if (curvePending) return;
  curvePending = true;
  requestAnimationFrame(() => { curvePending = false; redrawCurve(); });
}

function showJob(job) {
  state.job = job;
  const loss = Number.isFinite(job.loss) ? `, loss ${fmt(job.loss)}` : '';
  const val = Number.isFinite(job.val_loss) ? `, validation ${fmt(job.val_loss)}` : '';
  const err = job.error ? ` (${job.error})` : '';
  $('train-info').textContent = `Job ${job.id}: ${job.status}, epoch ${job.epoch ?? 0} of ${job.epochs}${loss}${val}${err}.`;
  $('train-info').dataset.status = job.status;
  showWarnings(job);
  updateButtons();
}

async function loadLastCurve() {
  const h = (await api('GET', `/v1/models/${mid()}/history`)).body.history || [];
  const last = h.length ? h[h.length - 1].job_id : null;
  state.curve = h.filter((e) => e.job_id === last);
  redrawCurve();
}

// While the POST is pending (a server that trains inside the request),
// find the running job in the model's job list so that Cancel works.
// Such a server may hold other requests on the connection's thread until
// the training ends: each look gives up after a second, so that the next
// one goes over another connection.
function watchForJob(stop) {
  const tick = async () => {
    if (stop.done) return;
    try {
      const jobs = (await api('GET', `/v1/models/${mid()}/jobs`, undefined, undefined, 1000)).body.jobs || [];
      const running = jobs.find((j) => j.status === 'running' || j.status === 'queued');
      if (running && !stop.done) showJob(running);
    } catch { /* the POST's answer decides */ }
    if (!stop.done) setTimeout(tick, 400);
  };
  setTimeout(tick, 300);
}

async function train() {
  const params = trainParams();
  state.training = true;
  state.curve = [];
  redrawCurve();
  clearEvaluation();
  showWarnings(null);
  updateButtons();
  setStatus('Training...');
  const stop = { done: false };
  try {
    watchForJob(stop);
    let job;
    try {
      job = (await api('POST', `/v1/models/${mid()}/train`, params)).body;
    } finally {
      stop.done = true;
    }
    showJob(job);
    const modelId = state.model.id;
    const { job: end, via } = await followJob(job, {
      state: showJob,
      epoch: (e) => {
        // A reconnected stream may repeat epochs: keep each once.
        const last = state.curve[state.curve.length - 1];
        if (last && e.epoch <= last.epoch) return;
        state.curve.push(e);
        scheduleCurve();
        scheduleHeat();
      },
      tick: async (j) => {
        if (jobFinished(j)) return;
        state.curve = await jobHistory(modelId, j.id);
        redrawCurve();
        scheduleHeat();
      },
    });
    // The stored history is the whole truth (events may have been missed).
    state.curve = await jobHistory(modelId, end.id);
    redrawCurve();
    $('train-info').dataset.via = via;
    state.training = false;
    state.model = (await api('GET', `/v1/models/${mid()}`)).body;
    showModelInfo();
    await Promise.all([loadWeights(), loadVersions()]);
    await refreshHeat();
    showJob(end);
    await showJobWarnings(end.id);
    if (end.status === 'succeeded') await showEvaluation(state.model, end);
    const first = state.curve[0], last = state.curve[state.curve.length - 1];
    setStatus(`Training ${end.status}${first && last ? `: loss ${fmt(first.loss)} → ${fmt(last.loss)} in ${last.epoch} epochs` : ''} (followed by ${via}).`, end.status === 'failed');
  } finally {
    state.training = false;
    updateButtons();
  }
}

// Retried over another connection if one is held (see watchForJob).
async function cancel() {
  if (!state.job) return;
  for (let attempt = 1; ; attempt++) {
    try {
      const j = (await api('DELETE', `/v1/jobs/${encodeURIComponent(state.job.id)}`, undefined, undefined, 1500)).body;
      if (j && j.status) showJob(j);
      setStatus('Cancel requested.');
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'network' || attempt === 5) throw e;
    }
  }
}

// ---- versions -------------------------------------------------------------

async function loadVersions() {
  const list = (await api('GET', `/v1/models/${mid()}/versions`)).body.versions || [];
  const body = $('versions').tBodies[0];
  body.replaceChildren();
  const current = state.model.version;
  for (const v of list.slice().reverse()) {
    const tr = document.createElement('tr');
    const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.append(td); };
    cell(v.version === current ? `${v.version} (current)` : String(v.version), 'num');
    cell(v.source);
    cell(Number.isFinite(v.loss) ? fmt(v.loss) : '–', 'num');
    cell(v.created_at ? v.created_at.replace('T', ' ').replace('Z', '') : '');
    const td = document.createElement('td');
    if (v.version !== current) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary';
      b.textContent = 'Restore';
      b.setAttribute('aria-label', `Restore version ${v.version}`);
      b.addEventListener('click', () => restore(v.version).catch((e) => setStatus(e.message, true)));
      td.append(b);
    }
    tr.append(td);
    body.append(tr);
  }
  $('versions').dataset.count = String(list.length);
}

async function restore(n) {
  await api('POST', `/v1/models/${mid()}/versions/${n}/restore`);
  state.model = (await api('GET', `/v1/models/${mid()}`)).body;
  showModelInfo();
  await Promise.all([loadWeights(), loadVersions()]);
  await refreshHeat();
  setStatus(`Restored version ${n} as version ${state.model.version}.`);
}

// ---- explain one step -----------------------------------------------------

function useSample(i) {
  const s = state.samples[i];
  if (!s) return;
  $('s-index').value = i;
  $('s-x').value = s.x.join(', ');
  $('s-d').value = s.y.join(', ');
}

function stepBody(apply) {
  const x = vector($('s-x').value, 'Input x');
  const d = vector($('s-d').value, 'Target d');
  return { x, y: d, learning_rate: num('s-lr', { min: 0 }), apply };
}

async function explain() {
  const body = stepBody(false);
  const t = (await api('POST', `/v1/models/${mid()}/step`, body)).body;
  state.trace = { ...body };
  renderStep($('explanation'), t, state.model, body.x, body.y);
  $('explanation').focus();
  setStatus(`Explained one step on version ${t.version}: E(n) = ${fmt(t.E_before)}, E(n+1) would be ${fmt(t.E_after)}.`);
}

async function applyStep() {
  if (!state.trace) return;
  const body = { ...state.trace, apply: true };
  const t = (await api('POST', `/v1/models/${mid()}/step`, body)).body;
  state.trace = null;
  renderStep($('explanation'), t, state.model, body.x, body.y);
  state.model = (await api('GET', `/v1/models/${mid()}`)).body;
  showModelInfo();
  await Promise.all([loadWeights(), loadVersions()]);
  await refreshHeat();
  setStatus(`Applied: weights are now version ${t.version}; E went from ${fmt(t.E_before)} to ${fmt(t.E_after)} on this sample.`);
}

// ---- predict --------------------------------------------------------------

async function predict() {
  const rows = $('p-inputs').value.split('\n').map((l) => l.trim()).filter(Boolean)
    .map((l, i) => vector(l, `Row ${i + 1}`));
  if (!rows.length) throw new Error('Give at least one row of inputs.');
  const r = (await api('POST', `/v1/models/${mid()}/predict`, { inputs: rows })).body;
  $('p-out').textContent = rows.map((x, i) => `(${x.join(', ')}) → (${r.outputs[i].map(fmt).join(', ')})${r.labels ? ` ${r.labels[i]}` : ''}`).join('\n');
  $('p-out').dataset.outputs = JSON.stringify(r.outputs);
  setStatus(`Predicted ${rows.length} row(s) with weights version ${r.version ?? state.model.version}.`);
}

// The model as an ONNX file (float32, what onnxruntime-web runs fastest),
// and the demo page that runs it in the browser.
async function downloadOnnx() {
  const { bytes, name } = await fetchOnnx(state.model.id, 'float32');
  saveBytes(bytes, name);
  setStatus(`Saved ${name} (${bytes.length} bytes): ONNX, runs in onnxruntime anywhere.`);
}

function showOnnxLink() {
  $('onnx-demo').href = state.model ? `/web/onnx.html?model=${mid()}` : '/web/onnx.html';
}

// The drawings again from what the page holds (after a resize).
function redrawAll() {
  drawLoss($('loss-chart'), state.curve);
  drawNetwork($('net-canvas'), state.model, state.weights, state.maps);
  if (state.heat) drawHeat($('heatmap'), state.heat.plane, state.heat.n, state.heat.values, state.samples, state.heat.scale);
}

// ---- start ----------------------------------------------------------------

function init() {
  $('token').value = getToken();
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault(); // the form only groups the field; nothing is submitted
    setToken($('token').value.trim());
    setStatus('Token saved in this browser.');
    loadModelList().catch((e) => setStatus(e.message, true));
  });
  $('token-clear').addEventListener('click', () => { setToken(''); $('token').value = ''; setStatus('Token forgotten.'); });
  action('preset-lecture', presetLecture);
  action('create', createModel);
  action('open', async () => { if ($('models').value) await openModel($('models').value); });
  action('refresh-models', () => loadModelList());
  action('generate', generate);
  action('upload', uploadCsv);
  action('train', train);
  action('cancel', cancel);
  action('versions-refresh', loadVersions);
  action('s-load', async () => useSample(num('s-index', { int: true, min: 0 })));
  action('explain', explain);
  action('apply', applyStep);
  action('predict', predict);
  // The lecture is fetched and rendered the first time it is opened.
  $('lecture').addEventListener('toggle', () => {
    if ($('lecture').open) showLecture($('lecture-text')).catch((e) => setStatus(e.message, true));
  });
  action('onnx-download', downloadOnnx);
  action('share', shareLink);
  dsets = initDatasets({
    action, setStatus,
    spec: specFromForm,
    openModel: async (id) => { await loadModelList(id); await openModel(id); },
    model: () => state.model,
    busy: () => state.training,
    setChosen: (id) => { state.classSet = id; syncUrl(); },
    samplesChanged: async () => {
      await loadSamples();
      await refreshHeat();
      useSample(0);
    },
    fillNetwork: (spec, name) => {
      $('m-name').value = name;
      $('m-inputs').value = spec.inputs;
      $('m-outputs').value = spec.outputs;
      $('m-out-act').value = spec.outAct;
      $('m-loss').value = spec.loss;
      if (!$('m-hidden').value.trim()) $('m-hidden').value = '8';
    },
  });
  for (const id of Object.values(FIELDS)) {
    $(id).addEventListener('change', syncUrl);
    $(id).addEventListener('input', syncUrl);
  }
  window.addEventListener('hashchange', () => fromUrl().catch((e) => setStatus(e.message, true)));
  drawLoss($('loss-chart'), []);
  drawNetwork($('net-canvas'), null, null);
  let resizing = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(redrawAll, 150);
  });
  updateButtons();
  fromUrl(true).catch((e) => setStatus(e.message, true));
}

// The state the address holds (a link someone sent), else at start the
// model this browser had open last, if it still exists.
async function fromUrl(atStart = false) {
  const st = readState();
  applyFields(document, st.fields);
  if (st.dataset) state.classSet = st.dataset;
  let last = null;
  try { last = localStorage.getItem(LAST_MODEL_KEY); } catch { /* none */ }
  const want = st.model || (atStart ? last : null);
  await loadModelList(want);
  await dsets.load(st.dataset || state.classSet).catch(() => { /* e.g. no token yet */ });
  if (want && $('models').value === want) {
    await openModel(want);
    applyFields(document, st.fields); // the link's settings win over the model's
    setStatus(st.model ? `Opened model ${want} from the link.` : `Reopened model ${want}.`);
  } else if (st.model) {
    setStatus(`The link's model ${st.model} is not one of yours (or is gone): its settings are in the forms; create the network to start.`, true);
  }
  syncUrl();
}

init();

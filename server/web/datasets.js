// datasets.js - the class datasets in the lab page: pick one (yours or
// a class one, GET /v1/datasets), see its statistics, copy its training
// rows into the open model (POST .../samples {"dataset"}), score the model
// on the held-back test rows (POST .../evaluate) and, for the teacher
// (the dataset's owner), share it, upload one and read the scoreboard.
import { api } from './api.js';
import { fmt } from './explain.js';

const $ = (id) => document.getElementById(id);

function cell(tr, text, cls, tag = 'td') {
  const td = document.createElement(tag);
  td.textContent = text;
  if (cls) td.className = cls;
  if (tag === 'th') td.scope = 'col';
  tr.append(td);
}

// A table; a column of numbers (or number-like text) is right-aligned.
function table(head, rows) {
  const t = document.createElement('table');
  const numeric = head.map((_, i) => rows.every((r) => typeof r[i] === 'number' || /^-?[\d.]/.test(String(r[i]))));
  const thead = t.createTHead().insertRow();
  head.forEach((h, i) => cell(thead, h, numeric[i] ? 'num' : '', 'th'));
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    r.forEach((v, i) => cell(tr, typeof v === 'number' ? fmt(v) : String(v), numeric[i] ? 'num' : ''));
  }
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  wrap.append(t);
  return wrap;
}

// The architecture a dataset asks for: its inputs, one hidden layer, and
// softmax (classes) or linear outputs.
export function specFor(ds) {
  const classes = ds.classes ? ds.classes.length : 0;
  return {
    inputs: ds.inputs,
    outputs: classes ? classes : ds.outputs,
    outAct: classes ? 'softmax' : 'linear',
    loss: classes ? 'cross_entropy' : 'mse',
  };
}

// Does the model take the dataset (a two-class set also fits one output)?
export function fits(model, ds) {
  if (!model || !ds) return false;
  const out = model.layers[model.layers.length - 1].units;
  return model.inputs === ds.inputs && (out === ds.outputs || (!!ds.classes && ds.outputs === 2 && out === 1));
}

export function initDatasets(page) {
  const st = { list: [], chosen: null };

  const chosen = () => st.list.find((d) => d.id === $('ds-list').value) || null;

  function showInfo() {
    const ds = chosen();
    st.chosen = ds;
    page.setChosen(ds ? ds.id : null);
    const info = $('ds-info');
    info.replaceChildren();
    $('ds-score').replaceChildren();
    updateButtons();
    if (!ds) { info.textContent = 'No dataset chosen.'; return; }
    const p = document.createElement('p');
    p.className = 'info';
    p.textContent = `${ds.name} by ${ds.owner} (${ds.visibility}): ${ds.inputs} inputs → ${ds.classes ? `${ds.classes.length} classes` : `${ds.outputs} target${ds.outputs > 1 ? 's' : ''}`}; ${ds.train_rows} rows to train on, ${ds.test_rows} held back for the test.`;
    info.append(p);
    const h = document.createElement('h3');
    h.textContent = 'Training rows';
    info.append(h, table(['Column', 'Mean', 'Std', 'Min', 'Max'],
      [...ds.columns, ...(ds.targets || [])].map((c) => [c.name, c.mean, c.std, c.min, c.max])));
    if (ds.class_counts) info.append(table(['Class', 'Training rows'], Object.entries(ds.class_counts)));
    info.dataset.datasetId = ds.id;
    $('ds-share').textContent = ds.visibility === 'class' ? 'Make it private' : 'Share with the class';
  }

  function updateButtons() {
    const ds = st.chosen, m = page.model();
    $('ds-use').disabled = !ds || !m || page.busy();
    $('ds-evaluate').disabled = !ds || !m || !ds.test_rows || page.busy();
    $('ds-new-model').disabled = !ds || page.busy();
    $('ds-share').disabled = !ds || !ds.mine;
    $('ds-scores-btn').disabled = !ds || !ds.mine;
  }

  async function load(select) {
    st.list = (await api('GET', '/v1/datasets')).body.datasets || [];
    const sel = $('ds-list');
    sel.replaceChildren(new Option(st.list.length ? '(choose a dataset)' : '(none yet)', ''),
      ...st.list.map((d) => new Option(`${d.name} (${d.owner}, ${d.rows} rows${d.visibility === 'class' ? ', class' : ''})`, d.id)));
    if (select && st.list.some((d) => d.id === select)) sel.value = select;
    $('ds-list').dataset.count = String(st.list.length);
    showInfo();
  }

  // The open model's samples become the dataset's training rows.
  async function use() {
    const ds = st.chosen, m = page.model();
    if (!fits(m, ds)) {
      const want = specFor(ds);
      throw new Error(`The model takes ${m.inputs} inputs and gives ${m.layers[m.layers.length - 1].units} outputs; ${ds.name} needs ${want.inputs} and ${want.outputs}. Use "New model for it".`);
    }
    await api('DELETE', `/v1/models/${encodeURIComponent(m.id)}/samples`);
    const r = (await api('POST', `/v1/models/${encodeURIComponent(m.id)}/samples`, { dataset: ds.id })).body;
    await page.samplesChanged();
    page.setStatus(`The model now holds ${ds.name}'s ${r.added} training rows; its ${ds.test_rows} test rows stay on the server.`);
  }

  // A model of the dataset's shape from the network form; for a class
  // set a classifier of its classes (predict then answers labels).
  async function newModel() {
    const ds = st.chosen;
    page.fillNetwork(specFor(ds), ds.name);
    const spec = page.spec();
    if (ds.classes) spec.classes = ds.classes;
    const created = (await api('POST', '/v1/models', spec)).body;
    await page.openModel(created.id);
    await use();
  }

  async function evaluate() {
    const ds = st.chosen, m = page.model();
    const r = (await api('POST', `/v1/models/${encodeURIComponent(m.id)}/evaluate`, { dataset: ds.id, split: 'test' })).body;
    const out = $('ds-score');
    out.replaceChildren();
    const p = document.createElement('p');
    p.className = 'score';
    const pct = (v) => (r.score.metric === 'accuracy' ? `${(100 * v).toFixed(1)}%` : fmt(v));
    p.textContent = `Test ${r.score.metric} ${pct(r.score.value)} on ${r.n} held-back rows (weights version ${r.version}); your best ${pct(r.best.score)} (version ${r.best.version}, ${r.best.evaluations} evaluation${r.best.evaluations === 1 ? '' : 's'}).`;
    out.append(p);
    out.dataset.score = String(r.score.value);
    out.dataset.best = String(r.best.score);
    page.setStatus(`Scored on ${ds.name}'s test rows: ${r.score.metric} ${pct(r.score.value)}.`);
  }

  async function share() {
    const ds = st.chosen;
    const visibility = ds.visibility === 'class' ? 'private' : 'class';
    await api('PATCH', `/v1/datasets/${encodeURIComponent(ds.id)}`, { visibility });
    await load(ds.id);
    page.setStatus(visibility === 'class' ? `${ds.name} is shared with the class.` : `${ds.name} is private again.`);
  }

  async function scores() {
    const ds = st.chosen;
    const r = (await api('GET', `/v1/datasets/${encodeURIComponent(ds.id)}/scores`)).body;
    const out = $('ds-scores');
    out.replaceChildren();
    if (!r.scores.length) { out.textContent = 'No one has been scored on the test rows yet.'; return; }
    out.append(table(['Rank', 'Student', r.metric, 'Loss', 'Version', 'Evaluations', 'Best at'],
      r.scores.map((s) => [String(s.rank), s.user, s.score, s.loss ?? '–', String(s.version), String(s.evaluations), s.best_at.replace('T', ' ').replace(/\.\d+Z$/, '')])));
    out.dataset.rows = String(r.scores.length);
    out.dataset.users = r.scores.map((s) => s.user).join(',');
  }

  async function upload() {
    const file = $('ds-csv').files[0];
    if (!file) throw new Error('Choose a CSV file first.');
    const q = new URLSearchParams({
      name: $('ds-name').value.trim() || file.name.replace(/\.csv$/i, ''),
      test_fraction: $('ds-test').value,
      seed: $('ds-seed').value,
    });
    const r = (await api('POST', `/v1/datasets?${q}`, await file.text(), 'text/csv')).body;
    await load(r.id);
    page.setStatus(`Created dataset ${r.name}: ${r.train_rows} rows to train on, ${r.test_rows} held back.`);
  }

  $('ds-list').addEventListener('change', showInfo);
  page.action('ds-refresh', () => load($('ds-list').value));
  page.action('ds-use', use);
  page.action('ds-new-model', newModel);
  page.action('ds-evaluate', evaluate);
  page.action('ds-share', share);
  page.action('ds-scores-btn', scores);
  page.action('ds-upload', upload);
  return { load, updateButtons, chosen: () => st.chosen };
}

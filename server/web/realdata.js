// realdata.js - the lab page's real-data parts (DESIGN.md "Real data"):
// the scaling and classes of a new model (or the classes and inputs read
// from the chosen CSV file), the job's warnings, and evaluate's results
// after training: accuracy with the confusion matrix as a coloured grid
// for classifiers, r² with mse and mae for regression.
import { api } from './api.js';
import { fmt } from './explain.js';

const $ = (id) => document.getElementById(id);

// One CSV record (RFC 4180: quoted fields, "" inside quotes).
function csvFields(line) {
  const out = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur.trim()); cur = ''; }
    else cur += c;
  }
  out.push(cur.trim());
  return out;
}

// The chosen CSV's class names (last column, in order of appearance) and
// its number of input columns; a first line without numbers is a header.
export async function classesFromCsv(file) {
  if (!file) throw new Error('"Classes from the CSV" needs a CSV file chosen in step 2.');
  const lines = (await file.text()).split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) throw new Error(`${file.name} is empty.`);
  const rows = lines.map(csvFields);
  const isHeader = rows[0].every((f) => f === '' || !Number.isFinite(Number(f)));
  const data = isHeader ? rows.slice(1) : rows;
  const classes = [...new Set(data.map((r) => r[r.length - 1]))];
  if (classes.length < 2) throw new Error(`${file.name}'s last column holds fewer than two classes.`);
  return { classes, inputs: rows[0].length - 1 };
}

// What the network form adds to a create body: preprocessing and classes
// (the output layer then follows the classes: one sigmoid unit for two,
// else a softmax unit per class, with cross-entropy).
export async function realDataSpec(spec) {
  const inputs = $('m-scale').value, targets = $('m-tscale').value;
  let classes = $('m-classes').value.split(',').map((c) => c.trim()).filter(Boolean);
  if ($('m-classes-csv').checked) {
    const got = await classesFromCsv($('d-csv').files[0]);
    classes = got.classes;
    spec.inputs = got.inputs;
  }
  if (inputs !== 'none' || targets !== 'none') spec.preprocessing = { inputs, targets };
  if (classes.length) {
    spec.classes = classes;
    const out = spec.layers[spec.layers.length - 1];
    if (classes.length === 2) Object.assign(out, { units: 1, activation: 'sigmoid' });
    else Object.assign(out, { units: classes.length, activation: 'softmax' });
    spec.loss = 'cross_entropy';
  }
  return spec;
}

// Nothing scored yet (a new model, a job starting).
export function clearEvaluation() {
  const box = $('eval');
  box.replaceChildren();
  for (const k of ['state', 'accuracy', 'r2', 'split']) delete box.dataset[k];
}

// The job as storage has it (event streams do not carry its warnings).
export async function showJobWarnings(jobId) {
  showWarnings((await api('GET', `/v1/jobs/${encodeURIComponent(jobId)}`)).body);
}

export function showWarnings(job) {
  const list = $('t-warnings');
  const w = (job && job.warnings) || [];
  list.replaceChildren(...w.map((text) => {
    const li = document.createElement('li');
    li.textContent = text;
    return li;
  }));
  list.dataset.count = String(w.length);
  list.hidden = !w.length;
}

// A cell's background: white to blue by share of the row's largest count
// (the diagonal, right answers, in blue; mistakes in orange).
function cellColour(v, max, diagonal) {
  const t = max ? v / max : 0;
  const [r, g, b] = diagonal ? [33, 102, 172] : [230, 97, 1];
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

function confusionGrid(cm, classes) {
  const table = document.createElement('table');
  table.className = 'confusion';
  table.id = 'eval-confusion';
  const cap = document.createElement('caption');
  cap.textContent = 'Confusion matrix: rows the true class, columns the predicted';
  table.append(cap);
  const head = table.createTHead().insertRow();
  head.append(document.createElement('th'));
  for (const c of classes) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = c;
    head.append(th);
  }
  const body = table.createTBody();
  const max = Math.max(1, ...cm.flat());
  cm.forEach((row, i) => {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = classes[i];
    tr.append(th);
    row.forEach((v, j) => {
      const td = tr.insertCell();
      td.textContent = String(v);
      td.style.backgroundColor = cellColour(v, max, i === j);
      td.style.color = v / max > 0.55 ? '#fff' : '#111';
      td.dataset.count = String(v);
    });
  });
  return table;
}

// Score the model after a job: its validation rows when it held some out,
// else its training rows; shown under the loss curve.
export async function showEvaluation(model, job) {
  const box = $('eval');
  const split = job.params && job.params.validation_split > 0 ? 'validation' : 'train';
  let r;
  try {
    r = (await api('POST', `/v1/models/${encodeURIComponent(model.id)}/evaluate`, { split })).body;
  } catch (e) {
    box.replaceChildren();
    box.dataset.state = 'none';
    return;
  }
  const m = r.metrics;
  const p = document.createElement('p');
  p.className = 'info';
  if (model.classes) {
    p.textContent = `Evaluate (${split} rows, ${r.n}): accuracy ${fmt(m.accuracy)}, macro F1 ${fmt(m.macro_f1)}, log-loss ${fmt(m.log_loss)}${m.roc_auc != null ? `, ROC AUC ${fmt(m.roc_auc)}` : ''}.`;
    box.replaceChildren(p, confusionGrid(m.confusion_matrix, model.classes));
    box.dataset.accuracy = String(m.accuracy);
  } else {
    p.textContent = `Evaluate (${split} rows, ${r.n}): r² ${fmt(m.r2)}, mse ${fmt(m.mse)}, mae ${fmt(m.mae)} (raw units).`;
    box.replaceChildren(p);
    box.dataset.r2 = String(m.r2);
  }
  box.dataset.split = split;
  box.dataset.state = 'shown';
}

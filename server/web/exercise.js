// exercise.js - the lab page's exercise mode: the step tables of "Explain
// one step" for the student's own variant (GET /v1/exercises/{id}), with
// an empty cell for every number, graded in place by the server (POST
// /v1/exercises/{id}/attempts): a right cell turns green, a wrong one red,
// and a known slip's sentence is shown under the tables. For the teacher
// (an admin token): a new exercise on the lecture's network, and the
// results of each student.
//
// Each cell's data-path is the attempt path the server grades it under
// ("steps[0].layers[0].delta[1]"), so that grades come back to the cell
// they belong to; data-grade is "right" or "wrong" once graded.

import { api, ApiError } from './api.js';
import { el, fmt, naming, pair, sub, sym } from './explain.js';

const $ = (id) => document.getElementById(id);
const state = { variant: null };

function setStatus(msg, isError = false) {
  const s = $('status');
  s.textContent = msg;
  s.classList.toggle('error', isError);
  s.dataset.state = isError ? 'error' : 'ok';
}

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

function updateButtons() {
  $('x-grade').disabled = !state.variant;
  $('x-clear').disabled = !state.variant;
}

// ---- the tables -------------------------------------------------------

function cell(path, label) {
  const input = el('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false',
    'data-path': path, 'aria-label': label, class: 'answer' });
  return el('td', { class: 'val num' }, input, el('span', { class: 'expected' }));
}

function row(symNode, label, formula, path) {
  return el('tr', {}, el('th', { scope: 'row' }, symNode), el('td', { class: 'eq' }, formula), cell(path, label));
}

function table(caption, rows) {
  const t = el('table', {}, el('caption', { class: 'sr' }, caption),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Symbol'), el('th', { scope: 'col' }, 'Rule'),
      el('th', { scope: 'col', class: 'num' }, 'Your value'))));
  const body = el('tbody');
  rows.forEach((r) => body.append(r));
  t.append(body);
  return el('div', { class: 'table-wrap' }, t);
}

function derivativeRule(act) {
  switch (act) {
    case 'sigmoid': return 'f(v)(1 − f(v))';
    case 'tanh': return '1 − f(v)²';
    case 'relu': return '1 if v > 0, else 0';
    default: return '1 (f(v) = v)';
  }
}

// The rows of one step, every cell empty; p is the path prefix of the step.
function stepTables(v, p) {
  const spec = v.network;
  const N = naming(spec);
  const L = spec.layers.length;
  const out = [];
  const fwd = [];
  spec.layers.forEach((layer, l) => {
    const fanIn = l === 0 ? spec.inputs : spec.layers[l - 1].units;
    for (let k = 0; k < layer.units; k++) {
      const u = N.unit(l, k);
      const terms = [];
      for (let i = 0; i < fanIn; i++) {
        const [b, s] = N.inName(l, i);
        terms.push(`w${sub(pair(u, N.srcNum(l, i)))} ${b}${sub(s)}`);
      }
      fwd.push(row(sym('v', u), `v${u}`, `${terms.join(' + ')} + b${sub(u)}`, `${p}layers[${l}].v[${k}]`));
      const [yb, ys] = N.outName(l, k);
      fwd.push(row(sym(yb, ys), `${yb}${ys}`, `f(v${sub(u)}), f = ${layer.activation}`, `${p}layers[${l}].y[${k}]`));
      fwd.push(row(sym("f'", '', el('span', {}, '(v', el('sub', {}, u), ')')), `f'(v${u})`,
        derivativeRule(layer.activation), `${p}layers[${l}].fprime[${k}]`));
    }
  });
  out.push(el('h4', {}, 'Forward path: v = Σ w x + b, y = f(v)'), table('Forward path', fwd));
  const err = [];
  for (let j = 0; j < spec.layers[L - 1].units; j++) {
    const u = N.unit(L - 1, j);
    err.push(row(sym('e', u), `e${u}`, `d${sub(u)} − y${sub(u)}`, `${p}e[${j}]`));
  }
  err.push(row(sym('E', '', '(n)'), 'E(n)', `½ Σ e${sub('j')}²`, `${p}E`));
  err.push(row(sym('E', '', '(n+1)'), 'E(n+1)', 'the same sample after the update', `${p}E_after`));
  out.push(el('h4', {}, 'Error and cost: e = d − y, E = ½ e²'), table('Error and cost', err));
  const back = [];
  for (let l = L - 1; l >= 0; l--) {
    for (let k = 0; k < spec.layers[l].units; k++) {
      const u = N.unit(l, k);
      let rule;
      if (l === L - 1) rule = `e${sub(u)} f′(v${sub(u)})`;
      else {
        const terms = [];
        for (let j = 0; j < spec.layers[l + 1].units; j++)
          terms.push(`w${sub(pair(N.unit(l + 1, j), u))}(n) δ${sub(N.unit(l + 1, j))}`);
        rule = `f′(v${sub(u)}) Σ ${terms.join(' + ')}`;
      }
      back.push(row(sym('δ', u), `delta${u}`, rule, `${p}layers[${l}].delta[${k}]`));
    }
  }
  out.push(el('h4', {}, 'Backward path: local gradients δ (hidden ones use the weights of step n)'),
    table('Local gradients', back));
  const change = [];
  const after = [];
  spec.layers.forEach((layer, l) => {
    const fanIn = l === 0 ? spec.inputs : spec.layers[l - 1].units;
    for (let k = 0; k < layer.units; k++) {
      const u = N.unit(l, k);
      for (let i = 0; i < fanIn; i++) {
        const s = pair(u, N.srcNum(l, i));
        const [b, ss] = N.inName(l, i);
        change.push(row(sym('Δw', s), `Δw${s}`, `η δ${sub(u)} ${b}${sub(ss)}`, `${p}layers[${l}].dw[${k}][${i}]`));
        after.push(row(sym('w', s, '(n+1)'), `w${s}(n+1)`, `w${sub(s)}(n) + Δw${sub(s)}`, `${p}layers[${l}].weights_after[${k}][${i}]`));
      }
      change.push(row(sym('Δb', u), `Δb${u}`, `η δ${sub(u)}`, `${p}layers[${l}].db[${k}]`));
      after.push(row(sym('b', u, '(n+1)'), `b${u}(n+1)`, `b${sub(u)}(n) + Δb${sub(u)}`, `${p}layers[${l}].biases_after[${k}]`));
    }
  });
  out.push(el('h4', {}, 'Changes: Δw = η δ × input, Δb = η δ'), table('Weight and bias changes', change));
  out.push(el('h4', {}, 'New weights: w(n+1) = w(n) + Δw'), table('Weights after the step', after));
  return out;
}

// What the student starts from: W, b of every layer, x, d and η.
function givens(v) {
  const N = naming(v.network);
  const rows = [];
  v.layers.forEach((layer, l) => {
    layer.weights.forEach((r, k) => {
      const u = N.unit(l, k);
      r.forEach((w, i) => rows.push(el('tr', {}, el('th', { scope: 'row' }, sym('w', pair(u, N.srcNum(l, i)))),
        el('td', { class: 'num', 'data-given': `w${pair(u, N.srcNum(l, i))}` }, fmt(w)))));
      rows.push(el('tr', {}, el('th', { scope: 'row' }, sym('b', u)), el('td', { class: 'num' }, fmt(layer.biases[k]))));
    });
  });
  v.x.forEach((x, i) => rows.push(el('tr', {}, el('th', { scope: 'row' }, sym('x', i + 1)), el('td', { class: 'num' }, fmt(x)))));
  const L = v.layers.length;
  v.d.forEach((d, j) => rows.push(el('tr', {}, el('th', { scope: 'row' }, sym('d', N.unit(L - 1, j))), el('td', { class: 'num' }, fmt(d)))));
  rows.push(el('tr', {}, el('th', { scope: 'row' }, 'η'), el('td', { class: 'num' }, fmt(v.learning_rate))));
  const t = el('table', { class: 'givens' }, el('caption', { class: 'sr' }, 'Your numbers'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Given'), el('th', { scope: 'col', class: 'num' }, 'Value'))));
  const body = el('tbody');
  rows.forEach((r) => body.append(r));
  t.append(body);
  return el('div', { class: 'table-wrap' }, t);
}

function render(v) {
  const box = $('x-sheet');
  box.replaceChildren();
  box.append(el('p', { class: 'info' }, `${v.title}: your variant, ${v.user}. ${v.steps} online step${v.steps > 1 ? 's' : ''} on the same sample, each from the weights the last one left; a number is right within a relative error of ${v.tolerance}. Fill any cells, then Grade.`));
  box.append(el('h3', {}, 'Your numbers'), givens(v));
  for (let k = 0; k < v.steps; k++) {
    box.append(el('h3', {}, `Step ${k + 1}`));
    stepTables(v, `steps[${k}].`).forEach((n) => box.append(n));
  }
  $('x-result').replaceChildren();
}

// ---- attempts ----------------------------------------------------------

// Put value at a path like "steps[0].layers[1].dw[0][2]" inside obj.
function place(obj, path, value) {
  const keys = [];
  path.replace(/([A-Za-z_]+)|\[(\d+)\]/g, (m, name, idx) => { keys.push(name !== undefined ? name : Number(idx)); return m; });
  let o = obj;
  keys.forEach((k, n) => {
    if (n === keys.length - 1) { o[k] = value; return; }
    if (o[k] === undefined || o[k] === null) o[k] = typeof keys[n + 1] === 'number' ? [] : {};
    o = o[k];
  });
}

// Arrays with holes become arrays with nulls (numbers not given).
function fillHoles(v) {
  if (Array.isArray(v)) return Array.from(v, (x) => (x === undefined ? null : fillHoles(x)));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillHoles(x)]));
  return v;
}

// The attempt from the cells; vectors and matrices padded to their shapes.
function attemptBody() {
  const v = state.variant;
  const body = { steps: [] };
  let n = 0;
  const bad = [];
  for (const input of $('x-sheet').querySelectorAll('input.answer')) {
    const text = input.value.trim().replace(/\u2212/g, '-');
    delete input.closest('td').dataset.grade;
    input.closest('td').querySelector('.expected').textContent = '';
    if (text === '') continue;
    const x = Number(text);
    if (!Number.isFinite(x)) { bad.push(input.getAttribute('aria-label')); input.closest('td').dataset.grade = 'wrong'; continue; }
    place(body, input.dataset.path, x);
    n++;
  }
  if (bad.length) throw new Error(`Not a number: ${bad.slice(0, 5).join(', ')}.`);
  if (!n) throw new Error('Fill at least one cell.');
  // every given vector at its full length (the server checks the shapes)
  const spec = v.network;
  for (const step of body.steps) {
    if (!step) continue;
    if (step.e) step.e.length = spec.layers[spec.layers.length - 1].units;
    for (const [l, layer] of (step.layers || []).entries()) {
      if (!layer) continue;
      const fanIn = l === 0 ? spec.inputs : spec.layers[l - 1].units;
      for (const [key, q] of Object.entries(layer)) {
        q.length = spec.layers[l].units;
        if (key === 'dw' || key === 'weights_after')
          for (let k = 0; k < q.length; k++) { q[k] = q[k] || []; q[k].length = fanIn; }
      }
    }
  }
  if ($('x-reveal').checked) body.reveal = true;
  return fillHoles(body);
}

function showGrades(r) {
  const byPath = new Map(r.grades.map((g) => [g.path, g]));
  for (const input of $('x-sheet').querySelectorAll('input.answer')) {
    const g = byPath.get(input.dataset.path);
    if (!g) continue;
    const td = input.closest('td');
    td.dataset.grade = g.correct ? 'right' : 'wrong';
    td.querySelector('.expected').textContent = 'expected' in g && !g.correct ? ` ${fmt(g.expected)}` : '';
    td.title = g.correct ? 'right' : `relative error ${fmt(g.rel_error)}`;
  }
  const box = $('x-result');
  box.replaceChildren();
  box.append(el('p', { class: 'score', 'data-score': String(r.score) },
    `Score ${fmt(r.score)}: ${r.correct} of ${r.given} numbers right.`));
  if (r.mistakes.length) {
    const list = el('ul', { class: 'mistakes' });
    for (const m of r.mistakes)
      list.append(el('li', { 'data-code': m.code }, el('strong', {}, m.code.replace(/_/g, ' ')), ': ', m.message,
        ` (${m.paths.length} number${m.paths.length === 1 ? '' : 's'} show it)`));
    box.append(list);
  }
}

async function grade() {
  const body = attemptBody();
  const r = (await api('POST', `/v1/exercises/${encodeURIComponent(state.variant.id)}/attempts`, body)).body;
  showGrades(r);
  setStatus(`Graded: ${r.correct} of ${r.given} right${r.mistakes.length ? `; ${r.mistakes.map((m) => m.code).join(', ')}` : ''}.`);
}

// ---- the exercise list, and the teacher's tools --------------------------

async function loadList(select) {
  const list = (await api('GET', '/v1/exercises')).body.exercises;
  const sel = $('x-list');
  sel.replaceChildren(...(list.length ? list.map((x) => el('option', { value: x.id }, `${x.title} (${x.steps} step${x.steps > 1 ? 's' : ''})`))
    : [el('option', { value: '' }, '(no exercise yet)')]));
  if (select) sel.value = select;
  return list;
}

async function openExercise() {
  const id = $('x-list').value;
  if (!id) throw new Error('Pick an exercise (the teacher creates them).');
  state.variant = (await api('GET', `/v1/exercises/${encodeURIComponent(id)}`)).body;
  render(state.variant);
  setStatus(`Opened "${state.variant.title}": your variant.`);
}

async function createLecture() {
  const steps = Number($('x-steps').value);
  const seed = Number($('x-seed').value);
  const body = { title: $('x-title').value.trim() || 'One step of the lecture', network: 'lecture-2-3-1', steps, seed };
  const x = (await api('POST', '/v1/exercises', body)).body;
  await loadList(x.id);
  setStatus(`Created exercise ${x.id}.`);
}

// The teacher's answer key of the open variant, into its cells.
async function fillKey() {
  if (!state.variant) throw new Error('Open a variant first.');
  const v = state.variant;
  const key = (await api('GET', `/v1/exercises/${encodeURIComponent(v.id)}/solution?user=${encodeURIComponent(v.user)}`)).body;
  const flat = (prefix, val, out) => {
    if (Array.isArray(val)) val.forEach((x, i) => flat(`${prefix}[${i}]`, x, out));
    else if (val && typeof val === 'object') Object.entries(val).forEach(([k, x]) => flat(prefix ? `${prefix}.${k}` : k, x, out));
    else out.set(prefix, val);
    return out;
  };
  const values = flat('', { steps: key.steps }, new Map());
  let n = 0;
  for (const input of $('x-sheet').querySelectorAll('input.answer')) {
    if (!values.has(input.dataset.path)) continue;
    input.value = String(values.get(input.dataset.path));
    n++;
  }
  setStatus(`Filled ${n} cells from the answer key of ${v.user}'s variant.`);
}

async function results() {
  const id = $('x-list').value;
  if (!id) throw new Error('Pick an exercise.');
  const r = (await api('GET', `/v1/exercises/${encodeURIComponent(id)}/results`)).body;
  const rows = r.students.map((s) => el('tr', {}, el('th', { scope: 'row' }, s.name), el('td', { class: 'num' }, String(s.n_attempts)),
    el('td', { class: 'num' }, s.best_score === null ? '–' : fmt(s.best_score)), el('td', {}, s.mistakes.join(', '))));
  const t = el('table', { id: 'x-results-table' }, el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Student'),
    el('th', { scope: 'col', class: 'num' }, 'Attempts'), el('th', { scope: 'col', class: 'num' }, 'Best'), el('th', { scope: 'col' }, 'Slips seen'))));
  const body = el('tbody');
  rows.forEach((x) => body.append(x));
  t.append(body);
  $('x-results').replaceChildren(el('div', { class: 'table-wrap' }, t));
  setStatus(`Results of ${r.title}: ${r.students.length} student(s).`);
}

function init() {
  action('x-refresh', () => loadList());
  action('x-open', openExercise);
  action('x-grade', grade);
  action('x-clear', async () => { if (state.variant) render(state.variant); });
  action('x-create', createLecture);
  action('x-results-btn', results);
  action('x-key', fillKey);
  // lab.js saves a new token first (its listener was added before this one)
  $('token-form').addEventListener('submit', () => loadList().catch(() => { /* not allowed yet */ }));
  updateButtons();
  loadList().catch(() => { /* no token yet, or a server without exercises */ });
}

init();

// explain.js - one step of backpropagation in the lecture's notation
// (seed/backprop-derivation-lecture.md), every number from the server's
// answer to POST /v1/models/{id}/step.
//
// Numbering as in the lecture: inputs x_1..x_n; units numbered 1, 2, ...
// across the layers (the 2-3-1 network: hidden 1-3, output 4); w_ki is
// the weight from input (or unit) i into unit k. Each value cell carries
// the exact number in data-value and its symbol in data-sym.

import { unitNumbers } from './charts.js';

export function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : String(k));
  return e;
}

export function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-4 && a < 1e6 ? String(parseFloat(v.toPrecision(6))) : v.toExponential(4);
}

// A symbol with a subscript: sym('w', '41') -> w<sub>41</sub>.
export function sym(base, sub, sup) {
  const s = el('span', { class: 'eq' }, base);
  if (sub !== undefined && sub !== '') s.append(el('sub', {}, sub));
  if (sup) s.append(sup);
  return s;
}
export const pair = (a, b) => (a > 9 || b > 9 ? `${a},${b}` : `${a}${b}`);
const paren = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));

function row(symNode, key, formula, value) {
  return el('tr', {}, el('th', { scope: 'row' }, symNode), el('td', { class: 'eq' }, formula),
    el('td', { class: 'val num', 'data-sym': key, 'data-value': String(value), title: String(value) }, fmt(value)));
}

function table(caption, rows) {
  const t = el('table', {}, el('caption', { class: 'sr' }, caption),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Symbol'), el('th', { scope: 'col' }, 'Formula with the numbers'), el('th', { scope: 'col', class: 'num' }, 'Value'))));
  const body = el('tbody');
  rows.forEach((r) => body.append(r));
  t.append(body);
  return el('div', { class: 'table-wrap' }, t);
}

// Names for layer l's inputs (x_i, or the previous layer's outputs) and
// its units' outputs (y_hk for hidden units, y_j for output units).
export function naming(spec) {
  const first = unitNumbers(spec);
  const L = spec.layers.length;
  const unit = (l, k) => first[l] + k;
  const outName = (l, k) => (l < L - 1 ? ['y', `h${unit(l, k)}`] : ['y', `${unit(l, k)}`]);
  const inName = (l, i) => (l === 0 ? ['x', `${i + 1}`] : outName(l - 1, i));
  const srcNum = (l, i) => (l === 0 ? i + 1 : unit(l - 1, i));
  return { unit, outName, inName, srcNum, L };
}

function forwardRows(t, spec, N) {
  const rows = [];
  t.layers.forEach((layer, l) => {
    layer.v.forEach((v, k) => {
      const u = N.unit(l, k);
      const terms = [];
      const nums = [];
      layer.input.forEach((x, i) => {
        const [b, s] = N.inName(l, i);
        terms.push(`w${sub(pair(u, N.srcNum(l, i)))} ${b}${sub(s)}`);
        nums.push(`${paren(layer.weights_before[k][i])}·${paren(x)}`);
      });
      const f = `${terms.join(' + ')} + b${sub(u)} = ${nums.join(' + ')} + ${paren(layer.biases_before[k])}`;
      rows.push(row(sym('v', u), `v_${u}`, f, v));
      const [yb, ys] = N.outName(l, k);
      rows.push(row(sym(yb, ys), `${yb}_${ys}`, `f(v${sub(u)}), f = ${layer.activation}`, layer.y[k]));
      rows.push(row(sym("f'", '', el('span', {}, '(v', el('sub', {}, u), ')')), `fprime_${u}`,
        derivative(layer.activation, layer.y[k]), layer.fprime[k]));
    });
  });
  return rows;
}

// Unicode subscripts keep formulas plain text (digits and h only).
export function sub(s) {
  const map = { 0: '₀', 1: '₁', 2: '₂', 3: '₃', 4: '₄', 5: '₅', 6: '₆', 7: '₇', 8: '₈', 9: '₉', h: 'ₕ', ',': ',' };
  return String(s).split('').map((c) => map[c] ?? c).join('');
}

function derivative(act, y) {
  switch (act) {
    case 'sigmoid': return `f(v)(1 − f(v)) = ${fmt(y)}·(1 − ${fmt(y)})`;
    case 'tanh': return `1 − f(v)² = 1 − ${paren(y)}²`;
    case 'linear': return 'f(v) = v, so f′(v) = 1';
    case 'relu': return 'f′(v) = 1 if v > 0, else 0';
    default: return `${act}′(v)`;
  }
}

function errorRows(t, spec, N, d) {
  const rows = [];
  const last = t.layers[N.L - 1];
  t.e.forEach((e, j) => {
    const u = N.unit(N.L - 1, j);
    rows.push(row(sym('e', u), `e_${u}`, `d${sub(u)} − y${sub(u)} = ${paren(d[j])} − ${paren(last.y[j])}`, e));
  });
  const cost = spec.loss === 'mse' ? `½ Σ e${sub('j')}² = ½(${t.e.map((e) => `${paren(e)}²`).join(' + ')})` : `${spec.loss}, before the update`;
  rows.push(row(sym('E', '', '(n)'), 'E', cost, t.E_before));
  rows.push(row(sym('E', '', '(n+1)'), 'E_after', 'the same sample after the update', t.E_after));
  return rows;
}

function deltaRows(t, spec, N) {
  const rows = [];
  for (let l = N.L - 1; l >= 0; l--) {
    const layer = t.layers[l];
    layer.delta.forEach((dl, k) => {
      const u = N.unit(l, k);
      let f;
      if (l === N.L - 1) {
        f = spec.loss === 'mse'
          ? `e${sub(u)} f′(v${sub(u)}) = ${paren(t.e[k])}·${paren(layer.fprime[k])}`
          : `e${sub(u)} (${spec.loss} with ${layer.activation})`;
      } else {
        const up = t.layers[l + 1];
        const terms = up.delta.map((_, j) => `w${sub(pair(N.unit(l + 1, j), u))}(n) δ${sub(N.unit(l + 1, j))}`);
        const nums = up.delta.map((dj, j) => `${paren(up.weights_before[j][k])}·${paren(dj)}`);
        f = `f′(v${sub(u)}) Σ ${terms.join(' + ')} = ${paren(layer.fprime[k])}·(${nums.join(' + ')})`;
      }
      rows.push(row(sym('δ', u), `delta_${u}`, f, dl));
    });
  }
  return rows;
}

function changeRows(t, N, which) {
  const rows = [];
  const eta = t.learning_rate;
  t.layers.forEach((layer, l) => {
    layer.delta.forEach((dl, k) => {
      const u = N.unit(l, k);
      layer.input.forEach((x, i) => {
        const s = pair(u, N.srcNum(l, i));
        const [b, ss] = N.inName(l, i);
        if (which === 'delta') {
          rows.push(row(sym('Δw', s), `dw_${s}`, `η δ${sub(u)} ${b}${sub(ss)} = ${fmt(eta)}·${paren(dl)}·${paren(x)}`, layer.dw[k][i]));
        } else {
          const r = row(sym('w', s, '(n+1)'), `w_${s}`, `w${sub(s)}(n) + Δw${sub(s)} = ${paren(layer.weights_before[k][i])} + ${paren(layer.dw[k][i])}`, layer.weights_after[k][i]);
          if (layer.weights_after[k][i] !== layer.weights_before[k][i]) r.classList.add('changed');
          rows.push(r);
        }
      });
      if (which === 'delta') {
        rows.push(row(sym('Δb', u), `db_${u}`, `η δ${sub(u)} = ${fmt(eta)}·${paren(dl)}`, layer.db[k]));
      } else {
        const r = row(sym('b', u, '(n+1)'), `b_${u}`, `b${sub(u)}(n) + Δb${sub(u)} = ${paren(layer.biases_before[k])} + ${paren(layer.db[k])}`, layer.biases_after[k]);
        if (layer.biases_after[k] !== layer.biases_before[k]) r.classList.add('changed');
        rows.push(r);
      }
    });
  });
  return rows;
}

// Fill container with the explanation of trace t (the step's answer) for
// a model of this spec, on input x with target d.
export function renderStep(container, t, spec, x, d) {
  const N = naming(spec);
  container.replaceChildren();
  const head = t.applied
    ? `Applied: the model's weights are now version ${t.version}.`
    : `Computed on version ${t.version}, not applied: the model is unchanged.`;
  container.append(el('p', { class: 'info', 'data-applied': String(t.applied) }, head,
    ` Input x = (${x.map(fmt).join(', ')}), target d = (${d.map(fmt).join(', ')}), η = ${fmt(t.learning_rate)}.`));
  container.append(el('h3', {}, 'Forward path: v = Σ w x + b, y = f(v)'));
  container.append(table('Forward path', forwardRows(t, spec, N)));
  container.append(el('h3', {}, 'Error and cost: e = d − y, E = ½ e²'));
  container.append(table('Error and cost', errorRows(t, spec, N, d)));
  container.append(el('h3', {}, 'Backward path: local gradients δ (hidden ones use the weights of step n)'));
  container.append(table('Local gradients', deltaRows(t, spec, N)));
  container.append(el('h3', {}, 'Changes: Δw = η δ × input, Δb = η δ'));
  container.append(table('Weight and bias changes', changeRows(t, N, 'delta')));
  container.append(el('h3', {}, t.applied ? 'New weights: w(n+1) = w(n) + Δw (changed rows highlighted)' : 'Weights after, if applied: w(n+1) = w(n) + Δw'));
  container.append(table('Weights after the step', changeRows(t, N, 'after')));
}

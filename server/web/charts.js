// charts.js - the pictures, drawn on <canvas> by hand (no chart library:
// three small drawings do not need one, and the page must work offline
// with no build step): the loss curve, the network, the output heat map.

const COLORS = { train: '#0b5cad', val: '#b8327d', pos: [31, 111, 209], neg: [224, 112, 27],
  axis: '#56606c', grid: '#e4e7eb', text: '#1d232b' };

// Size the canvas's bitmap to its CSS box (times the device pixel
// ratio, for sharp lines and text), clear it, and draw in CSS pixels.
function prepare(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const W = Math.max(1, Math.round(canvas.clientWidth || canvas.width));
  const H = Math.max(1, Math.round(canvas.clientHeight || canvas.height));
  if (canvas.width !== Math.round(W * dpr)) canvas.width = Math.round(W * dpr);
  if (canvas.height !== Math.round(H * dpr)) canvas.height = Math.round(H * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  return { ctx, W, H };
}

function niceNumber(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? String(parseFloat(v.toPrecision(3))) : v.toExponential(1);
}

// The loss per epoch. series: [{epoch, loss, val_loss}], oldest first.
// The y axis is logarithmic when every loss is positive.
export function drawLoss(canvas, series) {
  const { ctx, W, H } = prepare(canvas);
  const L = 56, R = 12, T = 10, B = 30;
  const pts = series.filter((p) => Number.isFinite(p.loss));
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = COLORS.axis;
  if (!pts.length) {
    ctx.fillText('No epochs yet: train to see the loss.', L, H / 2);
    return;
  }
  const vals = [];
  for (const p of pts) {
    vals.push(p.loss);
    if (Number.isFinite(p.val_loss)) vals.push(p.val_loss);
  }
  const log = vals.every((v) => v > 0);
  const tf = log ? Math.log10 : (v) => v;
  let lo = Math.min(...vals.map(tf)), hi = Math.max(...vals.map(tf));
  if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
  const e0 = pts[0].epoch, e1 = Math.max(pts[pts.length - 1].epoch, e0 + 1);
  const x = (e) => L + ((e - e0) / (e1 - e0)) * (W - L - R);
  const y = (v) => T + (1 - (tf(v) - lo) / (hi - lo)) * (H - T - B);
  // grid and labels
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const t = lo + ((hi - lo) * i) / 4;
    const yy = T + (1 - i / 4) * (H - T - B);
    ctx.beginPath(); ctx.moveTo(L, yy); ctx.lineTo(W - R, yy); ctx.stroke();
    ctx.fillStyle = COLORS.axis;
    ctx.fillText(niceNumber(log ? 10 ** t : t), 4, yy + 4);
  }
  ctx.fillText(`epoch ${e0}`, L, H - 8);
  const lastLabel = `${pts[pts.length - 1].epoch}`;
  ctx.fillText(lastLabel, W - R - ctx.measureText(lastLabel).width, H - 8);
  ctx.strokeStyle = COLORS.axis;
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  const line = (key, color) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    for (const p of pts) {
      const v = p[key];
      if (!Number.isFinite(v) || (log && v <= 0)) { started = false; continue; }
      if (started) ctx.lineTo(x(p.epoch), y(v)); else ctx.moveTo(x(p.epoch), y(v));
      started = true;
    }
    ctx.stroke();
  };
  line('val_loss', COLORS.val);
  line('loss', COLORS.train);
}

const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

// The lecture's numbering: inputs x1..xn, then every unit numbered 1, 2,
// ... across the layers (the 2-3-1 network's output is unit 4).
export function unitNumbers(spec) {
  const first = [];
  let n = 1;
  for (const layer of spec.layers) { first.push(n); n += layer.units; }
  return first;
}

// How a unit's outputs become colours in [0, 1]: sigmoid and softmax
// outputs are already there, tanh's [-1, 1] is halved, linear and relu
// are scaled by the largest |y| on the map (0 stays white).
export function unitScale(activation, values) {
  if (activation === 'sigmoid' || activation === 'softmax') return (v) => v;
  if (activation === 'tanh') return (v) => (v + 1) / 2;
  let m = 1e-12;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return (v) => 0.5 + v / (2 * m);
}

// One unit's map as an n x n canvas (t(k) in [0, 1] for cell k).
function mapImage(n, t) {
  const img = new ImageData(n, n);
  for (let k = 0; k < n * n; k++) {
    const c = diverge(t(k));
    img.data.set([c[0], c[1], c[2], 255], 4 * k);
  }
  const tmp = document.createElement('canvas');
  tmp.width = n;
  tmp.height = n;
  tmp.getContext('2d').putImageData(img, 0, 0);
  return tmp;
}

// The network: one column per layer, weights as lines coloured by sign
// and as thick as |w| (relative to the largest). Layers wider than 24
// units show their first 24. With maps ({n, layers: [{activation,
// units: [values over the n x n grid of the input plane]}]}, from
// POST .../activations) every unit is drawn as a small heat map of its
// output over the plane (the inputs as their own ramps), TensorFlow
// Playground's view; canvas.dataset.maps lists where each map went.
export function drawNetwork(canvas, spec, weights, maps = null) {
  const { ctx, W, H } = prepare(canvas);
  if (!spec) { delete canvas.dataset.maps; return; }
  const MAXU = 24;
  const sizes = [spec.inputs, ...spec.layers.map((l) => l.units)].map((n) => Math.min(n, MAXU));
  const cols = sizes.length;
  const withMaps = !!maps && spec.inputs === 2 && maps.layers.length === spec.layers.length;
  const side = withMaps
    ? Math.max(12, Math.min(48, ((W - 60) / Math.max(cols - 1, 1)) * 0.42, (H / (Math.max(...sizes) + 1)) * 0.82))
    : 0;
  const margin = withMaps ? side / 2 + 4 : 30;
  const px = (c) => margin + (c * (W - 2 * margin)) / Math.max(cols - 1, 1);
  const py = (c, i) => (H * (i + 1)) / (sizes[c] + 1);
  let maxAbs = 1e-12;
  const layers = weights ? weights.layers : [];
  for (const l of layers) for (const row of l.weights) for (const w of row) maxAbs = Math.max(maxAbs, Math.abs(w));
  layers.forEach((l, li) => {
    l.weights.slice(0, MAXU).forEach((row, k) => {
      row.slice(0, MAXU).forEach((w, i) => {
        ctx.strokeStyle = rgb(w >= 0 ? COLORS.pos : COLORS.neg);
        ctx.lineWidth = 0.5 + (5.5 * Math.abs(w)) / maxAbs;
        ctx.beginPath();
        ctx.moveTo(px(li), py(li, i));
        ctx.lineTo(px(li + 1), py(li + 1, k));
        ctx.stroke();
      });
    });
  });
  const first = unitNumbers(spec);
  const label = (c, i) => (c === 0 ? `x${i + 1}` : String(first[c - 1] + i));
  if (withMaps) {
    drawMaps(ctx, canvas, sizes, maps, side, px, py, label);
    return;
  }
  delete canvas.dataset.maps;
  const r = Math.max(6, Math.min(14, H / (2.6 * Math.max(...sizes) + 2)));
  ctx.font = `${Math.round(r)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  sizes.forEach((n, c) => {
    for (let i = 0; i < n; i++) {
      ctx.beginPath();
      ctx.arc(px(c), py(c, i), r, 0, 2 * Math.PI);
      ctx.fillStyle = c === 0 ? '#eef1f5' : '#fff';
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = COLORS.axis;
      ctx.stroke();
      ctx.fillStyle = COLORS.text;
      ctx.fillText(label(c, i), px(c), py(c, i));
    }
  });
  ctx.textAlign = 'start';
  ctx.textBaseline = 'alphabetic';
}

// Each unit as its map (a square of side s centred on the unit), with
// its number in a corner tag.
function drawMaps(ctx, canvas, sizes, maps, s, px, py, label) {
  const n = maps.n, rects = [];
  ctx.imageSmoothingEnabled = true;
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  sizes.forEach((count, c) => {
    for (let i = 0; i < count; i++) {
      let t;
      if (c === 0) {
        // x1 grows to the right, x2 upwards (the grid's rows run from the top)
        t = i === 0 ? (k) => ((k % n) + 0.5) / n : (k) => 1 - (Math.floor(k / n) + 0.5) / n;
      } else {
        const layer = maps.layers[c - 1], values = layer.units[i];
        const f = unitScale(layer.activation, values);
        t = (k) => f(values[k]);
      }
      const x = px(c) - s / 2, y = py(c, i) - s / 2;
      ctx.drawImage(mapImage(n, t), x, y, s, s);
      ctx.lineWidth = 1;
      ctx.strokeStyle = COLORS.axis;
      ctx.strokeRect(x, y, s, s);
      const tag = label(c, i), tw = ctx.measureText(tag).width + 4;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(x, y, tw, 12);
      ctx.fillStyle = COLORS.text;
      ctx.fillText(tag, x + 2, y + 1);
      rects.push({ layer: c, unit: i, x: Math.round(x), y: Math.round(y), s: Math.round(s) });
    }
  });
  ctx.textBaseline = 'alphabetic';
  canvas.dataset.maps = JSON.stringify(rects);
  canvas.dataset.mapsDrawn = String(Number(canvas.dataset.mapsDrawn || 0) + 1);
}

// Diverging colour for t in [0, 1]: orange (0), white (0.5), blue (1).
function diverge(t) {
  t = Math.max(0, Math.min(1, t));
  const c = t < 0.5 ? COLORS.neg : COLORS.pos;
  const a = Math.abs(t - 0.5) * 2;
  return [255 + (c[0] - 255) * a, 255 + (c[1] - 255) * a, 255 + (c[2] - 255) * a];
}

// The plane the heat map covers: the samples' extent plus a margin.
export function planeOf(samples) {
  if (!samples.length) return { x0: -1, x1: 1, y0: -1, y1: 1 };
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of samples) {
    x0 = Math.min(x0, s.x[0]); x1 = Math.max(x1, s.x[0]);
    y0 = Math.min(y0, s.x[1]); y1 = Math.max(y1, s.x[1]);
  }
  const mx = Math.max((x1 - x0) * 0.08, 0.1), my = Math.max((y1 - y0) * 0.08, 0.1);
  return { x0: x0 - mx, x1: x1 + mx, y0: y0 - my, y1: y1 + my };
}

// The grid's points, row by row from the top (x2 high) to the bottom.
export function gridPoints(plane, n) {
  const pts = [];
  for (let j = 0; j < n; j++) {
    const x2 = plane.y1 - ((j + 0.5) * (plane.y1 - plane.y0)) / n;
    for (let i = 0; i < n; i++) pts.push([plane.x0 + ((i + 0.5) * (plane.x1 - plane.x0)) / n, x2]);
  }
  return pts;
}

// How an output becomes a colour: classes (0/1 targets, or one-hot
// pairs: the second output) in [0, 1], or a regression's range.
export function scaleOf(samples, outputs) {
  const ys = samples.map((s) => (outputs === 2 ? s.y[1] : s.y[0]));
  const classes = ys.length > 0 && ys.every((v) => v === 0 || v === 1);
  if (classes || !ys.length) return { classes: true, outputs, map: (v) => v };
  const m = Math.max(...ys.map(Math.abs), 1e-9);
  return { classes: false, outputs, map: (v) => 0.5 + v / (2 * m) };
}

// A boundary cell's colour: its side of 0.5, at least half saturated.
const a2 = (v) => (v >= 0.5 ? Math.max(v, 0.75) : Math.min(v, 0.25));

// values: n*n outputs on gridPoints(plane, n); samples drawn on top.
export function drawHeat(canvas, plane, n, values, samples, scale) {
  const { ctx, W, H } = prepare(canvas);
  if (values) {
    const img = new ImageData(n, n);
    for (let k = 0; k < n * n; k++) {
      const c = diverge(scale.map(values[k]));
      img.data.set([c[0], c[1], c[2], 255], 4 * k);
    }
    // The decision boundary (output 0.5): its cells darkened, keeping
    // their hue, so the line shows which side each cell is on.
    if (scale.classes) {
      const edge = [];
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          const k = j * n + i, a = values[k] >= 0.5;
          if ((i + 1 < n && a !== (values[k + 1] >= 0.5)) || (j + 1 < n && a !== (values[k + n] >= 0.5)))
            edge.push(k);
        }
      }
      for (const k of edge) {
        const c = diverge(a2(values[k]));
        img.data.set([c[0] * 0.45, c[1] * 0.45, c[2] * 0.45, 255], 4 * k);
      }
    }
    const tmp = document.createElement('canvas');
    tmp.width = n;
    tmp.height = n;
    tmp.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, 0, 0, W, H);
  }
  const sx = (v) => ((v - plane.x0) / (plane.x1 - plane.x0)) * W;
  const sy = (v) => (1 - (v - plane.y0) / (plane.y1 - plane.y0)) * H;
  for (const s of samples) {
    const t = scale.map(scale.outputs === 2 ? s.y[1] : s.y[0]);
    ctx.beginPath();
    ctx.arc(sx(s.x[0]), sy(s.x[1]), 3, 0, 2 * Math.PI);
    ctx.fillStyle = rgb(diverge(t).map(Math.round));
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = '#222';
    ctx.stroke();
  }
}

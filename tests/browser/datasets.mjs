// tests/browser/datasets.mjs - the lab page's class datasets and per-unit
// maps in Debian's chromium (playwright-core) against a daemon at
// $MLPD_URL with --auth token: the teacher's dataset $DATASET_ID (shared
// with the class) picked by the student ($STUDENT_TOKEN): its statistics
// as the API gives them, a model made for it holding its training rows,
// training with each unit's map redrawn as it goes, every map's pixels
// read back (getImageData) and their mean colour checked against
// POST .../activations coloured here, the test score as the API gives
// it, the page's link restoring the network, data, training settings,
// model and dataset; the teacher's scoreboard naming the student; at
// desktop and phone width (no horizontal scroll), with screenshots to
// $LAB_SHOTS (default build/). Run by tests/e2e/datasets_browser.sh.
import { launchChromium } from './browser.mjs';

const base = process.env.MLPD_URL;
const shots = process.env.LAB_SHOTS || 'build';
const student = process.env.STUDENT_TOKEN, teacher = process.env.TEACHER_TOKEN;
const datasetId = process.env.DATASET_ID;
if (!base || !student || !teacher || !datasetId) {
  console.error('datasets.mjs: set MLPD_URL, STUDENT_TOKEN, TEACHER_TOKEN, DATASET_ID');
  process.exit(2);
}
const watchdog = setTimeout(() => { console.log('  FAIL  the browser test took over 240 s'); process.exit(1); }, 240_000);

let passed = 0, failed = 0;
const ok = (what) => { passed++; console.log(`  ok    ${what}`); };
const fail = (what, detail = '') => { failed++; console.log(`  FAIL  ${what}${detail ? `: ${detail}` : ''}`); };
const check = (what, cond, detail) => (cond ? ok(what) : fail(what, detail));

async function call(token, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const browser = await launchChromium();
const problems = [];
function watch(page) {
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`${msg.text()} (${msg.location().url || ''})`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return page;
}
// A page of a context whose localStorage holds token.
async function pageWith(token, viewport) {
  const ctx = await browser.newContext({ viewport });
  await ctx.addInitScript((t) => { if (!localStorage.getItem('mlpd-lab-token')) localStorage.setItem('mlpd-lab-token', t); }, token);
  return { ctx, page: watch(await ctx.newPage()) };
}
const waitAttr = (page, sel, name, want, timeout = 60_000) =>
  page.waitForFunction(([s, n, w]) => {
    const v = document.querySelector(s)?.getAttribute(n);
    return typeof v === 'string' && (w === null ? v.length > 0 : v === w);
  }, [sel, name, want], { timeout });

// Each map's mean colour and how many colours it has, read from the
// canvas bitmap (CSS pixels times the device pixel ratio).
const readMaps = (page) => page.evaluate(() => {
  const c = document.querySelector('#net-canvas');
  const rects = JSON.parse(c.dataset.maps || '[]');
  const k = c.width / c.clientWidth;
  const ctx = c.getContext('2d');
  return rects.map((r) => {
    const x = Math.round((r.x + 2) * k), y = Math.round((r.y + 14) * k); // inside the border, below the tag
    const w = Math.max(1, Math.round((r.s - 4) * k)), h = Math.max(1, Math.round((r.s - 16) * k));
    const d = ctx.getImageData(x, y, w, h).data;
    const sum = [0, 0, 0], colours = new Set();
    let inked = 0;
    for (let i = 0; i < d.length; i += 4) {
      for (let j = 0; j < 3; j++) sum[j] += d[i + j];
      if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) inked++;
      colours.add(`${d[i] >> 3},${d[i + 1] >> 3},${d[i + 2] >> 3}`);
    }
    const n = d.length / 4;
    // the part of the map read, as fractions of its side
    const part = { x0: 2 / r.s, x1: (r.s - 2) / r.s, y0: 14 / r.s, y1: (r.s - 2) / r.s };
    return { ...r, part, mean: sum.map((v) => v / n), colours: colours.size, inked: inked / n };
  });
});

// The page's colours (charts.js): orange 0, white 0.5, blue 1.
const NEG = [224, 112, 27], POS = [31, 111, 209];
function diverge(t) {
  t = Math.max(0, Math.min(1, t));
  const c = t < 0.5 ? NEG : POS, a = Math.abs(t - 0.5) * 2;
  return c.map((ch) => 255 + (ch - 255) * a);
}
function unitT(act, values) {
  if (act === 'sigmoid' || act === 'softmax') return (v) => v;
  if (act === 'tanh') return (v) => (v + 1) / 2;
  const m = Math.max(1e-12, ...values.map(Math.abs));
  return (v) => 0.5 + v / (2 * m);
}

try {
  const ds = (await call(teacher, 'GET', `/v1/datasets/${datasetId}`)).body;
  const { ctx, page } = await pageWith(student, { width: 1280, height: 900 });
  await page.goto(`${base}/`);
  await waitAttr(page, '#ds-list', 'data-count', null);
  await page.selectOption('#ds-list', datasetId);
  await waitAttr(page, '#ds-info', 'data-dataset-id', datasetId);
  const infoText = await page.textContent('#ds-info');
  const cells = await page.$$eval('#ds-info tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  check('the picker shows the class dataset: counts, each column and class', infoText.includes(`${ds.train_rows} rows to train on, ${ds.test_rows} held back`) &&
    cells.length === ds.columns.length + Object.keys(ds.class_counts).length &&
    ds.columns.every((c, i) => cells[i][0] === c.name && Number(cells[i][3]) === c.min && Number(cells[i][4]) === c.max) &&
    Object.entries(ds.class_counts).every(([k, v], i) => cells[ds.columns.length + i][0] === k && Number(cells[ds.columns.length + i][1]) === v),
  JSON.stringify(cells));

  // ---- a model for it, its training rows ----------------------------------
  await page.fill('#m-hidden', '6');
  await page.selectOption('#m-hidden-act', 'tanh');
  await page.click('#ds-new-model');
  await waitAttr(page, '#data-info', 'data-total', String(ds.train_rows));
  const modelId = await page.getAttribute('#model-info', 'data-model-id');
  const model = (await call(student, 'GET', `/v1/models/${modelId}`)).body;
  check('"New model for it" makes a 2-6-2 softmax classifier of its classes holding the training rows',
    model.inputs === 2 && model.layers[0].units === 6 && model.layers[1].units === ds.classes.length &&
    model.layers[1].activation === 'softmax' && model.samples === ds.train_rows &&
    JSON.stringify(model.classes) === JSON.stringify(ds.classes), JSON.stringify(model));
  await waitAttr(page, '#net-canvas', 'data-maps-drawn', null);
  let maps = await readMaps(page);
  check('each unit is drawn as a map: 2 inputs, 6 hidden, 2 outputs', maps.length === 10 &&
    maps.filter((m) => m.layer === 1).length === 6, JSON.stringify(maps.map((m) => [m.layer, m.unit])));

  // ---- train: the maps follow ------------------------------------------------
  await page.fill('#t-epochs', '120');
  await page.fill('#t-lr', '0.05');
  await page.selectOption('#t-opt', 'adam');
  await page.fill('#t-val', '0');
  await page.fill('#t-batch', '8');
  const drawnBefore = Number(await page.getAttribute('#net-canvas', 'data-maps-drawn'));
  await page.click('#train');
  await waitAttr(page, '#train-info', 'data-status', 'succeeded', 120_000);
  await page.waitForFunction(() => !document.querySelector('#train').disabled, null, { timeout: 60_000 });
  const drawnAfter = Number(await page.getAttribute('#net-canvas', 'data-maps-drawn'));
  check('the maps were redrawn as training went', drawnAfter >= drawnBefore + 2, `${drawnBefore} -> ${drawnAfter}`);

  // ---- every map's pixels against the activations endpoint -----------------
  maps = await readMaps(page);
  const plane = JSON.parse(await page.getAttribute('#heatmap', 'data-plane'));
  const n = Number(await page.getAttribute('#heatmap', 'data-grid'));
  const act = (await call(student, 'POST', `/v1/models/${modelId}/activations`,
    { grid: { x_range: [plane.x0, plane.x1], y_range: [plane.y0, plane.y1], n } })).body;
  let worst = 0, flat = 0;
  for (const m of maps) {
    let t;
    if (m.layer === 0) t = Array.from({ length: n * n }, (_, k) => (m.unit === 0 ? ((k % n) + 0.5) / n : 1 - (Math.floor(k / n) + 0.5) / n));
    else {
      const L = act.layers[m.layer - 1], vals = L.outputs.map((row) => row[m.unit]), f = unitT(L.activation, vals);
      t = vals.map(f);
    }
    const mean = [0, 0, 0];
    let cellsIn = 0;
    t.forEach((v, k) => {
      const fx = ((k % n) + 0.5) / n, fy = (Math.floor(k / n) + 0.5) / n;
      if (fx < m.part.x0 || fx > m.part.x1 || fy < m.part.y0 || fy > m.part.y1) return;
      cellsIn++;
      diverge(v).forEach((c, j) => { mean[j] += c; });
    });
    mean.forEach((c, j) => { mean[j] = c / cellsIn; });
    worst = Math.max(worst, ...mean.map((c, j) => Math.abs(c - m.mean[j])));
    if (m.colours < 8) flat++;
  }
  check('every map is drawn: its mean colour equals the activations endpoint\'s, coloured here (within 16 of 255)',
    maps.length === 10 && maps.every((m) => m.inked > 0.2 || m.colours > 1) && worst < 16, `worst ${worst.toFixed(1)}`);
  check('the maps are pictures, not flat squares (at most 2 flat)', flat <= 2, `${flat} flat`);
  const heat = await page.evaluate(() => {
    const c = document.querySelector('#heatmap');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let blue = 0, orange = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - 31) < 40 && Math.abs(d[i + 1] - 111) < 40 && Math.abs(d[i + 2] - 209) < 40) blue++;
      if (Math.abs(d[i] - 224) < 40 && Math.abs(d[i + 1] - 112) < 40 && Math.abs(d[i + 2] - 27) < 40) orange++;
    }
    return { blue, orange };
  });
  check('the output surface shows both classes', heat.blue > 500 && heat.orange > 500, JSON.stringify(heat));

  // ---- the test score ---------------------------------------------------------
  await page.click('#ds-evaluate');
  await waitAttr(page, '#ds-score', 'data-score', null);
  const shown = Number(await page.getAttribute('#ds-score', 'data-score'));
  const direct = (await call(student, 'POST', `/v1/models/${modelId}/evaluate`, { dataset: datasetId, split: 'test' })).body;
  check('"Test score" shows the server\'s score on the held-back rows', shown === direct.score.value && direct.score.value > 0.8,
    `${shown} vs ${JSON.stringify(direct.score)}`);
  check('the page never read a test row', !problems.length);
  await page.locator('#datasets-panel').screenshot({ path: `${shots}/lab-datasets-desktop.png` });
  await page.locator('#pictures-panel').screenshot({ path: `${shots}/lab-maps-desktop.png` });

  // ---- the link -----------------------------------------------------------------
  const link = page.url();
  const hash = new URLSearchParams(new URL(link).hash.slice(1));
  check('the address holds the network, data, training settings, model and dataset',
    hash.get('model') === modelId && hash.get('dataset') === datasetId && hash.get('hidden') === '6' &&
    hash.get('act') === 'tanh' && hash.get('lr') === '0.05' && hash.get('opt') === 'adam' && hash.get('epochs') === '120', link);
  const again = watch(await ctx.newPage());
  await again.goto(link);
  await waitAttr(again, '#model-info', 'data-model-id', modelId);
  await waitAttr(again, '#ds-info', 'data-dataset-id', datasetId);
  check('the link opens the same model and dataset with the same settings',
    (await again.inputValue('#t-lr')) === '0.05' && (await again.inputValue('#t-opt')) === 'adam' &&
    (await again.inputValue('#m-hidden')) === '6' && (await again.inputValue('#t-batch')) === '8' &&
    (await again.inputValue('#ds-list')) === datasetId);
  await again.close();

  // ---- phone width --------------------------------------------------------------
  const phone = await pageWith(student, { width: 390, height: 844 });
  await phone.page.goto(link);
  await waitAttr(phone.page, '#net-canvas', 'data-maps-drawn', null);
  const pmaps = await readMaps(phone.page);
  check('at phone width the maps are drawn too', pmaps.length === 10 && pmaps.every((m) => m.inked > 0.2 || m.colours > 1),
    JSON.stringify(pmaps.map((m) => m.colours)));
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check('no horizontal scrolling at phone width (390 px)', overflow <= 0, `${overflow}px too wide`);
  await phone.page.locator('#datasets-panel').screenshot({ path: `${shots}/lab-datasets-phone.png` });
  await phone.page.locator('#pictures-panel').screenshot({ path: `${shots}/lab-maps-phone.png` });
  await phone.ctx.close();

  // ---- the teacher's scoreboard ----------------------------------------------------
  const t = await pageWith(teacher, { width: 1280, height: 900 });
  await t.page.goto(`${base}/#dataset=${datasetId}`);
  await waitAttr(t.page, '#ds-info', 'data-dataset-id', datasetId);
  await t.page.click('#datasets-panel details.teacher summary');
  await t.page.click('#ds-scores-btn');
  await waitAttr(t.page, '#ds-scores', 'data-users', null);
  const board = (await call(teacher, 'GET', `/v1/datasets/${datasetId}/scores`)).body;
  check('the teacher sees the scoreboard: the student, best first',
    (await t.page.getAttribute('#ds-scores', 'data-users')) === board.scores.map((s) => s.user).join(',') &&
    board.scores[0].user === 'ana' && board.scores[0].score === direct.best.score);
  await t.page.locator('#datasets-panel').screenshot({ path: `${shots}/lab-datasets-teacher.png` });
  await t.ctx.close();
  check('no console errors', !problems.length, problems.join(' | '));
  await ctx.close();
} catch (e) {
  fail('the test ran to its end', e.stack || String(e));
} finally {
  await browser.close();
  clearTimeout(watchdog);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

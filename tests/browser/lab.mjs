// tests/browser/lab.mjs - the lab page in Debian's chromium (playwright-core)
// against a running daemon at $MLPD_URL: build the lecture's 2-3-1 preset,
// generate xor on the server, train until the loss falls, check the loss
// curve, the network and the heat map by their pixels, check the step
// explanation's numbers against a direct call to the step endpoint, apply
// it, open the lecture beside it (server/web/lecture.md rendered with its
// formulas as MathML), predict, follow a job by server-sent events, cancel a long job,
// make a classifier with input scaling from a CSV's classes, train it and
// check evaluate's accuracy and coloured confusion matrix, see an unscaled
// job's warning, and
// fail on any console error or page error. Screenshots at desktop and
// phone width go to $LAB_SHOTS (default build/). Run by
// tests/e2e/lab_browser.sh.
import { launchChromium } from './browser.mjs';
import { mkdirSync, readFileSync } from 'node:fs';

const base = process.env.MLPD_URL;
const shots = process.env.LAB_SHOTS || 'build';
if (!base) {
  console.error('lab.mjs: set MLPD_URL');
  process.exit(2);
}
// Bounded in time whatever happens.
const watchdog = setTimeout(() => { console.log('  FAIL  the browser test took over 300 s'); process.exit(1); }, 300_000);

let passed = 0, failed = 0;
const ok = (what) => { passed++; console.log(`  ok    ${what}`); };
const fail = (what, detail = '') => { failed++; console.log(`  FAIL  ${what}${detail ? `: ${detail}` : ''}`); };
const check = (what, cond, detail) => (cond ? ok(what) : fail(what, detail));

async function call(method, path, body) {
  const res = await fetch(base + path, {
    method, headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// Does this server stream job events? (Not yet everywhere: the page then
// polls, and the browser logs the events request's 404, which we allow.)
// A route that exists answers another method with 405, a missing one 404.
const serverHasEvents = (await fetch(`${base}/v1/jobs/0000000000000000/events`, { method: 'POST' })).status === 405;

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const consoleProblems = [];
page.on('console', (msg) => {
  if (msg.type() !== 'error') return;
  const url = msg.location().url || '';
  const eventsProbe = /\/v1\/jobs\/[^/]+\/events$/.test(url) && msg.text().startsWith('Failed to load resource') && !serverHasEvents;
  if (!eventsProbe) consoleProblems.push(`${msg.text()} (${url})`);
});
page.on('pageerror', (e) => consoleProblems.push(`page error: ${e.message}`));

const $ = (sel) => page.locator(sel);
const attr = (sel, name) => page.getAttribute(sel, name);
// Wait until an attribute equals want (a string), or is non-empty (null).
// (The page's CSP forbids eval, so no predicate strings.)
const waitAttr = (sel, name, want, timeout = 120_000) =>
  page.waitForFunction(([s, n, w]) => {
    const v = document.querySelector(s)?.getAttribute(n);
    return typeof v === 'string' && (w === null ? v.length > 0 : v === w);
  }, [sel, name, want], { timeout });

// Pixels of a canvas: how many are close to each colour, and how many are
// not white.
async function pixels(sel, colors) {
  return page.evaluate(([s, cs]) => {
    const c = document.querySelector(s);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const counts = Object.fromEntries(Object.keys(cs).map((k) => [k, 0]));
    let inked = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) inked++;
      for (const [k, [r, g, b]] of Object.entries(cs))
        if (Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - g) < 40 && Math.abs(d[i + 2] - b) < 40) counts[k]++;
    }
    return { inked, total: d.length / 4, counts };
  }, [sel, colors]);
}

async function clickAndWait(button, sel, name, pred) {
  await $(button).click();
  await waitAttr(sel, name, pred);
}

try {
  // ---- the page loads, offline-able: only this origin ---------------------
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });
  await page.goto(`${base}/`);
  check('GET / is the lab page', (await page.title()) === 'mlpd lab');

  // ---- keyboard: the preset by Enter, with a visible focus ring -----------
  await page.focus('#preset-lecture');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Shift+Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check('keyboard focus is visible on buttons', outline !== 'none', outline);
  await page.keyboard.press('Enter');
  await waitAttr('#model-info', 'data-model-id', null);
  check('the 2-3-1 preset fills the form and creates the model (by keyboard)',
    (await $('#m-hidden').inputValue()) === '3' && (await $('#m-out-act').inputValue()) === 'linear' &&
    (await $('#m-hidden-act').inputValue()) === 'sigmoid' && (await $('#m-loss').inputValue()) === 'mse');

  // ---- the network it created ------------------------------------------------
  const id = await attr('#model-info', 'data-model-id');
  const model = (await call('GET', `/v1/models/${id}`)).body;
  check('the model is the lecture network',
    model.inputs === 2 && model.layers.length === 2 && model.layers[0].units === 3 &&
    model.layers[0].activation === 'sigmoid' && model.layers[1].units === 1 &&
    model.layers[1].activation === 'linear' && model.loss === 'mse', JSON.stringify(model));
  const net0 = await pixels('#net-canvas', { pos: [31, 111, 209], neg: [224, 112, 27] });
  check('the network is drawn (both weight signs)', net0.counts.pos > 50 && net0.counts.neg > 50, JSON.stringify(net0));

  // ---- xor data, generated on the server ------------------------------------
  await $('#d-set').selectOption('xor');
  await $('#d-n').fill('200');
  await $('#d-noise').fill('0.05');
  await $('#d-seed').fill('1');
  await clickAndWait('#generate', '#data-info', 'data-total', '200');
  const mine = (await call('GET', `/v1/models/${id}/samples?limit=1000`)).body.samples;
  const other = (await call('POST', '/v1/models', { name: 'same-xor', inputs: 2, loss: 'mse',
    layers: [{ units: 3, activation: 'sigmoid' }, { units: 1, activation: 'linear' }] })).body;
  const twin = other && other.id
    ? (await call('POST', `/v1/models/${other.id}/samples?generate=xor&n=200&noise=0.05&seed=1`)).status
    : 0;
  const theirs = twin === 201 ? (await call('GET', `/v1/models/${other.id}/samples?limit=1000`)).body.samples : [];
  check('xor from the page equals xor from curl with the same seed', JSON.stringify(mine) === JSON.stringify(theirs), `twin ${twin}`);

  // ---- train until the loss falls --------------------------------------------
  await $('#t-lr').fill('0.1');
  await $('#t-batch').fill('1');
  await $('#t-opt').selectOption('sgd');
  await $('#t-epochs').fill('300');
  await $('#t-val').fill('0.2');
  let history = [], runs = 0, jobStatus = '';
  do {
    runs++;
    await $('#train').click();
    await waitAttr('#train-info', 'data-via', null);
    await page.waitForFunction(() => !document.querySelector('#train').disabled, null, { timeout: 120_000 });
    jobStatus = await attr('#train-info', 'data-status');
    const h = (await call('GET', `/v1/models/${id}/history`)).body.history;
    const lastJob = h[h.length - 1].job_id;
    history = h.filter((e) => e.job_id === lastJob);
    // stop when the last epoch's loss is under half of the first's
  } while (runs < 3 && !(history.length && history[history.length - 1].loss < 0.5 * history[0].loss));
  const first = history[0].loss, last = history[history.length - 1].loss;
  check(`training succeeded and the loss fell (${first.toFixed(4)} -> ${last.toFixed(4)} in ${runs} run(s))`,
    jobStatus === 'succeeded' && last < 0.5 * first, jobStatus);
  const via = await attr('#train-info', 'data-via');
  check(`the page followed the job by ${via}`, serverHasEvents ? via === 'events' : via === 'polling');
  check('the curve shows every epoch of the job', (await attr('#loss-chart', 'data-epochs')) === String(history.length));
  const curve = await pixels('#loss-chart', { train: [11, 92, 173], val: [184, 50, 125] });
  check('the loss curve is drawn: training and validation lines',
    curve.counts.train > 150 && curve.counts.val > 150, JSON.stringify(curve.counts));

  // The README's picture: the page after the first training.
  mkdirSync(shots, { recursive: true });
  const picsBottom = await page.evaluate(() =>
    document.querySelector('#pictures-panel').getBoundingClientRect().bottom + window.scrollY);
  await page.screenshot({ path: `${shots}/lab-overview.png`, fullPage: true,
    clip: { x: 0, y: 0, width: 1280, height: Math.ceil(picsBottom + 8) } });

  // ---- the heat map agrees with predict ---------------------------------------
  const heat = await pixels('#heatmap', { blue: [31, 111, 209], orange: [224, 112, 27] });
  check('the heat map is drawn with both classes', heat.inked > 0.9 * heat.total &&
    heat.counts.blue > 0.02 * heat.total && heat.counts.orange > 0.02 * heat.total, JSON.stringify(heat));
  const plane = JSON.parse(await attr('#heatmap', 'data-plane'));
  const grid = Number(await attr('#heatmap', 'data-grid'));
  const cells = [];
  for (let j = 2; j < grid; j += 5) for (let i = 2; i < grid; i += 5) cells.push([i, j]);
  const pts = cells.map(([i, j]) => [plane.x0 + ((i + 0.5) * (plane.x1 - plane.x0)) / grid,
    plane.y1 - ((j + 0.5) * (plane.y1 - plane.y0)) / grid]);
  const pred = (await call('POST', `/v1/models/${id}/predict`, { inputs: pts })).body.outputs.map((o) => o[0]);
  const colours = await page.evaluate(([cs, n]) => {
    const c = document.querySelector('#heatmap');
    const ctx = c.getContext('2d');
    return cs.map(([i, j]) => Array.from(ctx.getImageData(Math.floor(((i + 0.5) * c.width) / n), Math.floor(((j + 0.5) * c.height) / n), 1, 1).data));
  }, [cells, grid]);
  let agree = 0, compared = 0;
  cells.forEach(([i, j], k) => {
    const [x1, x2] = pts[k];
    const nearSample = mine.some((s) => Math.hypot((s.x[0] - x1) / (plane.x1 - plane.x0), (s.x[1] - x2) / (plane.y1 - plane.y0)) < 0.03);
    if (nearSample || Math.abs(pred[k] - 0.5) < 0.1) return;
    compared++;
    const [r, , b] = colours[k];
    if ((pred[k] > 0.5) === (b > r)) agree++;
  });
  check(`the heat map's colours match predict (${agree}/${compared} cells)`, compared >= 5 && agree === compared);

  // ---- explain one step: the page's numbers are the server's ------------------
  await $('#s-index').fill('3');
  await $('#s-load').click();
  await $('#s-lr').fill('0.5');
  const versionBefore = (await call('GET', `/v1/models/${id}`)).body.version;
  await clickAndWait('#explain', '#explanation p', 'data-applied', 'false');
  const shown = await page.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll('#explanation [data-sym]')].map((e) => [e.dataset.sym, Number(e.dataset.value)])));
  const s3 = mine[3];
  const direct = (await call('POST', `/v1/models/${id}/step`, { x: s3.x, y: s3.y, learning_rate: 0.5, apply: false })).body;
  const [H, O] = direct.layers;
  const expect = { E: direct.E_before, E_after: direct.E_after, e_4: direct.e[0], v_4: O.v[0], y_4: O.y[0],
    delta_4: O.delta[0], db_4: O.db[0], b_4: O.biases_after[0] };
  for (let k = 0; k < 3; k++) {
    const u = k + 1;
    Object.assign(expect, { [`v_${u}`]: H.v[k], [`y_h${u}`]: H.y[k], [`fprime_${u}`]: H.fprime[k], [`delta_${u}`]: H.delta[k],
      [`db_${u}`]: H.db[k], [`dw_${u}1`]: H.dw[k][0], [`dw_${u}2`]: H.dw[k][1], [`w_${u}1`]: H.weights_after[k][0],
      [`w_4${u}`]: O.weights_after[0][k], [`dw_4${u}`]: O.dw[0][k] });
  }
  const wrong = Object.entries(expect).filter(([k, v]) => shown[k] !== v);
  check(`the explanation shows the step endpoint's ${Object.keys(expect).length} numbers exactly`,
    wrong.length === 0, JSON.stringify(wrong.map(([k, v]) => [k, v, shown[k]])));
  check('the explanation uses the lecture symbols', ['v_1', 'y_h3', 'e_4', 'delta_4', 'dw_41', 'dw_12'].every((k) => k in shown));
  check('explaining does not change the model', (await call('GET', `/v1/models/${id}`)).body.version === versionBefore);

  // ---- apply it: the weights change as shown -----------------------------------
  await clickAndWait('#apply', '#explanation p', 'data-applied', 'true');
  const after = (await call('GET', `/v1/models/${id}/weights`)).body;
  check('Apply stores a new version', after.version === versionBefore + 1, `${after.version}`);
  check('the new weights are the explanation\'s w(n+1)',
    JSON.stringify(after.layers[0].weights) === JSON.stringify(H.weights_after) &&
    JSON.stringify(after.layers[1].weights) === JSON.stringify(O.weights_after) &&
    JSON.stringify(after.layers[1].biases) === JSON.stringify(O.biases_after));
  const changed = await page.locator('#explanation tr.changed').count();
  check(`the changed weights are highlighted (${changed} rows)`, changed >= 8);
  await page.waitForFunction(() => document.querySelectorAll('#versions tbody tr').length >= 3);
  const versionRows = await page.locator('#versions tbody tr').count();
  const versions = (await call('GET', `/v1/models/${id}/versions`)).body.versions;
  check(`the versions list shows every version (${versionRows})`, versionRows === versions.length);

  // ---- the lecture beside the step ------------------------------------------------
  // Its display formulas and aligned rows counted in the markdown file.
  const lectureMd = readFileSync('server/web/lecture.md', 'utf8');
  const blocks = lectureMd.split('$$').filter((_, i) => i % 2 === 1);
  const alignedRows = blocks.filter((b) => b.includes('\\begin{aligned}'))
    .reduce((n, b) => n + b.split('\\\\').length, 0);
  await $('#lecture summary').click();
  await waitAttr('#lecture-text', 'data-loaded', 'yes', 10_000);
  const lec = await page.evaluate(() => {
    const t = document.querySelector('#lecture-text');
    const maths = [...t.querySelectorAll('math[display="block"]')];
    const box = (e) => (e ? e.getBoundingClientRect() : { height: 0 });
    const side = box(document.querySelector('#lecture')), expl = box(document.querySelector('#explanation'));
    return {
      n: maths.length, rows: t.querySelectorAll('mtable mtr').length,
      unknown: [...t.querySelectorAll('.tex-unknown')].map((e) => e.textContent),
      rawTex: /\\[A-Za-z]+|[{}^_$]/.test(t.textContent), title: t.textContent.includes('Backpropagation Learning Rules'),
      flat: maths.filter((e) => box(e).height < 8).length,
      fracH: box(t.querySelector('mfrac')).height, letterH: box(t.querySelector('mi')).height,
      beside: side.left >= expl.right - 1 && side.top < expl.bottom,
    };
  });
  check('the lecture opens beside the step explanation, fetched from /web/lecture.md', lec.title && lec.beside, JSON.stringify(lec));
  check(`its ${blocks.length} display formulas are MathML, each laid out, no TeX left, no unknown command`,
    lec.n === blocks.length && lec.flat === 0 && !lec.rawTex && lec.unknown.length === 0, JSON.stringify(lec));
  check(`the aligned derivations keep their ${alignedRows} rows`, lec.rows === alignedRows, `${lec.rows}`);
  check('fractions are stacked (an mfrac is taller than a letter: the browser lays out MathML)',
    lec.fracH > 1.5 * lec.letterH, `${lec.fracH} vs ${lec.letterH}`);

  // ---- predict -----------------------------------------------------------------
  await $('#p-inputs').fill('0.5, -0.5\n-0.5, -0.5');
  await clickAndWait('#predict', '#p-out', 'data-outputs', null);
  const got = JSON.parse(await attr('#p-out', 'data-outputs'));
  const want = (await call('POST', `/v1/models/${id}/predict`, { inputs: [[0.5, -0.5], [-0.5, -0.5]] })).body.outputs;
  check('the predict form shows the server\'s outputs', JSON.stringify(got) === JSON.stringify(want));

  // ---- following a job by server-sent events -------------------------------------
  // Served by the daemon when it has the endpoint; otherwise replayed here
  // from the finished job, in the endpoint's format, to exercise the page's
  // EventSource path too.
  if (!serverHasEvents) {
    await page.route('**/v1/jobs/*/events', async (route) => {
      const jobId = route.request().url().split('/').slice(-2)[0];
      const job = (await call('GET', `/v1/jobs/${jobId}`)).body;
      const h = (await call('GET', `/v1/models/${job.model_id}/history`)).body.history.filter((e) => e.job_id === jobId);
      let body = `event: state\ndata: ${JSON.stringify({ ...job, status: 'running', epoch: 0 })}\n\n`;
      for (const e of h) body += `event: epoch\ndata: ${JSON.stringify({ epoch: e.epoch, loss: e.loss, val_loss: e.val_loss, time: e.time })}\n\n`;
      body += `event: end\ndata: ${JSON.stringify(job)}\n\n`;
      await route.fulfill({ status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' }, body });
    });
  }
  await $('#t-epochs').fill('40');
  await page.evaluate(() => document.querySelector('#train-info').removeAttribute('data-via'));
  await $('#train').click();
  await waitAttr('#train-info', 'data-via', null);
  check('a job is followed by its server-sent events', (await attr('#train-info', 'data-via')) === 'events');
  check('the curve has the 40 epochs', (await attr('#loss-chart', 'data-epochs')) === '40');
  await page.unrouteAll({ behavior: 'wait' });
  await page.waitForFunction(() => !document.querySelector('#train').disabled);

  // ---- screenshots -------------------------------------------------------------------
  mkdirSync(shots, { recursive: true });
  await page.locator('#explanation').evaluate((e) => e.scrollIntoView());
  await page.screenshot({ path: `${shots}/lab-desktop.png`, fullPage: true });
  await page.locator('#step-panel').screenshot({ path: `${shots}/lab-step.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check('no horizontal scrolling at phone width (390 px)', overflow <= 0, `${overflow}px too wide`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${shots}/lab-phone.png`, fullPage: true });
  ok(`screenshots in ${shots}/lab-desktop.png and ${shots}/lab-phone.png`);
  await page.setViewportSize({ width: 1280, height: 900 });

  // ---- cancel a long job -------------------------------------------------------------
  // A server that trains inside the request answers train at the end; the
  // page finds the running job through GET /v1/models/{id}/jobs meanwhile.
  await $('#d-n').fill('4000');
  await clickAndWait('#generate', '#data-info', 'data-total', '4000');
  await $('#t-epochs').fill('10000');
  await $('#train').click();
  const seen = await page.waitForFunction(() => !document.querySelector('#cancel').disabled ||
    !document.querySelector('#train').disabled, null, { timeout: 120_000 })
    .then(() => page.evaluate(() => !document.querySelector('#cancel').disabled));
  check('Cancel is offered while a job runs', seen);
  if (seen) {
    await $('#cancel').click();
    await page.waitForFunction(() => !document.querySelector('#train').disabled, null, { timeout: 120_000 });
    check('Cancel stops a running job', (await attr('#train-info', 'data-status')) === 'cancelled',
      await $('#train-info').textContent());
  }

  // ---- the lab token: kept in localStorage, sent as a Bearer header ----------------
  await page.locator('.token summary').click();
  await $('#token').fill('tok-123');
  await $('#token').press('Enter');
  await page.waitForFunction(() => /saved/.test(document.querySelector('#status').textContent));
  // Requests from here on (one sent before the token was saved, such as
  // a last poll of the cancelled job, may still be reported first).
  const auth = [];
  page.on('request', (r) => { if (r.url().includes('/v1/')) auth.push(r.headers().authorization || ''); });
  await $('#refresh-models').click();
  await page.waitForFunction(() => !document.querySelector('#refresh-models').disabled);
  const stored = await page.evaluate(() => [localStorage.getItem('mlpd-lab-token'), document.cookie]);
  check('the token is kept in localStorage only and sent as "Authorization: Bearer"',
    stored[0] === 'tok-123' && stored[1] === '' && auth.length > 0 && auth.every((a) => a === 'Bearer tok-123'), JSON.stringify([stored, auth]));
  await $('#token-clear').click();
  auth.length = 0;
  await $('#refresh-models').click();
  await page.waitForFunction(() => !document.querySelector('#refresh-models').disabled);
  check('Forget removes it', auth.length > 0 && auth.every((a) => a === '') &&
    (await page.evaluate(() => localStorage.getItem('mlpd-lab-token'))) === null);

  // ---- CSV upload ---------------------------------------------------------------------
  const csv = 'x1,x2,d\n0.5,-1,0.8\n1,0,0.25\n-0.5,0.5,1\n';
  await page.setInputFiles('#d-csv', { name: 'three.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await clickAndWait('#upload', '#data-info', 'data-total', '3');
  const up = (await call('GET', `/v1/models/${id}/samples`)).body.samples;
  check('a CSV file uploads as the model\'s samples', JSON.stringify(up) ===
    JSON.stringify([{ x: [0.5, -1], y: [0.8] }, { x: [1, 0], y: [0.25] }, { x: [-0.5, 0.5], y: [1] }]), JSON.stringify(up));

  // ---- a reload reopens the model ---------------------------------------------------
  await page.reload();
  await waitAttr('#model-info', 'data-model-id', id);
  await page.waitForFunction(() => Number(document.querySelector('#heatmap').dataset.drawn) >= 1);
  ok('a reload reopens the last model, with its heat map');

  { // ---- real data: scaling, classes from the CSV, warnings, evaluate ----------------
  // Two classes in raw units (a column in the thousands), a header, class names.
  const rows = ['"area, mm2",texture,diagnosis'];
  for (let i = 0; i < 60; i++) {
    const benign = i % 2 === 1;
    const area = (benign ? 500 : 1100) + ((i * 37) % 23) * 20;
    const tex = (benign ? 16 : 22) + ((i * 11) % 7) * 0.5;
    rows.push(`${area},${tex},${benign ? 'benign' : 'malignant'}`);
  }
  const bc = Buffer.from(rows.join('\r\n') + '\r\n');
  await page.setInputFiles('#d-csv', { name: 'cells.csv', mimeType: 'text/csv', buffer: bc });
  await $('#m-name').fill('cells');
  await $('#m-hidden').fill('4');
  await $('#m-hidden-act').selectOption('tanh');
  await $('#m-scale').selectOption('standard');
  await $('#m-classes-csv').check();
  const before = await attr('#model-info', 'data-model-id');
  await $('#create').click();
  await page.waitForFunction((b) => {
    const v = document.querySelector('#model-info')?.getAttribute('data-model-id');
    return v && v !== b;
  }, before, { timeout: 30_000 });
  const cid = await attr('#model-info', 'data-model-id');
  const cm = (await call('GET', `/v1/models/${cid}`)).body;
  check('"classes from the CSV" makes a classifier of the file\'s classes and inputs, with input scaling',
    JSON.stringify(cm.classes) === '["malignant","benign"]' && cm.inputs === 2 && cm.outputs === 1 &&
    cm.layers[1].activation === 'sigmoid' && cm.loss === 'cross_entropy' && cm.preprocessing.inputs === 'standard',
    JSON.stringify(cm));
  await $('#d-replace').uncheck();
  await clickAndWait('#upload', '#data-info', 'data-total', '60');
  const named = (await call('GET', `/v1/models/${cid}`)).body;
  check('the CSV header became feature_names', JSON.stringify(named.feature_names) === '["area, mm2","texture"]',
    JSON.stringify(named.feature_names));
  await $('#t-opt').selectOption('adam');
  await $('#t-lr').fill('0.05');
  await $('#t-batch').fill('8');
  await $('#t-epochs').fill('60');
  await $('#t-val').fill('0.25');
  await $('#train').click();
  await waitAttr('#eval', 'data-state', 'shown');
  const acc = Number(await attr('#eval', 'data-accuracy'));
  const scored = (await call('POST', `/v1/models/${cid}/evaluate`, { split: 'validation' })).body;
  check('after training the page shows evaluate\'s accuracy on the validation rows',
    (await attr('#eval', 'data-split')) === 'validation' && acc === scored.metrics.accuracy && acc > 0.8,
    `${acc} vs ${JSON.stringify(scored.metrics)}`);
  const grid = await page.evaluate(() => [...document.querySelectorAll('#eval-confusion td')].map((td) =>
    [Number(td.dataset.count), getComputedStyle(td).backgroundColor]));
  const flat = scored.metrics.confusion_matrix.flat();
  check('the confusion matrix is a coloured 2 x 2 grid with evaluate\'s counts',
    grid.length === 4 && grid.every(([c], i) => c === flat[i]) &&
    grid.some(([c, bg]) => c > 0 && bg !== 'rgb(255, 255, 255)') &&
    new Set(grid.map(([, bg]) => bg)).size > 1, JSON.stringify(grid));
  check('no warnings for a model that scales its inputs', (await attr('#t-warnings', 'data-count')) === '0');
  await $('#p-inputs').fill('1150, 23\n520, 16');
  await $('#predict').click();
  await page.waitForFunction(() => document.querySelector('#p-out').textContent.includes('→'));
  const pout = await $('#p-out').textContent();
  check('predict shows the label beside the probability', /malignant/.test(pout) && /benign/.test(pout), pout);
  await page.locator('#train-panel').screenshot({ path: `${shots}/lab-realdata.png` });

  // the same data without scaling: the job's warning is shown
  await $('#m-scale').selectOption('none');
  await $('#create').click();
  await page.waitForFunction((b) => {
    const v = document.querySelector('#model-info')?.getAttribute('data-model-id');
    return v && v !== b;
  }, cid, { timeout: 30_000 });
  await clickAndWait('#upload', '#data-info', 'data-total', '60');
  await $('#t-epochs').fill('3');
  await $('#train').click();
  await waitAttr('#t-warnings', 'data-count', '1');
  const warn = await $('#t-warnings').textContent();
  check('an unscaled job on raw units shows its warning with the fix', /preprocessing/.test(warn) && /standard/.test(warn), warn);
  await $('#m-classes-csv').uncheck();
  }

  check('the page asked nothing of another origin', foreign.length === 0, foreign.join(' '));
} catch (e) {
  fail('the browser test ran to its end', e.stack || String(e));
} finally {
  check('no console errors', consoleProblems.length === 0, consoleProblems.join(' | '));
  await browser.close();
  clearTimeout(watchdog);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

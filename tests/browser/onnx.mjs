// tests/browser/onnx.mjs - the ONNX demo page (server/web/onnx.html) in
// Debian's chromium (playwright-core) against a daemon at $MLPD_URL with a
// trained classifier: onnxruntime-web (vendored, served by mlpd) loads the
// export, runs it in the page, and its outputs equal the server's predict
// to 1e-5 relative (float32) and 1e-12 (float64); run again with the
// network cut off (offline), the same numbers; the lab page's "Download
// ONNX" saves the bytes the export route gives; nothing is loaded from
// another origin and the console stays clean. Run by tests/e2e/onnx_browser.sh.
import { readFileSync } from 'node:fs';
import { launchChromium } from './browser.mjs';

const base = process.env.MLPD_URL;
if (!base) {
  console.error('onnx.mjs: set MLPD_URL');
  process.exit(2);
}
const watchdog = setTimeout(() => { console.log('  FAIL  the browser test took over 240 s'); process.exit(1); }, 240_000);

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

// A trained classifier: 2 inputs, relu and tanh hidden layers, softmax over 2.
const created = await call('POST', '/v1/models', {
  name: 'onnx-demo', inputs: 2, loss: 'cross_entropy', init: { method: 'xavier', seed: 5 },
  layers: [{ units: 6, activation: 'relu' }, { units: 4, activation: 'tanh' }, { units: 2, activation: 'softmax' }],
});
const id = created.body?.id;
const gen = await call('POST', `/v1/models/${id}/samples?generate=circle&n=200&noise=0.05&seed=3`);
const trained = await call('POST', `/v1/models/${id}/train?wait=true`, { epochs: 30, learning_rate: 0.05, seed: 1 });
if (!id || gen.status !== 201 || trained.body?.status !== 'succeeded') {
  console.log(`  FAIL  setting up the model: ${JSON.stringify([created, gen.status, trained.body])}`);
  process.exit(1);
}
const rows = [[0, 0], [0.9, -0.1], [-0.35, 0.6], [1.2, 1.1], [-0.7, -0.72]];

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
const page = await context.newPage();
const problems = [];
const foreign = [];
page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`${msg.text()} (${msg.location().url || ''})`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url()); });
const $ = (sel) => page.locator(sel);
const waitAttr = (sel, name, timeout = 60_000) =>
  page.waitForFunction(([s, n]) => (document.querySelector(s)?.getAttribute(n) || '').length > 0, [sel, name], { timeout });

function maxRel(a, b) {
  let worst = 0;
  a.forEach((row, i) => row.forEach((x, j) => {
    const y = b[i][j], scale = Math.max(Math.abs(x), Math.abs(y));
    if (scale > 0) worst = Math.max(worst, Math.abs(x - y) / scale);
  }));
  return worst;
}

try {
  const predict = (await call('POST', `/v1/models/${id}/predict`, { inputs: rows })).body.outputs;
  for (const [dtype, bound] of [['float32', 1e-5], ['float64', 1e-12]]) {
    await page.goto(`${base}/web/onnx.html?model=${id}&dtype=${dtype}`);
    await waitAttr('body', 'data-ready');
    await $('#o-load').click();
    await waitAttr('#o-info', 'data-loaded');
    const name = await page.getAttribute('#o-info', 'data-loaded');
    check(`${dtype}: the export loads into onnxruntime-web`, name === `mlpd-${id}-v2-${dtype}.onnx`, name);
    await $('#o-inputs').fill(rows.map((r) => r.join(', ')).join('\n'));
    await $('#o-compare').click();
    await waitAttr('#o-diff', 'data-max');
    const ort = JSON.parse(await page.getAttribute('#o-table', 'data-ort'));
    const server = JSON.parse(await page.getAttribute('#o-table', 'data-server'));
    const worst = maxRel(ort, predict);
    check(`${dtype}: onnxruntime-web in the page equals predict to ${bound} (max relative difference ${worst.toExponential(2)})`,
      ort.length === rows.length && JSON.stringify(server) === JSON.stringify(predict) && worst <= bound,
      JSON.stringify({ ort, predict }));
    check(`${dtype}: the page shows the same difference`, Number(await page.getAttribute('#o-diff', 'data-max')) === maxRel(ort, server));
    // Offline: every request fails from here on; the loaded model still runs.
    await context.setOffline(true);
    await $('#o-run').click();
    await page.waitForFunction(() => document.querySelector('#o-table').dataset.server === '');
    const again = JSON.parse(await page.getAttribute('#o-table', 'data-ort'));
    check(`${dtype}: offline, the page gives the same numbers again`, JSON.stringify(again) === JSON.stringify(ort));
    await context.setOffline(false);
  }

  // The lab page's "Download ONNX" saves the export's bytes.
  await page.goto(`${base}/`);
  await page.waitForFunction((m) => [...document.querySelectorAll('#models option')].some((o) => o.value === m), id);
  await $('#models').selectOption(id);
  await $('#open').click();
  await page.waitForFunction((m) => document.querySelector('#model-info')?.dataset.modelId === m, id);
  const [download] = await Promise.all([page.waitForEvent('download'), $('#onnx-download').click()]);
  const saved = readFileSync(await download.path());
  const direct = Buffer.from(await (await fetch(`${base}/v1/models/${id}/export?format=onnx&dtype=float32`)).arrayBuffer());
  check('the lab page\'s Download ONNX saves the float32 export, byte for byte',
    download.suggestedFilename() === `mlpd-${id}-v2-float32.onnx` && saved.equals(direct),
    `${download.suggestedFilename()} ${saved.length} vs ${direct.length}`);
  check('the lab page links the demo page for this model',
    (await $('#onnx-demo').getAttribute('href')) === `/web/onnx.html?model=${id}`);
} catch (e) {
  const status = await page.evaluate(() => `${document.querySelector('#status').textContent} | inputs ${JSON.stringify(document.querySelector('#o-inputs').value)} | ${document.querySelector('#o-info').textContent}`).catch(() => '?');
  fail('the browser test', `${e.stack || e}; the page's status: ${status}`);
}
check('nothing loaded from another origin', foreign.length === 0, foreign.join(' '));
// Offline, the page's one refused request is expected: nothing else.
check('no console errors', problems.length === 0, problems.join(' | '));
await browser.close();
clearTimeout(watchdog);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

// tests/browser/exercise.mjs - the lab page's exercise mode in Debian's
// chromium (playwright-core) against a daemon at $MLPD_URL (--auth none:
// the caller is the admin "local", teacher and student at once). The
// teacher's button creates an exercise on the lecture's network; the
// variant's cells are filled from a reference of the lecture's step
// written here (not the server's numbers), one bias change planted without
// eta; Grade must turn the right cells green, the planted ones red, name
// bias_without_eta with its sentence, and the score must match. At desktop
// and phone width, screenshots to $LAB_SHOTS (default build/); then the
// teacher's answer key fills every cell and grades 1.0. Run by
// tests/e2e/exercise_browser.sh.
import { chromium } from 'playwright-core';

const base = process.env.MLPD_URL;
const shots = process.env.LAB_SHOTS || 'build';
if (!base) {
  console.error('exercise.mjs: set MLPD_URL');
  process.exit(2);
}
const watchdog = setTimeout(() => { console.log('  FAIL  the browser test took over 200 s'); process.exit(1); }, 200_000);

let passed = 0, failed = 0;
const ok = (what) => { passed++; console.log(`  ok    ${what}`); };
const fail = (what, detail = '') => { failed++; console.log(`  FAIL  ${what}${detail ? `: ${detail}` : ''}`); };
const check = (what, cond, detail) => (cond ? ok(what) : fail(what, detail));

// The lecture's step (sigmoid hidden, linear output) from the variant.
function reference(v, plantBias) {
  const sig = (s) => 1 / (1 + Math.exp(-s));
  const [W1, W2] = [v.layers[0].weights, v.layers[1].weights];
  const [b1, b2] = [v.layers[0].biases, v.layers[1].biases];
  const eta = v.learning_rate;
  const v1 = W1.map((r, k) => r[0] * v.x[0] + r[1] * v.x[1] + b1[k]);
  const y1 = v1.map(sig);
  const f1 = y1.map((y) => y * (1 - y));
  const v2 = [W2[0].reduce((s, w, i) => s + w * y1[i], b2[0])];
  const e = [v.d[0] - v2[0]];
  const d2 = [e[0]];
  const d1 = f1.map((f, k) => f * W2[0][k] * d2[0]);
  const db2 = [plantBias ? d2[0] : eta * d2[0]];
  const q = {
    'layers[0].v': v1, 'layers[0].y': y1, 'layers[0].fprime': f1, 'layers[1].v': v2, 'layers[1].y': v2,
    'layers[1].fprime': [1], e, E: 0.5 * e[0] * e[0], 'layers[1].delta': d2, 'layers[0].delta': d1,
    'layers[1].db': db2, 'layers[0].db': d1.map((d) => eta * d),
    'layers[1].biases_after': [b2[0] + db2[0]],
  };
  const cells = {};
  for (const [k, val] of Object.entries(q)) {
    if (Array.isArray(val)) val.forEach((x, i) => { cells[`steps[0].${k}[${i}]`] = x; });
    else cells[`steps[0].${k}`] = val;
  }
  W2[0].forEach((w, i) => { cells[`steps[0].layers[1].dw[0][${i}]`] = eta * d2[0] * y1[i]; });
  W1.forEach((r, k) => r.forEach((w, i) => { cells[`steps[0].layers[0].dw[${k}][${i}]`] = eta * d1[k] * v.x[i]; }));
  return cells;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const problems = [];
try {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    const page = await browser.newPage({ viewport });
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${name}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
    await page.goto(`${base}/`);
    await page.locator('#exercise-panel .teacher summary').click();
    await page.fill('#x-title', `lecture step (${name})`);
    await page.fill('#x-steps', '1');
    await page.fill('#x-seed', name === 'desktop' ? '5' : '6');
    await page.click('#x-create');
    await page.waitForFunction(() => /Created exercise/.test(document.querySelector('#status').textContent));
    await page.click('#x-open');
    await page.waitForFunction(() => document.querySelectorAll('#x-sheet input.answer').length > 0);
    const exId = await page.inputValue('#x-list');
    const variant = await (await fetch(`${base}/v1/exercises/${exId}`)).json();
    const paths = await page.$$eval('#x-sheet input.answer', (xs) => xs.map((x) => x.dataset.path));
    check(`${name}: the sheet has a cell for each of the step's 45 numbers`, paths.length === 45, String(paths.length));
    const cells = reference(variant, true);
    let filled = 0;
    for (const [path, value] of Object.entries(cells)) {
      const input = page.locator(`#x-sheet input[data-path="${path}"]`);
      if (await input.count() !== 1) { fail(`${name}: a cell for ${path}`); continue; }
      await input.fill(String(value));
      filled++;
    }
    await page.click('#x-grade');
    await page.waitForFunction(() => document.querySelector('#x-result .score'));
    const grades = await page.$$eval('#x-sheet td[data-grade]', (tds) =>
      Object.fromEntries(tds.map((td) => [td.querySelector('input').dataset.path, td.dataset.grade])));
    const planted = ['steps[0].layers[1].db[0]', 'steps[0].layers[1].biases_after[0]'];
    const wrong = Object.entries(grades).filter(([, g]) => g === 'wrong').map(([p]) => p).sort();
    const right = Object.entries(grades).filter(([, g]) => g === 'right').length;
    check(`${name}: the planted cells are red, the other ${filled - 2} green`,
      JSON.stringify(wrong) === JSON.stringify(planted.sort()) && right === filled - 2, JSON.stringify({ wrong, right, filled }));
    const colours = await page.$$eval('#x-sheet td[data-grade="right"] input, #x-sheet td[data-grade="wrong"] input', (xs) => xs.map((x) => [x.closest('td').dataset.grade, getComputedStyle(x).backgroundColor]));
    check(`${name}: green and red as colours`, colours.every(([g, c]) => (g === 'right' ? c === 'rgb(227, 244, 227)' : c === 'rgb(253, 232, 232)')), JSON.stringify(colours.slice(0, 3)));
    const slip = await page.$$eval('#x-result .mistakes li', (li) => li.map((x) => [x.dataset.code, x.textContent]));
    check(`${name}: bias_without_eta is named with its sentence`, slip.length === 1 && slip[0][0] === 'bias_without_eta' && /eta delta/.test(slip[0][1]), JSON.stringify(slip));
    const score = Number(await page.getAttribute('#x-result .score', 'data-score'));
    check(`${name}: the score is the fraction right`, Math.abs(score - (filled - 2) / filled) < 1e-12, String(score));
    const noExpected = await page.$$eval('#x-sheet td[data-grade="wrong"] .expected', (s) => s.map((x) => x.textContent));
    check(`${name}: wrong cells show no expected value unless asked`, noExpected.every((t) => t === ''), JSON.stringify(noExpected));
    await page.check('#x-reveal');
    await page.click('#x-grade');
    await page.waitForFunction(() => [...document.querySelectorAll('#x-sheet td[data-grade="wrong"] .expected')].some((x) => x.textContent));
    ok(`${name}: with "show the expected value" a wrong cell shows it`);
    await page.locator('#exercise-panel').screenshot({ path: `${shots}/lab-exercise-${name}.png` });
    // the teacher's answer key fills every cell, and it all grades right
    await page.uncheck('#x-reveal');
    await page.click('#x-key');
    await page.waitForFunction(() => /answer key/.test(document.querySelector('#status').textContent));
    await page.click('#x-grade');
    await page.waitForFunction(() => document.querySelector('#x-result .score')?.dataset.score === '1');
    const green = await page.$$eval('#x-sheet td[data-grade="right"]', (t) => t.length);
    check(`${name}: the answer key fills all 45 cells and grades 1.0, all green`, green === 45, String(green));
    await page.close();
  }
} catch (e) {
  fail('the exercise browser test ran to its end', e.stack || String(e));
} finally {
  check('no console errors', problems.length === 0, problems.join(' | '));
  await browser.close();
  clearTimeout(watchdog);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

// bench/browser/drive_playwright.mjs - one lab-page task with the pinned npm
// playwright-core driving Debian's chromium, timed in phases (the
// counterpart of drive_selenium.py; bench/browser/compare.sh runs both).
// Task: open the page, create the lecture's 2-3-1 preset, generate xor,
// explain one step, open the lecture and wait for its formulas.
import { launchChromium } from '../../tests/browser/browser.mjs';

const base = process.env.MLPD_URL;
const t0 = performance.now();
const lap = (() => { let t = t0; return () => { const n = performance.now(), d = n - t; t = n; return d.toFixed(0); }; })();
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const launch = lap();
const attrSet = (sel, name, want) => page.waitForFunction(([s, n, w]) => {
  const v = document.querySelector(s)?.getAttribute(n);
  return typeof v === 'string' && (w === null ? v.length > 0 : v === w);
}, [sel, name, want]);
await page.goto(`${base}/`);
await page.click('#preset-lecture');
await attrSet('#model-info', 'data-model-id', null);
await page.selectOption('#d-set', 'xor');
await page.fill('#d-n', '200');
await page.click('#generate');
await attrSet('#data-info', 'data-total', '200');
await page.click('#explain');
await page.waitForSelector('#explanation [data-sym="delta_4"]');
await page.click('#lecture summary');
await attrSet('#lecture-text', 'data-loaded', 'yes');
const n = await page.locator('#lecture-text math').count();
const task = lap();
await browser.close();
const close = lap();
console.log(`playwright-core: launch ${launch} ms, task ${task} ms, close ${close} ms (${n} formulas)`);

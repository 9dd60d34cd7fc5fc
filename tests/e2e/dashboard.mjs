// dashboard.mjs - browser test: Chromium (playwright-core, /usr/bin/chromium) loads the
// dashboard served by `wattmux serve`, waits until every chart has drawn data from the API,
// checks the canvases are not blank and that unknown power is never shown as 0, and saves a
// screenshot. Usage: node dashboard.mjs URL SCREENSHOT.png
import { createRequire } from 'module';
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let failed = 0, passed = 0;
const check = (name, ok, why = '') => {
  if (ok) { passed++; console.log(`[       OK ] ${name}`); } else { failed++; console.log(`[  FAILED  ] ${name} ${why}`); }
};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  check('ECharts loaded from the binary', await page.evaluate(() => typeof echarts === 'object'));
  let ready = false;
  try {
    await page.waitForFunction(() => window.wattmuxReady === true, null, { timeout: 30000 });
    ready = true;
  } catch (e) { /* reported below */ }
  const pts = await page.evaluate(() => window.wattmuxPoints);
  check('charts render with data (power, price, revenue)', ready, JSON.stringify(pts));
  // a drawn canvas has non-background pixels
  const inked = await page.evaluate(() => ['chart-power', 'chart-price', 'chart-revenue'].map((id) => {
    const c = document.querySelector('#' + id + ' canvas');
    if (!c) return 0;
    const g = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < g.length; i += 4) if (g[i + 3] > 0 && (g[i] < 240 || g[i + 1] < 240 || g[i + 2] < 240)) n++;
    return n;
  }));
  check('every chart canvas has drawn pixels', inked.every((n) => n > 500), JSON.stringify(inked));
  const rows = await page.evaluate(() => document.querySelectorAll('#fleet tbody tr').length);
  check('fleet health table filled', rows > 0, String(rows));
  const kmode = await page.textContent('#k-mode');
  check('status header shows the mode', ['mine', 'curtail', 'safe'].includes(kmode), kmode);
  const zero = await page.evaluate(() => [...document.querySelectorAll('#fleet tbody tr')]
    .filter((tr) => tr.children[1].textContent !== 'stock' && tr.children[8].textContent !== '' && tr.children[4].textContent === '0').length);
  check('failed miners never shown at 0 W', zero === 0, String(zero));
  check('no JavaScript errors', errors.length === 0, errors.join('; '));
  await page.screenshot({ path: shot, fullPage: true });
} finally {
  await browser.close();
}
console.log(`[==========] ${passed + failed} test(s) run.`);
console.log(`[  PASSED  ] ${passed} test(s).`);
if (failed) console.log(`[  FAILED  ] ${failed} test(s).`);
process.exit(failed ? 1 : 0);

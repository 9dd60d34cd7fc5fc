// dashboard.mjs - browser test: Chromium (playwright-core, /usr/bin/chromium) loads the
// dashboard served by `wattmux serve`, waits until every chart has drawn data from the API,
// checks the canvases are not blank and that unknown power is never shown as 0, checks the
// "Latest plan" panel renders the daemon's decision as a table (no raw JSON), then serves it a
// real `wattmux plan --json` result (PLAN.json, routed in place of /api/v1/plan) and checks
// the strategy table (NPV, P(NPV<0), CVaR, recommended split) and the NPV chart; saves a
// screenshot of each state. Usage: node dashboard.mjs URL SCREENSHOT.png [PLAN.json]
import { createRequire } from 'module';
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [url, shot, planFile] = process.argv.slice(2);
const fs = require('fs');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
// Per chart id: how many canvas pixels are drawn (not transparent, not near-white).
const inkedPixels = (page, ids) => page.evaluate((list) => list.map((id) => {
  const c = document.querySelector('#' + id + ' canvas');
  if (!c) return 0;
  const g = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < g.length; i += 4) if (g[i + 3] > 0 && (g[i] < 240 || g[i + 1] < 240 || g[i + 2] < 240)) n++;
  return n;
}), ids);
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
  const inked = await inkedPixels(page, ['chart-power', 'chart-price', 'chart-revenue']);
  check('every chart canvas has drawn pixels', inked.every((n) => n > 500), JSON.stringify(inked));
  const rows = await page.evaluate(() => document.querySelectorAll('#fleet tbody tr').length);
  check('fleet health table filled', rows > 0, String(rows));
  const kmode = await page.textContent('#k-mode');
  check('status header shows the mode', ['mine', 'curtail', 'safe'].includes(kmode), kmode);
  const zero = await page.evaluate(() => [...document.querySelectorAll('#fleet tbody tr')]
    .filter((tr) => tr.children[1].textContent !== 'stock' && tr.children[8].textContent !== '' && tr.children[4].textContent === '0').length);
  check('failed miners never shown at 0 W', zero === 0, String(zero));
  const planText = await page.textContent('#plan-card');
  const decRows = await page.evaluate(() => document.querySelectorAll('#plan-table tbody tr').length);
  check('latest plan: the decision is a table, not raw JSON', decRows >= 5 && !planText.includes('{"'),
    `${decRows} rows`);
  await page.locator('#plan-card').screenshot({ path: shot.replace(/\.png$/, '-decision.png') });
  if (planFile) {
    const body = fs.readFileSync(planFile, 'utf8');
    const plan = JSON.parse(body);
    await page.route('**/api/v1/plan', (route) => route.fulfill({ contentType: 'application/json', body }));
    await page.reload();
    let shown = false;
    try {
      await page.waitForFunction((n) => window.wattmuxReady && window.wattmuxPoints.plan === n && window.wattmuxPoints.npv > 0,
        plan.strategies.length, { timeout: 30000 });
      shown = true;
    } catch (e) { /* reported below */ }
    check('plan results: one table row per strategy', shown,
      JSON.stringify(await page.evaluate(() => window.wattmuxPoints)));
    const head = await page.evaluate(() => [...document.querySelectorAll('#plan-table thead th')].map((e) => e.textContent));
    check('plan table has NPV, P(NPV<0) and CVaR columns',
      ['NPV mean $M', 'P(NPV<0)', 'CVaR5 $M'].every((h) => head.includes(h)), head.join('|'));
    const rec = plan.recommended;
    const recCells = await page.evaluate(() => {
      const tr = document.querySelector('#plan-table tr.recommended');
      return tr ? [...tr.children].map((e) => e.textContent) : null;
    });
    const want = rec && plan.strategies.find((r) => r.strategy === rec.strategy);
    check('recommended split highlighted with its NPV, P(NPV<0) and CVaR',
      recCells && want && recCells[0] === want.strategy && recCells[1] === want.x_mw.toFixed(1) &&
      recCells[3] === want.npv_mean_musd.toFixed(1) && recCells[6] === want.p_npv_negative.toFixed(3) &&
      recCells[7] === want.cvar5_musd.toFixed(1), JSON.stringify(recCells));
    const summary = await page.textContent('#plan-summary');
    check('summary states the recommended split', rec && summary.includes(rec.strategy) &&
      summary.includes(`keep ${rec.mining_mw.toFixed(1)} MW mining`), summary);
    const [npvInk] = await inkedPixels(page, ['chart-npv']);
    check('NPV chart has drawn pixels', npvInk > 500, String(npvInk));
    await page.locator('#plan-card').screenshot({ path: shot.replace(/\.png$/, '-plan.png') });
  }
  check('no JavaScript errors', errors.length === 0, errors.join('; '));
  await page.screenshot({ path: shot, fullPage: true });
} finally {
  await browser.close();
}
console.log(`[==========] ${passed + failed} test(s) run.`);
console.log(`[  PASSED  ] ${passed} test(s).`);
if (failed) console.log(`[  FAILED  ] ${failed} test(s).`);
process.exit(failed ? 1 : 0);

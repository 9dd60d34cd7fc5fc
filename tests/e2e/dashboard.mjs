// dashboard.mjs - browser test: Chromium (playwright-core, /usr/bin/chromium) loads the
// dashboard served by `wattmux serve`, waits until every chart has drawn data from the API,
// checks the canvases are not blank and that unknown power is never shown as 0, checks the
// per-fleet dispatch targets table against /api/v1/plan, and the "Latest plan" panel: first
// the daemon's decision as a table (no plan file yet: the reason is shown), then - after this
// script writes a real `wattmux plan examples/site.yaml --paths 200 --json` to PLAN.json, the
// file the daemon was told to serve - the strategy table (single uses, frontier mixes, the
// recommended split with NPV, P(NPV<0), CVaR) and the NPV chart, read from the daemon itself.
// Then the control card: a wrong token refused, mode curtail and back to auto applied by the
// daemon, command-again of an unknown miner refused and of every reverted miner accepted.
// Saves a screenshot of each state. Usage: node dashboard.mjs URL SCREENSHOT.png PLAN.json WATTMUX TOKEN
import { createRequire } from 'module';
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [url, shot, planFile, wattmux, token] = process.argv.slice(2);
const fs = require('fs');
const { execFileSync } = require('child_process');
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
  // /api/v1/plan requests: the brief form (?plan=0) every refresh, the whole plan only on change
  const planReqs = { full: 0, brief: 0 };
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/v1/plan') planReqs[u.searchParams.get('plan') === '0' ? 'brief' : 'full']++;
  });
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
  // per-fleet targets of the dispatch decider, as served by /api/v1/plan
  const tg = await page.evaluate(async () => {
    const api = await (await fetch('/api/v1/plan', { cache: 'no-store' })).json();
    const cells = [...document.querySelectorAll('#targets tbody tr')].map((tr) => [...tr.children].map((e) => e.textContent));
    return { api: api.decision, cells };
  });
  const fl = (tg.api && tg.api.fleets) || [];
  check('targets table: one row per fleet of the site (xp, old)',
    tg.cells.length === 2 && tg.cells.map((r) => r[0]).join() === 'xp,old' && fl.map((f) => f.fleet).join() === 'xp,old',
    JSON.stringify(tg.cells));
  check('targets table: miners, target <= miners, running now, fleet MW and break-even from the decider',
    tg.cells.length === 2 && tg.cells.every((r, i) => r[1] === String(fl[i].miners) && +r[2] >= 0 && +r[2] <= +r[1] &&
      +r[3] >= 0 && +r[3] <= +r[1] && r[5] === fl[i].max_mw.toFixed(3) &&
      r[6] === fl[i].breakeven_usd_per_mwh.toFixed(2) && fl[i].breakeven_usd_per_mwh > 0) &&
      tg.api.source === 'dispatch', JSON.stringify({ cells: tg.cells, api: fl }));
  check('targets: the efficient fleet breaks even higher', fl.length === 2 && fl[0].breakeven_usd_per_mwh > fl[1].breakeven_usd_per_mwh,
    JSON.stringify(fl.map((f) => f.breakeven_usd_per_mwh)));
  await page.locator('#targets-card').screenshot({ path: shot.replace(/\.png$/, '-targets.png') });
  const planText = await page.textContent('#plan-card');
  const decRows = await page.evaluate(() => document.querySelectorAll('#plan-table tbody tr').length);
  check('latest plan: the decision is a table, not raw JSON', decRows >= 5 && !planText.includes('{"'),
    `${decRows} rows`);
  check('latest plan: says why there are no plan results (plan file missing)',
    (await page.textContent('#plan-summary')).includes('No such file'), await page.textContent('#plan-summary'));
  await page.locator('#plan-card').screenshot({ path: shot.replace(/\.png$/, '-decision.png') });
  // the real plan results, written where the daemon looks (serve.plan_json)
  const body = execFileSync(wattmux, ['plan', 'examples/site.yaml', '--paths', '200', '--threads', '1', '--json'],
    { maxBuffer: 64 << 20 });
  fs.writeFileSync(planFile + '.tmp', body);
  fs.renameSync(planFile + '.tmp', planFile);
  const plan = JSON.parse(body);
  const rec = plan.recommended;
  const uses = (r) => ['colo', 'cloud', 'tokens', 'train'].filter((k) => r[k + '_mw'] > 0).length;
  const want = plan.strategies.filter((r) => uses(r) <= 1 || r.efficient === 'yes' || (rec && r.strategy === rec.strategy));
  check(`the plan has mixes to leave out (${plan.strategies.length} strategies, ${want.length} to list)`,
    want.length < plan.strategies.length && want.length > 10);
  let shown = false;
  try {
    await page.waitForFunction((n) => window.wattmuxReady && window.wattmuxPoints.plan === n && window.wattmuxPoints.npv > 0,
      want.length, { timeout: 30000 });
    shown = true;
  } catch (e) { /* reported below */ }
  check('plan results from the daemon: a row per single use, frontier mix and the recommended one', shown,
    JSON.stringify(await page.evaluate(() => window.wattmuxPoints)));
  const labels = await page.evaluate(() => [...document.querySelectorAll('#plan-table tbody tr')].map((tr) => tr.children[0].textContent));
  check('plan table lists exactly those strategies, in the file order', labels.join('|') === want.map((r) => r.strategy).join('|'),
    labels.slice(0, 5).join('|'));
  const head = await page.evaluate(() => [...document.querySelectorAll('#plan-table thead th')].map((e) => e.textContent));
  check('plan table has NPV, P(NPV<0) and CVaR columns',
    ['NPV mean $M', 'P(NPV<0)', 'CVaR5 $M'].every((h) => head.includes(h)), head.join('|'));
  const recCells = await page.evaluate(() => {
    const tr = document.querySelector('#plan-table tr.recommended');
    return tr ? [...tr.children].map((e) => e.textContent) : null;
  });
  const recRow = rec && plan.strategies.find((r) => r.strategy === rec.strategy);
  check('recommended split highlighted with its NPV, P(NPV<0) and CVaR',
    recCells && recRow && recCells[0] === recRow.strategy && recCells[1] === recRow.x_mw.toFixed(1) &&
    recCells[3] === recRow.npv_mean_musd.toFixed(1) && recCells[6] === recRow.p_npv_negative.toFixed(3) &&
    recCells[7] === recRow.cvar5_musd.toFixed(1), JSON.stringify(recCells));
  const summary = await page.textContent('#plan-summary');
  check('summary states the recommended split and how many mixes are not listed', rec && summary.includes(rec.strategy) &&
    summary.includes(`keep ${rec.mining_mw.toFixed(1)} MW mining`) &&
    summary.includes(`${plan.strategies.length - want.length} mixes of two uses off the frontier not listed`), summary);
  const [npvInk] = await inkedPixels(page, ['chart-npv']);
  check('NPV chart has drawn pixels', npvInk > 500, String(npvInk));
  const tgRows = await page.evaluate(() => document.querySelectorAll('#targets tbody tr').length);
  check('targets table still shown next to the plan results', tgRows === 2, String(tgRows));
  const full0 = planReqs.full, brief0 = planReqs.brief;
  await page.waitForTimeout(5000); /* two or three refreshes with the plan file unchanged */
  check('the megabyte plan is fetched only when it changes (brief polls otherwise)',
    planReqs.brief >= brief0 + 2 && planReqs.full === full0 && full0 >= 2, JSON.stringify(planReqs));
  await page.locator('#plan-card').screenshot({ path: shot.replace(/\.png$/, '-plan.png') });
  // operator control from the dashboard (the daemon runs with --token-file): each click's answer
  // is shown; a wrong token is refused; an accepted mode reaches the controller (status override)
  const act = async (button) => {
    await page.evaluate(() => { document.getElementById('c-result').textContent = '...'; });
    await page.click(button);
    try {
      await page.waitForFunction(() => document.getElementById('c-result').textContent !== '...', null, { timeout: 5000 });
    } catch (e) { /* the check below shows '...' */ }
    return (await page.textContent('#c-result')).trim();
  };
  const overrideIs = async (m) => {
    try {
      await page.waitForFunction((v) => document.getElementById('c-override').textContent === v, m, { timeout: 10000 });
      return true;
    } catch (e) { return false; }
  };
  await page.fill('#c-token', 'not-the-token');
  await page.selectOption('#c-mode', 'curtail');
  let said = await act('#c-mode-go');
  check('control: a wrong token is refused, and the page says why', said.includes('wrong token'), said);
  check('control: nothing changed after the refusal', await overrideIs('auto'), await page.textContent('#c-override'));
  await page.fill('#c-token', token);
  said = await act('#c-mode-go');
  check('control: mode curtail accepted with the token', said.startsWith('mode curtail: accepted'), said);
  check('control: the controller applies it (status override curtail)', await overrideIs('curtail'),
    await page.textContent('#c-override'));
  await page.selectOption('#c-mode', 'auto');
  said = await act('#c-mode-go');
  check('control: back to auto', said.startsWith('mode auto: accepted') && await overrideIs('auto'), said);
  await page.fill('#c-miner', '10.255.255.1:4028');
  said = await act('#c-reset-go');
  check('control: command again an unknown miner is refused (404)', said.includes('no such miner'), said);
  await page.fill('#c-miner', '*');
  said = await act('#c-reset-go');
  check('control: command again every reverted miner accepted', said.startsWith('command again *: accepted'), said);
  await page.locator('#control-card').screenshot({ path: shot.replace(/\.png$/, '-control.png') });
  check('no JavaScript errors', errors.length === 0, errors.join('; '));
  await page.screenshot({ path: shot, fullPage: true });
} finally {
  await browser.close();
}
console.log(`[==========] ${passed + failed} test(s) run.`);
console.log(`[  PASSED  ] ${passed} test(s).`);
if (failed) console.log(`[  FAILED  ] ${failed} test(s).`);
process.exit(failed ? 1 : 0);

// app.js - the dashboard: polls the JSON API every 2 s and draws the charts with ECharts.
// Unknown values (null in the API) are shown as "unknown", never as 0. window.wattmuxReady
// becomes true once every chart has drawn data (the browser test waits for it).
'use strict';
const $ = (id) => document.getElementById(id);
const charts = {
  power: echarts.init($('chart-power')),
  price: echarts.init($('chart-price')),
  revenue: echarts.init($('chart-revenue')),
  npv: echarts.init($('chart-npv')),
};
window.wattmuxReady = false;
window.wattmuxPoints = { power: 0, price: 0, revenue: 0, plan: 0, npv: 0, targets: 0 };

async function get(path) {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}
const fmt = (v, d) => (v === null || v === undefined || !isFinite(v)) ? 'unknown' : Number(v).toFixed(d);
const ts = (t) => new Date(t * 1000).toISOString().substring(11, 19);

function drawPower(rows) {
  const x = rows.map((r) => ts(r.t));
  const mining = rows.map((r) => r.mining_power_w === null ? null : r.mining_power_w / 1e6);
  const other = rows.map((r) => (r.power_w === null || r.mining_power_w === null) ? null : (r.power_w - r.mining_power_w) / 1e6);
  const cap = rows.map((r) => r.cap_w === null ? null : r.cap_w / 1e6);
  charts.power.setOption({
    animation: false, tooltip: { trigger: 'axis' }, legend: { data: ['mining', 'idle / curtailed / non-mining', 'cap'] },
    xAxis: { type: 'category', data: x }, yAxis: { type: 'value', name: 'MW' },
    series: [
      { name: 'mining', type: 'line', stack: 'p', areaStyle: {}, data: mining, showSymbol: false },
      { name: 'idle / curtailed / non-mining', type: 'line', stack: 'p', areaStyle: {}, data: other, showSymbol: false },
      { name: 'cap', type: 'line', data: cap, lineStyle: { type: 'dashed', color: '#c00' }, showSymbol: false },
    ],
  });
  window.wattmuxPoints.power = mining.filter((v) => v !== null).length;
}

function drawPrice(rows) {
  const x = rows.map((r) => ts(r.t));
  charts.price.setOption({
    animation: false, tooltip: { trigger: 'axis' }, legend: { data: ['price', 'break-even'] },
    xAxis: { type: 'category', data: x }, yAxis: { type: 'value', name: 'USD/MWh' },
    series: [
      { name: 'price', type: 'line', step: 'end', data: rows.map((r) => r.price_usd_per_mwh), showSymbol: false },
      { name: 'break-even', type: 'line', data: rows.map((r) => r.breakeven_usd_per_mwh), showSymbol: false },
    ],
  });
  window.wattmuxPoints.price = rows.filter((r) => r.price_usd_per_mwh !== null).length;
}

// Gross mining revenue per MWh equals the break-even price (revenue / energy); curtailing is
// worth the power price (cost avoided or sold back). AI uses come with the dispatch module.
function drawRevenue(st) {
  const uses = ['mining (gross)', 'curtail / sell back', 'AI (dispatch module)'];
  const vals = [st.breakeven_usd_per_mwh, st.price_usd_per_mwh, null];
  charts.revenue.setOption({
    animation: false, tooltip: {}, xAxis: { type: 'category', data: uses }, yAxis: { type: 'value', name: 'USD/MWh' },
    series: [{ type: 'bar', data: vals, label: { show: true, position: 'top', formatter: (p) => fmt(p.value, 1) } }],
  });
  window.wattmuxPoints.revenue = vals.filter((v) => v !== null && v !== undefined).length;
}

function drawFleet(fl) {
  const ms = fl.miners || [];
  const up = ms.filter((m) => m.up).length;
  const unknown = ms.filter((m) => m.power_w === null).length;
  const reverting = ms.filter((m) => m.uncontrollable).length;
  $('fleet-summary').textContent = `${ms.length} miners, ${up} up, ${unknown} with unknown power, ` +
    `${ms.filter((m) => !m.commandable).length} cannot be commanded (stock firmware is read-only on 4028` +
    (reverting ? `; ${reverting} undo curtails: alarm curtail_reverted` : '') + ')';
  const rows = ms.slice().sort((a, b) => (a.up - b.up)).slice(0, 200);
  const tb = document.querySelector('#fleet tbody');
  tb.innerHTML = '';
  for (const m of rows) {
    const tr = document.createElement('tr');
    const cells = [m.miner, m.firmware, m.state, fmt(m.hashrate_th_s, 2), fmt(m.power_w, 0), m.power_source || '-',
      fmt(m.temp_c, 0), m.uncontrollable ? 'none (reverts curtails)' : (m.command || '-'), m.error || ''];
    cells.forEach((c, i) => {
      const td = document.createElement('td');
      td.textContent = c;
      if (c === 'unknown' || (i === 2 && c === 'unknown')) td.className = 'unknown';
      tr.appendChild(td);
    });
    tb.appendChild(tr);
  }
}

// The "Latest plan" panel. /api/v1/plan is {decision, plan, plan_file, plan_error}: plan is the
// file given by serve.plan_json / --plan-json (`wattmux plan SITE.yaml --json`: strategies[]
// with NPV in $M, recommended{}; or `wattmux plan --out DIR`'s results.json: NPV in USD,
// recommended_x_mw), null when there is none or it is bad (plan_error says why). Rendered as
// tables, never as raw JSON; without plan results the panel shows the decision.
const musd = (v) => fmt(v, 1);
function fillTable(sel, head, rows, numCols, markRow) {
  const th = document.querySelector(sel + ' thead');
  const tb = document.querySelector(sel + ' tbody');
  th.innerHTML = '';
  tb.innerHTML = '';
  const hr = document.createElement('tr');
  head.forEach((h, i) => {
    const e = document.createElement('th');
    e.textContent = h;
    if (numCols.includes(i)) e.className = 'num';
    hr.appendChild(e);
  });
  th.appendChild(hr);
  rows.forEach((r, k) => {
    const tr = document.createElement('tr');
    if (markRow === k) tr.className = 'recommended';
    r.forEach((c, i) => {
      const td = document.createElement('td');
      td.textContent = c;
      if (numCols.includes(i)) td.className = 'num';
      if (c === 'unknown') td.className += ' unknown';
      tr.appendChild(td);
    });
    tb.appendChild(tr);
  });
  return rows.length;
}

// One strategy row in $M whichever output it came from.
const USES = ['colo', 'cloud', 'tokens', 'train'];
const label = (r) => r.strategy || `${r.use} ${fmt(r.colo_mw, 0)} MW`;
const xmw = (r) => (r.x_mw !== undefined ? r.x_mw : r.colo_mw);
const inM = (r, k) => (r[k + '_musd'] !== undefined ? r[k + '_musd']
  : (r[k + '_usd'] === undefined || r[k + '_usd'] === null ? null : r[k + '_usd'] / 1e6));
const usesOf = (r) => (r.use && r.x_mw === undefined ? (r.colo_mw > 0 ? [r.use] : [])
  : USES.filter((k) => r[k + '_mw'] > 0));

function drawPlan(resp) {
  const p = resp && Array.isArray(resp.strategies) ? resp
    : (resp && resp.plan && Array.isArray(resp.plan.strategies) ? resp.plan : null);
  const npvBox = $('chart-npv');
  const d = (resp && resp.decision) || resp || {};
  if (!p) {
    const why = resp && resp.plan_error ? `; ${resp.plan_error}` : (resp && resp.plan_file ? '' : '; no plan file (serve.plan_json)');
    $('plan-summary').textContent = `Controller decision, no plan results${why}`;
    $('plan-summary').className = resp && resp.plan_error ? 'warn' : '';
    const rows = [
      ['mode', d.mode || 'unknown'],
      ['mine', d.mine === undefined ? 'unknown' : (d.mine ? 'yes' : 'no')],
      ['target mining MW', fmt(d.target_mining_w === undefined ? null : d.target_mining_w / 1e6, 3)],
      ['price USD/MWh', fmt(d.price_usd_per_mwh, 2)],
      ['break-even USD/MWh', fmt(d.breakeven_usd_per_mwh, 2)],
      ['reason', d.reason || '-'],
      ['source', d.source || '-'],
    ];
    window.wattmuxPoints.plan = fillTable('#plan-table', ['field', 'value'], rows, [], -1);
    window.wattmuxPoints.npv = 0;
    npvBox.style.display = 'none';
    return;
  }
  $('plan-summary').className = '';
  let rec = p.recommended || null;
  if (!rec && p.recommended_x_mw !== undefined && p.recommended_x_mw !== null) { // results.json
    const best = p.strategies.filter((r) => xmw(r) === p.recommended_x_mw)
      .sort((a, b) => inM(b, 'npv_mean') - inM(a, 'npv_mean'))[0];
    rec = best || null;
  }
  // readable with many strategies: every single use (and stay mining), the mixes of two uses on
  // the efficient frontier, and the recommended one; the other mixes are counted, not listed
  const shown = p.strategies.filter((r) => usesOf(r).length <= 1 || r.efficient === 'yes' ||
    (rec && label(r) === label(rec)));
  const hidden = p.strategies.length - shown.length;
  let recRow = -1;
  const rows = shown.map((r, k) => {
    if (rec && label(r) === label(rec)) recRow = k;
    return [label(r), fmt(xmw(r), 1), fmt(r.mining_mw, 1), musd(inM(r, 'npv_mean')), musd(inM(r, 'npv_p5')),
      musd(inM(r, 'npv_p95')), fmt(r.p_npv_negative, 3), musd(inM(r, 'cvar5')), r.efficient || '-'];
  });
  window.wattmuxPoints.plan = fillTable('#plan-table', ['strategy', 'X MW', 'mining MW', 'NPV mean $M', 'p5 $M',
    'p95 $M', 'P(NPV<0)', 'CVaR5 $M', 'frontier'], rows, [1, 2, 3, 4, 5, 6, 7], recRow);
  const recNpv = rec ? (rec.npv_mean_usd !== undefined ? rec.npv_mean_usd / 1e6 : inM(rec, 'npv_mean')) : null;
  $('plan-summary').textContent = (rec
    ? `Recommended split: ${label(rec)} (convert ${fmt(xmw(rec), 1)} MW, keep ${fmt(rec.mining_mw, 1)} MW mining); ` +
      `NPV mean ${musd(recNpv)} $M (${p.paths || '?'} paths, ${p.years || '?'} years)`
    : 'No strategy within the risk limit') +
    (hidden ? `. ${hidden} mixes of two uses off the frontier not listed (all ${p.strategies.length} in the file)` : '');
  const recTr = document.querySelector('#plan-table tr.recommended');
  if (recTr) recTr.scrollIntoView({ block: 'nearest' });
  npvBox.style.display = '';
  charts.npv.resize();
  // NPV against X for each single use; stay mining is X = 0 of every series; mixes: table only
  const useOf = (r) => { const u = usesOf(r); return u.length === 1 ? u[0] : (u.length === 0 ? '' : null); };
  const uses = [...new Set(p.strategies.map(useOf).filter((u) => u))];
  const xs = [...new Set(p.strategies.filter((r) => useOf(r) !== null).map(xmw))].sort((a, b) => a - b);
  const series = [];
  const palette = ['#5470c6', '#ee6666', '#3ba272', '#9a60b4'];
  for (const [k, u] of uses.entries()) {
    const color = palette[k % palette.length];
    const by = (key) => xs.map((x) => {
      const r = p.strategies.find((q) => (useOf(q) === u || useOf(q) === '') && xmw(q) === x);
      return r ? inM(r, key) : null;
    });
    series.push({ name: `${u} NPV mean`, type: 'line', data: by('npv_mean'), symbolSize: 5, connectNulls: true, color });
    series.push({ name: `${u} p5`, type: 'line', data: by('npv_p5'), lineStyle: { type: 'dotted' }, showSymbol: false,
      connectNulls: true, color });
  }
  charts.npv.setOption({
    animation: false, tooltip: { trigger: 'axis' },
    legend: { data: series.map((s) => s.name), top: 0, right: 0, textStyle: { fontSize: 10 } },
    grid: { left: 50, right: 40, top: 40, bottom: 25 },
    xAxis: { type: 'category', data: xs.map((x) => fmt(x, 0)), name: 'X MW' }, yAxis: { type: 'value', name: '$M' },
    series,
  }, true);
  window.wattmuxPoints.npv = series.reduce((n, s) => n + s.data.filter((v) => v !== null).length, 0);
}

// The decider's per-fleet targets this interval (dispatch: floor(MW / fleet MW x miners)) with
// the miners running now and each fleet's break-even energy price.
function drawTargets(resp) {
  const d = (resp && resp.decision) || resp || {};
  const fl = Array.isArray(d.fleets) ? d.fleets : [];
  const rows = fl.map((f) => [f.fleet, String(f.miners), String(f.target_miners), String(f.running),
    fmt(f.target_mw, 3), fmt(f.max_mw, 3), fmt(f.breakeven_usd_per_mwh, 2)]);
  $('targets-summary').textContent = `${d.source || 'unknown'} decider, mode ${d.mode || 'unknown'}: ${d.reason || '-'}`;
  window.wattmuxPoints.targets = fillTable('#targets', ['fleet', 'miners', 'target', 'running now', 'target MW',
    'fleet MW', 'break-even USD/MWh'], rows, [1, 2, 3, 4, 5, 6], -1);
}

// The plan results can be megabytes: each refresh reads /api/v1/plan?plan=0 (the decision and
// plan_version) and fetches the whole plan only when plan_version changes.
let planCache = { version: null, plan: null };

async function refresh() {
  try {
    const [st, hist, fl, al, brief] = await Promise.all([get('/api/v1/status'), get('/api/v1/history?limit=600'),
      get('/api/v1/fleet'), get('/api/v1/alarms?limit=50'), get('/api/v1/plan?plan=0')]);
    if (brief.plan_version !== planCache.version) {
      const full = await get('/api/v1/plan');
      planCache = { version: full.plan_version, plan: full.plan };
    }
    const plan = Object.assign({}, brief, { plan: planCache.plan });
    $('k-mode').textContent = st.mode;
    $('c-override').textContent = st.override || '-';
    $('k-power').textContent = fmt(st.power_w / 1e6, 3);
    $('k-cap').textContent = fmt(st.cap_w === null ? null : st.cap_w / 1e6, 3);
    $('k-price').textContent = fmt(st.price_usd_per_mwh, 2);
    $('k-be').textContent = fmt(st.breakeven_usd_per_mwh, 2);
    $('k-up').textContent = `${st.miners_up}/${st.miners}`;
    $('k-unknown').textContent = st.miners_unknown_power;
    drawPower(hist.site);
    drawPrice(hist.site);
    drawRevenue(st);
    drawFleet(fl);
    drawPlan(plan);
    drawTargets(plan);
    const ul = $('alarms');
    ul.innerHTML = '';
    for (const a of al.alarms) {
      const li = document.createElement('li');
      li.textContent = `${new Date(a.t * 1000).toISOString()} ${a.kind} ${a.miner || ''} ${a.msg}`;
      ul.appendChild(li);
    }
    if (!al.alarms.length) ul.innerHTML = '<li>none</li>';
    const p = window.wattmuxPoints;
    window.wattmuxReady = p.power > 1 && p.price > 1 && p.revenue > 0 && p.plan > 0 && p.targets > 0;
  } catch (e) {
    console.error(e);
  }
}
// Operator control: POST with the bearer token typed here (sessionStorage: this tab only). The
// daemon answers 202 and applies the request at its next tick; the status then shows it.
const controlWhy = {
  202: 'accepted: applied at the next tick', 400: 'refused: bad request', 401: 'refused: missing or wrong token',
  403: 'refused: control is disabled (start wattmux serve with --token-file)', 404: 'refused: no such miner in the fleet',
  413: 'refused: request too large', 503: 'refused: too many requests pending, try again after the next tick',
};
async function control(path, body, what) {
  const out = $('c-result');
  const token = $('c-token').value.trim();
  sessionStorage.setItem('wattmuxToken', token);
  try {
    const r = await fetch(path, {
      method: 'POST', cache: 'no-store',
      headers: Object.assign({ 'Content-Type': 'application/json' }, token ? { Authorization: 'Bearer ' + token } : {}),
      body: JSON.stringify(body),
    });
    out.textContent = `${what}: ${controlWhy[r.status] || 'HTTP ' + r.status}`;
    out.className = r.status === 202 ? 'ok' : 'err';
    if (r.status === 202) setTimeout(refresh, 1200);
  } catch (e) {
    out.textContent = `${what}: ${e}`;
    out.className = 'err';
  }
}
$('c-token').value = sessionStorage.getItem('wattmuxToken') || '';
$('c-mode-go').addEventListener('click', () =>
  control('/api/v1/mode', { mode: $('c-mode').value }, `mode ${$('c-mode').value}`));
$('c-reset-go').addEventListener('click', () => {
  const m = $('c-miner').value.trim() || '*';
  control('/api/v1/miners/reset', { miner: m }, `command again ${m}`);
});

refresh();
setInterval(refresh, 2000);
window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));

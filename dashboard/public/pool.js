import { LineSeries, LineStyle, LineType, createSeriesMarkers } from '/vendor/lightweight-charts.mjs';
import { $, ago, badge, bySecond, chartIn, el, fmt, getJson, pct, setLive, signClass } from './common.js';

const poolId = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const params = new URLSearchParams(location.search);
const SPANS = { '5m': 3e5, '15m': 9e5, '1h': 36e5, '6h': 216e5, '24h': 864e5, '7d': 6048e5 };
// A named window follows the clock and the live stream; a from/to range is a fixed look at the past.
const windowName = params.has('from') ? null : (params.get('window') ?? '15m');
const LEVELS = 5;
const FEED_HIDDEN = new Set(['quotes_updated', 'order_placed', 'order_cancelled']);

const state = {
  pool: null,
  range: null,
  start: null,
  events: new Map(),
  trades: new Map(),
  cursor: null,
  workflow: null,
};
/** What the browser tests read: how many points each chart holds and which fills are shown. */
const probe = (window.__dashboard = { points: {}, fills: [], updates: 0, lastUpdateAt: 0 });

const sec = (ms) => Math.floor(ms / 1000);

function makeCharts() {
  const price = chartIn($('#chart-price'));
  const spread = chartIn($('#chart-spread'));
  const inventory = chartIn($('#chart-inventory'));
  const pnl = chartIn($('#chart-pnl'));
  const line = (chart, color, width = 2, extra = {}) =>
    chart.addSeries(LineSeries, {
      color,
      lineWidth: width,
      priceLineVisible: false,
      lastValueVisible: false,
      ...extra,
    });
  const c = {
    all: [price, spread, inventory, pnl],
    price,
    mid: line(price, '#d8dee6', 2, { lastValueVisible: true }),
    bids: Array.from({ length: LEVELS }, (_, i) =>
      line(price, i ? 'rgba(38,166,154,0.45)' : '#26a69a', i ? 1 : 2),
    ),
    asks: Array.from({ length: LEVELS }, (_, i) =>
      line(price, i ? 'rgba(239,83,80,0.45)' : '#ef5350', i ? 1 : 2),
    ),
    fills: line(price, 'rgba(0,0,0,0)', 1, { lineVisible: false, crosshairMarkerVisible: false }),
    spread: line(spread, '#4aa3ff', 2, { lastValueVisible: true }),
    target: line(spread, '#f0b429', 2, { lineType: LineType.WithSteps, lineStyle: LineStyle.Dashed }),
    inventory: line(inventory, '#4aa3ff', 2, { lastValueVisible: true, priceFormat: { type: 'percent' } }),
    pnl: line(pnl, '#26a69a', 2, { lastValueVisible: true }),
  };
  c.fillMarkers = createSeriesMarkers(c.fills, []);
  c.adjustMarkers = createSeriesMarkers(c.target, []);
  c.bandLines = [];
  return c;
}

let charts;

function windowStartMs() {
  return windowName ? Date.now() - SPANS[windowName] : state.range.fromMs;
}

function sortedEvents() {
  const from = windowStartMs();
  return [...state.events.values()].filter((e) => e.t >= from).sort((a, b) => a.t - b.t || a.v - b.v);
}

/** Inventory share and P&L vs hold at each moment the mid or the reserves changed. */
function derive(events) {
  let rb = state.start.reserveBase !== null ? Number(state.start.reserveBase) : null;
  let rq = state.start.reserveQuote !== null ? Number(state.start.reserveQuote) : null;
  const hasReserveEvents = events.some((e) => e.stream === 'pool' && e.payload.reserveBase !== undefined);
  if (rb === null && !hasReserveEvents) {
    rb = Number(state.pool.reserveBase);
    rq = Number(state.pool.reserveQuote);
  }
  let mid = null;
  let baseline = null;
  const inventory = [];
  const pnl = [];
  const point = (t) => {
    if (rb === null || mid === null) return;
    const baseValue = rb * mid;
    const total = baseValue + rq;
    if (total > 0) inventory.push({ time: sec(t), value: (baseValue / total) * 100 });
    baseline ??= { b: rb, q: rq };
    pnl.push({ time: sec(t), value: total - (baseline.b * mid + baseline.q) });
  };
  for (const e of events) {
    const p = e.payload;
    if (e.type === 'quotes_updated') {
      mid = Number(p.mid);
      point(e.t);
    } else if (e.stream === 'pool' && p.reserveBase !== undefined && p.reserveQuote !== undefined) {
      // Liquidity moves the benchmark with the reserves: adding or removing it is no profit or loss.
      if (baseline && (e.type === 'liquidity_added' || e.type === 'liquidity_removed')) {
        const sign = e.type === 'liquidity_added' ? 1 : -1;
        baseline = {
          b: baseline.b + sign * Number(p.baseAmount),
          q: baseline.q + sign * Number(p.quoteAmount),
        };
      }
      rb = Number(p.reserveBase);
      rq = Number(p.reserveQuote);
      point(e.t);
    }
  }
  return { inventory, pnl };
}

/** No reason means no widening condition holds any more: the spread went back to the policy's base. */
const reasonsText = (reasons) =>
  reasons?.length ? reasons.join('; ') : 'no widening condition holds (back to base)';

function feedText(e) {
  const p = e.payload;
  switch (e.type) {
    case 'spread_adjusted':
      return `${fmt(p.oldSpreadBps, 1)} → ${fmt(p.newSpreadBps, 1)} bps: ${reasonsText(p.reasons)}`;
    case 'order_executed':
      return `taker ${p.takerSide === 'buy' ? 'bought' : 'sold'} ${p.quantity} at ${p.price}`;
    case 'inventory_imbalance_detected':
      return `${p.severity}: inventory share ${pct(p.inventoryShare)} (target ${pct(p.targetShare)}) → ${p.recommendedAction}`;
    case 'market_volatility_changed':
      return `${p.oldRegime} → ${p.newRegime} (volatility ${(Number(p.volatility) * 100).toFixed(2)}%)`;
    case 'risk_limit_breached':
      return `${p.action}: ${(p.reasons ?? []).map((r) => `${r.limit} ${r.value} vs ${r.threshold}`).join('; ')}`;
    case 'inventory_adjusted':
      return `hedged ${p.side} ${p.baseAmount} at ${p.price} (share ${pct(p.inventoryShareBefore)} → ${pct(p.inventoryShareAfter)})`;
    case 'market_maker_started':
      return `${p.strategy}, refresh every ${p.refreshIntervalMs} ms (${p.workflowId})`;
    case 'market_maker_stopped':
      return `${p.reason}; ${p.cancelledOrders} orders cancelled`;
    case 'market_maker_paused':
    case 'market_maker_resumed':
      return p.reason;
    case 'pool_created':
      return `${p.baseAsset}/${p.quoteAsset}, tick ${p.tickSize}, lot ${p.lotSize}, spread ${p.spreadBps} bps, strategy ${p.config?.strategy?.kind ?? 'default'}`;
    case 'liquidity_added':
    case 'liquidity_removed':
      return `${p.provider}: ${p.baseAmount} base + ${p.quoteAmount} quote`;
    default: {
      const text = JSON.stringify(p);
      return text.length > 160 ? `${text.slice(0, 160)}…` : text;
    }
  }
}

const timeText = (ms) => new Date(ms).toLocaleTimeString('en-GB', { hour12: false });

/**
 * A cycle whose ladder did not change writes nothing, so the last quotes (and what follows from
 * them) still hold: they are drawn up to the end of the window.
 */
function carried(points, endMs) {
  if (!points.length) return points;
  const last = points[points.length - 1];
  const end = sec(endMs);
  return end > last.time ? [...points, { ...last, time: end }] : points;
}

function render() {
  const events = sortedEvents();
  const from = windowStartMs();
  const end = windowName ? Date.now() : state.range.toMs;
  const hold = (points) => carried(bySecond(points), end);
  const quotes = events.filter((e) => e.type === 'quotes_updated');
  const trades = [...state.trades.values()].filter((t) => t.t >= from).sort((a, b) => a.t - b.t);

  charts.mid.setData(hold(quotes.map((q) => ({ time: sec(q.t), value: Number(q.payload.mid) }))));
  for (const [side, list] of [
    ['bids', charts.bids],
    ['asks', charts.asks],
  ]) {
    list.forEach((series, level) => {
      const pts = quotes
        .filter((q) => q.payload[side]?.[level])
        .map((q) => ({ time: sec(q.t), value: Number(q.payload[side][level].price) }));
      series.setData(hold(pts));
    });
  }
  const fillPoints = bySecond(
    trades.map((t) => ({ time: sec(t.t), value: Number(t.price), side: t.takerSide })),
  );
  charts.fills.setData(fillPoints.map(({ time, value }) => ({ time, value })));
  charts.fillMarkers.setMarkers(
    fillPoints.map((f) => ({
      time: f.time,
      position: f.side === 'buy' ? 'aboveBar' : 'belowBar',
      shape: f.side === 'buy' ? 'arrowUp' : 'arrowDown',
      color: f.side === 'buy' ? '#26a69a' : '#ef5350',
    })),
  );

  charts.spread.setData(
    bySecond(quotes.map((q) => ({ time: sec(q.t), value: Number(q.payload.spreadBps) }))),
  );
  const adjustments = events.filter((e) => e.type === 'spread_adjusted');
  let target = state.start.targetSpreadBps ?? adjustments[0]?.payload.oldSpreadBps ?? state.pool.spreadBps;
  const targetPts = [{ time: sec(from), value: Number(target) }];
  for (const a of adjustments) {
    target = a.payload.newSpreadBps;
    targetPts.push({ time: sec(a.t), value: Number(target) });
  }
  targetPts.push({ time: sec(end), value: Number(target) });
  const targetData = bySecond(targetPts);
  charts.target.setData(targetData);
  charts.adjustMarkers.setMarkers(
    bySecond(adjustments.map((a) => ({ time: sec(a.t), reasons: a.payload.reasons ?? [] }))).map((a) => ({
      time: a.time,
      position: 'aboveBar',
      shape: 'circle',
      color: '#f0b429',
      text: a.reasons
        .map((r) => r.split(/[ (:]/)[0])
        .join(', ')
        .slice(0, 40),
    })),
  );

  const derived = derive(events);
  charts.inventory.setData(hold(derived.inventory));
  charts.pnl.setData(hold(derived.pnl));

  $('#adjustments tbody').replaceChildren(
    ...adjustments
      .slice(-100)
      .reverse()
      .map((a) =>
        el(
          'tr',
          {},
          el('td', { text: timeText(a.t) }),
          el('td', { text: fmt(a.payload.oldSpreadBps, 1) }),
          el('td', { text: fmt(a.payload.newSpreadBps, 1) }),
          el('td', { class: 'left', text: reasonsText(a.payload.reasons) }),
        ),
      ),
  );
  $('#fills tbody').replaceChildren(
    ...trades
      .slice(-200)
      .reverse()
      .map((t) =>
        el(
          'tr',
          { 'data-trade-id': t.id },
          el('td', { text: timeText(t.t) }),
          el('td', {
            class: `left ${t.takerSide === 'buy' ? 'pos' : 'neg'}`,
            text: t.takerSide === 'buy' ? 'bought' : 'sold',
          }),
          el('td', { text: fmt(t.price, 4) }),
          el('td', { text: fmt(t.quantity, 4) }),
        ),
      ),
  );
  $('#feed tbody').replaceChildren(
    ...events
      .filter((e) => !FEED_HIDDEN.has(e.type))
      .slice(-60)
      .reverse()
      .map((e) =>
        el(
          'tr',
          { 'data-event-type': e.type },
          el('td', { class: 'dim', text: timeText(e.t) }),
          el('td', { text: e.type }),
          el('td', { text: feedText(e) }),
        ),
      ),
  );
  const last = quotes[quotes.length - 1]?.payload;
  renderFacts(last, derived);

  probe.points = {
    mid: quotes.length,
    bids: charts.bids[0].data().length,
    asks: charts.asks[0].data().length,
    spread: charts.spread.data().length,
    target: targetData.length,
    inventory: charts.inventory.data().length,
    pnl: charts.pnl.data().length,
    fills: fillPoints.length,
  };
  probe.fills = trades.map((t) => t.id);
}

/** The session reports its last risk check; "continue" with no reasons is a pass, not a breach. */
const riskBreached = (st) =>
  Boolean(st?.lastRisk && st.lastRisk.action !== 'continue' && st.lastRisk.reasons.length);

function renderFacts(last, derived) {
  const st = state.workflow?.status;
  const inv = derived.inventory[derived.inventory.length - 1]?.value;
  const fact = (label, value, cls = '') =>
    el('div', {}, el('span', { text: label }), el('b', { class: cls, text: value }));
  $('#facts').replaceChildren(
    fact('Market maker', state.workflow?.state ?? '–'),
    fact('Mid', fmt(last?.mid, 2)),
    fact('Quoted spread', last ? `${fmt(last.spreadBps, 1)} bps` : '–'),
    fact('Target spread', `${fmt(state.pool.spreadBps, 1)} bps`),
    fact('Inventory share', inv === undefined ? '–' : `${inv.toFixed(1)}%`),
    fact(
      'P&L vs hold (since start)',
      st?.pnl ? `${fmt(st.pnl.totalPnl)} (${fmt(st.pnl.returnPct, 3)}%)` : '–',
      st?.pnl ? signClass(st.pnl.totalPnl) : '',
    ),
    fact(
      'Reserves',
      `${fmt(state.pool.reserveBase, 4)} ${state.pool.baseAsset} + ${fmt(state.pool.reserveQuote, 2)} ${state.pool.quoteAsset}`,
    ),
    fact(
      'Risk',
      riskBreached(st)
        ? `${st.lastRisk.action}: ${st.lastRisk.reasons.map((r) => r.limit).join(', ')}`
        : 'ok',
    ),
  );
}

function renderBands() {
  const { target, moderate, critical } = state.pool.thresholds;
  for (const l of charts.bandLines) charts.inventory.removePriceLine(l);
  const band = (share, color, title) =>
    charts.inventory.createPriceLine({
      price: share * 100,
      color,
      lineWidth: 1,
      lineStyle: LineStyle.Dashed,
      axisLabelVisible: true,
      title,
    });
  charts.bandLines = [
    band(target, '#8a96a3', 'target'),
    band(target + moderate, '#f0b429', `+${moderate * 100}%`),
    band(target - moderate, '#f0b429', `-${moderate * 100}%`),
    band(target + critical, '#ef5350', `+${critical * 100}%`),
    band(target - critical, '#ef5350', `-${critical * 100}%`),
  ];
  $('#bands').textContent =
    `target ${target * 100}% · moderate imbalance beyond ±${moderate * 100}% · critical beyond ±${critical * 100}%`;
}

function renderWorkflow() {
  const wf = state.workflow;
  if (!wf) return;
  const st = wf.status;
  const link = (l, name) =>
    l.url
      ? el('a', { href: l.url, target: '_blank', text: `${name} (${l.id})`, 'data-workflow': l.id })
      : el('span', { text: l.id });
  const rows = [
    ['State', badge(wf.state)],
    ['Market maker', link(wf.links.marketMaker, 'open in Temporal')],
    ['Spread saga', link(wf.links.spreadSaga, 'open in Temporal')],
    ['Strategy', st?.strategy ?? '–'],
    [
      'Session',
      st
        ? `${st.sessionRunning ? 'running' : 'not running'}, cycle ${st.cycle}, ${st.restingOrders} resting orders, last cycle ${ago(st.lastCycleAtMs)}`
        : '–',
    ],
    [
      'Last risk action',
      riskBreached(st)
        ? `${st.lastRisk.action}: ${st.lastRisk.reasons.map((r) => `${r.limit} ${r.value} vs ${r.threshold}`).join('; ')}`
        : 'none',
    ],
    [
      'Errors',
      [wf.error, st?.lastError, wf.saga?.lastError && `saga: ${wf.saga.lastError}`]
        .filter(Boolean)
        .join(' · ') || 'none',
    ],
  ];
  $('#workflows').replaceChildren(
    el(
      'table',
      {},
      ...rows.map(([k, v]) =>
        el('tr', {}, el('td', { class: 'left dim', text: k }), el('td', { class: 'left' }, v)),
      ),
    ),
  );
}

async function refreshStatus() {
  try {
    const s = await getJson(`/api/pools/${encodeURIComponent(poolId)}/status`);
    state.workflow = s.workflow;
    state.pool = { ...state.pool, ...s.pool };
    renderWorkflow();
  } catch {
    // The next refresh tries again; the charts do not depend on it.
  }
}

function apply(delta) {
  for (const e of delta.events) state.events.set(`${e.stream}:${e.v}`, e);
  for (const t of delta.trades) state.trades.set(t.id, t);
}

function setupOperator() {
  if (!document.querySelector('meta[name="operator"]')) return;
  const command = async (name) => {
    let token = sessionStorage.getItem('dashboardToken');
    token ??= prompt('Operator token') ?? '';
    const res = await fetch(`/api/pools/${encodeURIComponent(poolId)}/${name}`, {
      method: 'POST',
      headers: { 'x-dashboard-token': token },
    });
    const body = await res.json().catch(() => ({}));
    if (res.ok) sessionStorage.setItem('dashboardToken', token);
    else sessionStorage.removeItem('dashboardToken');
    $('#problem').hidden = res.ok;
    $('#problem').textContent = res.ok ? '' : `${name} refused: ${body.error ?? res.status}`;
    void refreshStatus();
  };
  $('#operator').replaceChildren(
    el('button', { id: 'pause', text: 'Pause', onclick: () => command('pause') }),
    ' ',
    el('button', { id: 'resume', text: 'Resume', onclick: () => command('resume') }),
  );
}

/** A fixed range in the past: local times in the inputs, sent as ISO instants. */
function setupRangeForm() {
  const local = (ms) => {
    const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
    return d.toISOString().slice(0, 19);
  };
  const from = params.get('from');
  const to = params.get('to');
  $('#from').value = local(from ? Date.parse(from) || Number(from) : Date.now() - 3600_000);
  $('#to').value = local(to ? Date.parse(to) || Number(to) : Date.now());
  $('#range-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const iso = (v) => new Date(v).toISOString();
    location.search = `?from=${encodeURIComponent(iso($('#from').value))}&to=${encodeURIComponent(iso($('#to').value))}`;
  });
}

async function main() {
  const select = $('#window');
  if (windowName) select.value = windowName;
  else select.prepend(el('option', { value: '', text: 'custom range', selected: true }));
  select.addEventListener('change', () => {
    if (select.value) location.search = `?window=${select.value}`;
  });
  setupRangeForm();
  let data;
  try {
    data = await getJson(`/api/pools/${encodeURIComponent(poolId)}${location.search}`);
  } catch (err) {
    $('#problem').hidden = false;
    $('#problem').textContent = `Could not load pool ${poolId}: ${err.message}`;
    setLive(false, 'not loaded');
    return;
  }
  document.title = `${poolId} · LP market maker`;
  $('#title').textContent = `${poolId} · ${data.pool.baseAsset}/${data.pool.quoteAsset}`;
  state.pool = data.pool;
  state.range = data.range;
  state.start = data.window.start;
  state.cursor = data.window.cursor;
  state.workflow = data.workflow;
  apply(data.window);
  $('#range').textContent = windowName
    ? `live, last ${select.selectedOptions[0]?.textContent}`
    : `${new Date(data.range.fromMs).toLocaleString()} – ${new Date(data.range.toMs).toLocaleString()}`;
  if (data.window.truncated.events || data.window.truncated.trades) {
    $('#problem').hidden = false;
    $('#problem').textContent =
      'This window holds more than 5000 rows of a kind: only the newest are drawn. Pick a shorter window.';
  }
  charts = makeCharts();
  renderBands();
  render();
  renderWorkflow();
  setupOperator();
  for (const chart of charts.all) chart.timeScale().fitContent();
  document.body.dataset.ready = 'true';

  if (!windowName) {
    setLive(false, 'fixed range (not live)');
    return;
  }
  const c = state.cursor;
  const stream = new EventSource(
    `/api/pools/${encodeURIComponent(poolId)}/stream?pool=${c.pool}&mm=${c.mm}&trades=${c.tradesMs}`,
  );
  stream.addEventListener('open', () => setLive(true, 'live'));
  stream.addEventListener('error', () => setLive(false, 'reconnecting…'));
  let statusAt = Date.now();
  stream.addEventListener('delta', (e) => {
    apply(JSON.parse(e.data));
    render();
    probe.updates++;
    probe.lastUpdateAt = Date.now();
    if (Date.now() - statusAt > 3000) {
      statusAt = Date.now();
      void refreshStatus();
    }
  });
  setInterval(() => void refreshStatus(), 15_000);
  // Quiet markets write nothing for a while: the held lines still reach the present.
  setInterval(render, 5000);
}

void main();

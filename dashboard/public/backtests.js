import { HistogramSeries, LineSeries, createOptionsChart, ColorType } from '/vendor/lightweight-charts.mjs';
import { $, el, getJson } from './common.js';

const COLORS = [
  '#4aa3ff',
  '#26a69a',
  '#f0b429',
  '#ef5350',
  '#ab47bc',
  '#8d6e63',
  '#66bb6a',
  '#ec407a',
  '#26c6da',
  '#d4e157',
];
const probe = (window.__dashboard = { series: {}, tables: 0 });

// Backtest curves are drawn against simulated seconds (or steps), not wall-clock time.
function numericChart(container) {
  return createOptionsChart(container, {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: '#171d24' },
      textColor: '#8a96a3',
      attributionLogo: false,
    },
    grid: { vertLines: { color: '#222a33' }, horzLines: { color: '#222a33' } },
  });
}

const charts = {};

function resetChart(name) {
  charts[name]?.remove();
  $(`#chart-${name}`).replaceChildren();
  charts[name] = numericChart($(`#chart-${name}`));
  return charts[name];
}

function legend(name, items) {
  $(`#legend-${name}`).replaceChildren(
    ...items.flatMap(([label, color]) => [
      el('i', { style: `background:${color}` }),
      el('span', { text: label }),
    ]),
  );
}

function points(xs, ys) {
  const out = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    if (out.length && xs[i] <= out[out.length - 1].time) continue;
    out.push({ time: xs[i], value: ys[i] });
  }
  return out;
}

function drawCurves(name, series, pick) {
  const chart = resetChart(name);
  const shown = series.filter((s) => pick(s));
  // A strategy keeps one colour across its sample paths ("glft #0", "glft #1").
  const owners = [...new Set(shown.map((s) => s.name.replace(/ #\d+$/, '')))];
  const colour = (s) => COLORS[owners.indexOf(s.name.replace(/ #\d+$/, '')) % COLORS.length];
  shown.forEach((s) =>
    chart
      .addSeries(LineSeries, { color: colour(s), lineWidth: 2, priceLineVisible: false })
      .setData(points(s.t, pick(s))),
  );
  chart.timeScale().fitContent();
  legend(
    name,
    owners.map((o, i) => [o, COLORS[i % COLORS.length]]),
  );
  probe.series[name] = shown.length;
}

function drawDistributions(distributions) {
  const chart = resetChart('pnl');
  const all = distributions.flatMap((d) => d.values);
  probe.series.pnl = distributions.length;
  if (!all.length) return legend('pnl', [['no P&L distribution in this file', '#8a96a3']]);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  // Few paths, few bins: a bar per path or two, up to 30 for large runs.
  const bins = Math.max(
    5,
    Math.min(30, Math.ceil(Math.sqrt(all.length / Math.max(1, distributions.length)) * 2)),
  );
  const width = hi > lo ? (hi - lo) / bins : 1;
  distributions.forEach((d, i) => {
    const counts = new Array(bins).fill(0);
    for (const v of d.values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    const color = COLORS[i % COLORS.length];
    chart
      .addSeries(HistogramSeries, { color: `${color}99`, priceLineVisible: false })
      .setData(counts.map((c, b) => ({ time: Number((lo + (b + 0.5) * width).toFixed(6)), value: c })));
  });
  chart.timeScale().fitContent();
  legend(
    'pnl',
    distributions.map((d, i) => [`${d.name} (${d.values.length} paths)`, COLORS[i % COLORS.length]]),
  );
}

/** One group drawn at a time (a scenario's curves; P&L or P&L vs hold), picked from a list. */
function groupSelect(selector, items, draw) {
  const select = $(selector);
  const groups = [...new Set(items.map((x) => x.group))];
  select.replaceChildren(...groups.map((g) => el('option', { value: g, text: g })));
  select.disabled = groups.length < 2;
  const show = () => draw(items.filter((x) => x.group === select.value));
  select.onchange = show;
  show();
}

function cell(v) {
  if (typeof v === 'number')
    return Math.abs(v) >= 1000 || Number.isInteger(v)
      ? v.toLocaleString('en-US', { maximumFractionDigits: 2 })
      : v.toPrecision(4);
  return v === null ? '–' : String(v);
}

function drawTables(tables) {
  $('#tables').replaceChildren(
    ...tables.map((t) =>
      el(
        'section',
        { class: 'panel', style: 'margin-top:1rem' },
        el(
          'h2',
          { text: t.title },
          t.truncated ? el('small', { text: `first ${t.rows.length} rows` }) : null,
        ),
        el(
          'div',
          { class: 'scroll' },
          el(
            'table',
            { 'data-table': t.title },
            el(
              'thead',
              {},
              el('tr', {}, ...t.columns.map((c, i) => el('th', { class: i ? '' : 'left', text: c }))),
            ),
            el(
              'tbody',
              {},
              ...t.rows.map((r) =>
                el(
                  'tr',
                  {},
                  ...t.columns.map((c, i) => el('td', { class: i ? '' : 'left', text: cell(r[c]) })),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
  probe.tables = tables.length;
}

async function show(file) {
  $('#problem').hidden = true;
  try {
    const view = await getJson(`/api/backtests/${encodeURIComponent(file)}`);
    const h = view.header;
    $('#header').textContent =
      `${h.kind} · ${new Date(h.createdAt).toLocaleString()} · seed ${h.seed} · ${h.command}`;
    groupSelect('#series-group', view.series, (members) => {
      drawCurves('equity', members, (s) => s.equity);
      drawCurves('inventory', members, (s) => s.inventory);
    });
    groupSelect('#dist-group', view.distributions, drawDistributions);
    drawTables(view.tables);
    document.body.dataset.ready = 'true';
  } catch (err) {
    $('#problem').hidden = false;
    $('#problem').textContent = `Could not show ${file}: ${err.message}`;
  }
}

async function main() {
  const { dir, files } = await getJson('/api/backtests');
  $('#dir').textContent = `from ${dir}`;
  const readable = files.filter((f) => f.header);
  const select = $('#file');
  select.replaceChildren(
    ...readable.map((f) =>
      el('option', {
        value: f.file,
        text: `${f.file} (${f.header.kind}, ${new Date(f.header.createdAt).toLocaleString()})`,
      }),
    ),
  );
  const skipped = files.filter((f) => !f.header);
  if (!readable.length) {
    $('#problem').hidden = false;
    $('#problem').textContent =
      `No results files in ${dir} yet: the backtester's tournament, sweep and paper commands write them there.`;
    document.body.dataset.ready = 'true';
    return;
  }
  if (skipped.length) {
    $('#header').title = skipped.map((f) => `${f.file}: ${f.problem}`).join('\n');
  }
  const wanted = new URLSearchParams(location.search).get('file');
  select.value = readable.some((f) => f.file === wanted) ? wanted : readable[0].file;
  select.addEventListener('change', () => {
    history.replaceState(null, '', `?file=${encodeURIComponent(select.value)}`);
    void show(select.value);
  });
  await show(select.value);
}

void main();

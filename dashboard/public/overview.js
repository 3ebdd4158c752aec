import { $, el, ago, badge, fmt, getJson, pct, setLive, signClass } from './common.js';

function riskText(p) {
  if (p.risk && p.risk.action !== 'continue' && p.risk.reasons.length)
    return `${p.risk.action}: ${p.risk.reasons.map((r) => r.limit).join(', ')}`;
  if (p.pauseReason) return `paused: ${p.pauseReason}`;
  return p.workflowError ? `error: ${p.workflowError}` : 'ok';
}

function row(p) {
  const wf = p.links
    ? el(
        'td',
        { class: 'left' },
        p.links.marketMaker.url
          ? el('a', {
              href: p.links.marketMaker.url,
              target: '_blank',
              text: 'market maker',
              'data-workflow': p.links.marketMaker.id,
            })
          : el('span', { class: 'dim', text: p.links.marketMaker.id }),
        ' · ',
        p.links.spreadSaga.url
          ? el('a', {
              href: p.links.spreadSaga.url,
              target: '_blank',
              text: 'spread saga',
              'data-workflow': p.links.spreadSaga.id,
            })
          : el('span', { class: 'dim', text: p.links.spreadSaga.id }),
      )
    : el('td', { class: 'left dim', text: '–' });
  const pnl = p.pnl ? `${fmt(p.pnl.totalPnl)} (${fmt(p.pnl.returnPct, 3)}%)` : '–';
  return el(
    'tr',
    { 'data-pool': p.id },
    el(
      'td',
      {},
      el('a', { href: `/pools/${encodeURIComponent(p.id)}`, text: p.id }),
      el('div', { class: 'dim', text: `${p.baseAsset}/${p.quoteAsset}` }),
    ),
    el('td', { class: 'left' }, badge(p.state)),
    el('td', { text: fmt(p.mid, 2) }),
    el('td', { text: fmt(p.quotedSpreadBps, 1) }),
    el('td', { text: fmt(p.spreadBps, 1) }),
    el('td', { text: pct(p.inventoryShare) }),
    el('td', { class: p.pnl ? signClass(p.pnl.totalPnl) : '', text: pnl }),
    el('td', { text: String(p.recentFills) }),
    el('td', { text: ago(p.lastFillAtMs) }),
    el('td', { class: 'left', text: riskText(p) }),
    wf,
  );
}

function render(data) {
  const body = $('#pools tbody');
  body.replaceChildren(...data.pools.map(row));
  $('#empty').hidden = data.pools.length > 0;
  document.body.dataset.renderedAt = String(data.atMs);
}

async function main() {
  try {
    render(await getJson('/api/overview'));
  } catch (err) {
    $('#problem').hidden = false;
    $('#problem').textContent = `Could not load the pools: ${err.message}`;
  }
  const stream = new EventSource('/api/overview/stream');
  stream.addEventListener('open', () => setLive(true, 'live'));
  stream.addEventListener('error', () => setLive(false, 'reconnecting…'));
  stream.addEventListener('overview', (e) => render(JSON.parse(e.data)));
}

void main();

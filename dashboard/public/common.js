// Shared by the dashboard's pages: formatting, fetching, the chart defaults and the live badge.
import { createChart, ColorType } from '/vendor/lightweight-charts.mjs';

export const $ = (sel, root = document) => root.querySelector(sel);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** A decimal string shown with at most `dp` decimals (display only: the data stays exact). */
export function fmt(value, dp = 2) {
  if (value === null || value === undefined || value === '') return '–';
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  return n.toLocaleString('en-US', { maximumFractionDigits: dp, minimumFractionDigits: Math.min(dp, 2) });
}

export function pct(share, dp = 1) {
  if (share === null || share === undefined) return '–';
  return `${(Number(share) * 100).toFixed(dp)}%`;
}

export function signClass(v) {
  const n = Number(v);
  return !Number.isFinite(n) || n === 0 ? '' : n > 0 ? 'pos' : 'neg';
}

export function ago(ms) {
  if (!ms) return '–';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export function badge(state) {
  return el('span', { class: `badge ${String(state).replace(/[^a-z]/g, '')}`, text: state });
}

export function setLive(on, text) {
  const live = $('#live');
  if (!live) return;
  live.className = `live ${on ? 'on' : 'off'}`;
  live.textContent = text;
}

export function chartIn(container, opts = {}) {
  return createChart(container, {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: '#171d24' },
      textColor: '#8a96a3',
      attributionLogo: false,
    },
    grid: { vertLines: { color: '#222a33' }, horzLines: { color: '#222a33' } },
    timeScale: { timeVisible: true, secondsVisible: true, borderColor: '#2a323c' },
    rightPriceScale: { borderColor: '#2a323c' },
    ...opts,
  });
}

/** Points sorted by time, one per second (the last wins): the chart wants strictly rising times. */
export function bySecond(points) {
  const out = [];
  for (const p of [...points].sort((a, b) => a.time - b.time)) {
    const time = Math.floor(p.time);
    if (out.length && out[out.length - 1].time === time) out[out.length - 1] = { ...p, time };
    else out.push({ ...p, time });
  }
  return out;
}

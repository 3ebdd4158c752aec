import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, urlAs } from '../../db/roles';
import { startDashboard, type RunningDashboard } from '../../dashboard/server';
import { launchBrowser } from '../helpers/browser';
import { PROJECT_ROOT } from '../helpers/processes';
import {
  createFundedPool,
  eventsOf,
  seedTicks,
  startTicker,
  useMarketHarness,
  waitFor,
} from '../helpers/market';

/*
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a real
 * market: two pools quoting on the dev server, the dashboard logged in as the read-only role.
 */

const SHOTS = join('test-results', 'screenshots');
const UI = 'http://127.0.0.1:8233';

describe('dashboard in a browser', () => {
  const m = useMarketHarness('dash');
  let dashboard: RunningDashboard;
  let browser: Browser;
  const pools: Array<{ poolId: string; feed: string }> = [];
  const tickers: Array<ReturnType<typeof startTicker>> = [];
  const consoleProblems: string[] = [];

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') consoleProblems.push(`${path}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => consoleProblems.push(`${path}: ${err.message}`));
    page.on('requestfailed', (req) => {
      // Event streams are cut when a page closes; anything else failing is a problem.
      if (!req.url().includes('/stream'))
        consoleProblems.push(`${path}: ${req.url()} ${req.failure()?.errorText}`);
    });
    await page.goto(`${dashboard.url}${path}`);
    return page;
  }

  beforeAll(async () => {
    browser = await launchBrowser();
    for (let i = 0; i < 2; i++) {
      // The first pool's imbalance bands are narrow, so a few fills make the saga widen its spread.
      const config =
        i === 0 ? { spreadPolicy: { imbalanceThreshold: 0.01, criticalImbalanceThreshold: 0.2 } } : {};
      const pool = await createFundedPool(m.client, {
        poolId: `dash-${i + 1}-${Date.now().toString(36)}`,
        config,
      });
      await seedTicks(m.db, pool.feed, Array(30).fill('2000'));
      tickers.push(startTicker(m.db, pool.feed, '2000'));
      await m.client.startPool(pool.poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 1000 });
      pools.push(pool);
    }
    // Some history to draw: the first pool's asks lifted a few times, which moves its inventory.
    const first = pools[0]!.poolId;
    const ticker = tickers[0]!;
    for (let k = 0; k < 4; k++) {
      await ticker.setPrice(['2000', '2002.5', '2001', '2004'][k]!);
      const ask = await waitFor('quotes to lift', async () => {
        const s = await m.client.status(first);
        return s.state === 'quoting' && s.asks.length > 0 ? s.asks[0] : undefined;
      });
      await m.client.submitOrder({
        poolId: first,
        clientOrderId: `warm-${k}`,
        side: 'buy',
        type: 'ioc',
        price: ask.price,
        quantity: ask.size,
      });
      await new Promise((r) => setTimeout(r, 1200));
    }
    await waitFor('the saga to widen the first pool', async () =>
      (await eventsOf(m.db, first)).pool.some((e) => e.type === 'spread_adjusted'),
    );
    await waitFor('the second pool to quote', async () => {
      const s = await m.client.status(pools[1]!.poolId);
      return s.state === 'quoting' && s.asks.length > 0;
    });
    dashboard = await startDashboard({
      databaseUrl: urlAs(m.dbUrl, ROLES.dashboard),
      client: m.client,
      namespace: m.temporal.namespace,
      temporalUiUrl: UI,
      resultsDir: join('test', 'fixtures', 'backtest-results'),
      log: (line) => consoleProblems.push(`server: ${line}`),
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    for (const p of pools) await m.client.stopPool(p.poolId, 'test done').catch(() => {});
    for (const t of tickers) await t.stop();
  });

  it('the overview lists the running pools with their state, figures and Temporal links', async () => {
    const page = await open('/');
    for (const { poolId } of pools) {
      const row = page.locator(`tr[data-pool="${poolId}"]`);
      await row.waitFor();
      await expect.poll(() => row.locator('.badge').textContent()).toBe('quoting');
      expect(await row.locator(`a[data-workflow="market-maker/${poolId}"]`).getAttribute('href')).toBe(
        `${UI}/namespaces/${m.temporal.namespace}/workflows/${encodeURIComponent(`market-maker/${poolId}`)}`,
      );
      expect(await row.locator(`a[data-workflow="spread-saga/${poolId}"]`).count()).toBe(1);
      // Mid and inventory share come from the quotes and reserves: a number, not a dash.
      expect(await row.locator('td').nth(2).textContent()).toMatch(/\d/);
      expect(await row.locator('td').nth(5).textContent()).toMatch(/%$/);
    }
    const fills = await page.locator(`tr[data-pool="${pools[0]!.poolId}"] td`).nth(7).textContent();
    expect(Number(fills)).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    await page.close();
  });

  it('a pool page draws non-empty charts, and a trade made through the client library appears live', async () => {
    const poolId = pools[0]!.poolId;
    const page = await open(`/pools/${poolId}?window=15m`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#live.on');
    // Browser-side code as strings: the project's TypeScript has no DOM types.
    const points = (await page.evaluate('window.__dashboard.points')) as Record<string, number>;
    for (const series of ['mid', 'bids', 'asks', 'spread', 'target', 'inventory', 'pnl', 'fills'])
      expect(points[series], series).toBeGreaterThan(0);
    // The canvases hold drawn lines, not just the background: many distinct colours in each chart.
    const colours = (await page.evaluate(`['price', 'spread', 'inventory', 'pnl'].map((name) => {
      const seen = new Set();
      for (const canvas of document.querySelectorAll('#chart-' + name + ' canvas')) {
        const ctx = canvas.getContext('2d');
        if (!ctx || !canvas.width || !canvas.height) continue;
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 16) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
      return seen.size;
    })`)) as number[];
    for (const n of colours) expect(n).toBeGreaterThan(5);
    expect(await page.locator('#feed tr').count()).toBeGreaterThan(0);
    // The saga's widening is listed with its reasons.
    expect(await page.locator('#adjustments tbody tr', { hasText: /imbalance/i }).count()).toBeGreaterThan(0);
    expect(await page.locator('#workflows a[data-workflow]').count()).toBe(2);

    // The live path: a trade through the client library, seen by the page through the database's
    // notification and the event stream. The page stamps each fill row the moment it appears.
    await page.evaluate(`(() => {
      const seen = (window.__seen = {});
      new MutationObserver(() => {
        for (const row of document.querySelectorAll('#fills tr[data-trade-id]')) seen[row.dataset.tradeId] ??= Date.now();
      }).observe(document.querySelector('#fills tbody'), { childList: true });
    })()`);
    const ask = (await m.client.status(poolId)).asks[0]!;
    const submittedAt = Date.now();
    const result = await m.client.submitOrder({
      poolId,
      clientOrderId: 'live-1',
      side: 'buy',
      type: 'ioc',
      price: ask.price,
      quantity: ask.size,
    });
    expect(result.fills.length).toBeGreaterThan(0);
    const tradeId = result.fills[0]!.tradeId;
    const seenAt = `window.__seen[${JSON.stringify(tradeId)}]`;
    await page.waitForFunction(`${seenAt} !== undefined`, undefined, { timeout: 15_000 });
    const shownAt = (await page.evaluate(seenAt)) as number;
    // Recorded, not asserted (a loaded CI machine may be slower): the figure goes to the report.
    const latencyMs = shownAt - submittedAt;
    mkdirSync('test-results', { recursive: true });
    writeFileSync(
      join('test-results', 'dashboard-latency.json'),
      JSON.stringify({ tradeToDomMs: latencyMs }),
    );
    console.log(`dashboard: trade submitted to fill row shown in ${latencyMs} ms`);
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(SHOTS, 'pool.png'), fullPage: true });
    await page.close();
  });

  it('a fixed range in the past is drawn from the same reads and not followed live', async () => {
    const poolId = pools[0]!.poolId;
    const from = new Date(Date.now() - 10 * 60_000).toISOString();
    const to = new Date().toISOString();
    const page = await open(`/pools/${poolId}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#live').textContent()).toBe('fixed range (not live)');
    const points = (await page.evaluate('window.__dashboard.points')) as Record<string, number>;
    expect(points.mid).toBeGreaterThan(0);
    expect(points.fills).toBeGreaterThan(0);
    await page.close();
  });

  it('the backtest page draws equity curves, inventory paths, the P&L distribution and the tables of a results file', async () => {
    const page = await open('/backtests?file=tournament-sample.json');
    await page.waitForSelector('body[data-ready="true"]');
    const probe = (await page.evaluate('window.__dashboard')) as {
      series: Record<string, number>;
      tables: number;
    };
    // The first scenario's curves: two sample paths of each of three strategies; its P&L distribution.
    expect(probe.series).toEqual({ equity: 6, inventory: 6, pnl: 3 });
    expect(await page.locator('#series-group option').allTextContents()).toEqual([
      'series › gbm-calm',
      'series › jumpy',
    ]);
    expect(await page.locator('#dist-group option').count()).toBe(4);
    await page.selectOption('#dist-group', 'pnlVsHold › jumpy');
    expect(await page.locator('#legend-pnl').textContent()).toMatch(/glft \(200 paths\)/);
    const metrics = page.locator('table[data-table="metrics"]');
    expect(await metrics.locator('tbody tr').count()).toBe(6);
    // A column the page was not written for is shown, not dropped.
    expect(await metrics.locator('th', { hasText: 'futureColumn' }).count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'backtests.png'), fullPage: true });
    await page.close();
  });

  it('bad addresses and parameters get a 4xx that says what was wrong, never a 500', async () => {
    const poolId = pools[0]!.poolId;
    const cases: Array<[string, number, RegExp]> = [
      ['/pools/no-such-pool', 404, /no pool &quot;no-such-pool&quot;/],
      ['/api/pools/no-such-pool', 404, /no pool/],
      ['/api/pools/bad%20id!', 400, /pool id is 1-64/],
      ['/api/pools/%E0%A4%A', 400, /percent-encoding/],
      [`/api/pools/${poolId}?window=2y`, 400, /window must be one of/],
      [`/api/pools/${poolId}?from=yesterday`, 400, /from must be an ISO 8601 time/],
      [
        `/api/pools/${poolId}?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`,
        400,
        /from must be before to/,
      ],
      [`/api/pools/${poolId}?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`, 400, /at most 7 days/],
      [`/api/pools/${poolId}?window=1h&from=2026-01-01T00:00:00Z`, 400, /either window or from\/to/],
      [`/pools/${poolId}?window=forever`, 400, /window must be one of/],
      [`/api/pools/${poolId}/stream`, 400, /pool must be a non-negative integer/],
      ['/api/backtests/..%2F..%2Fpackage.json', 400, /plain \.json name/],
      ['/api/backtests/missing.json', 404, /no results file/],
      ['/nowhere', 404, /nothing here/],
    ];
    for (const [path, status, message] of cases) {
      const res = await fetch(`${dashboard.url}${path}`);
      expect(res.status, path).toBe(status);
      expect(await res.text(), path).toMatch(message);
    }
    expect((await fetch(`${dashboard.url}/api/overview`, { method: 'DELETE' })).status).toBe(405);
    // No token configured: there is no write path at all.
    const pause = await fetch(`${dashboard.url}/api/pools/${poolId}/pause`, { method: 'POST' });
    expect(pause.status).toBe(404);
    expect(((await pause.json()) as { error: string }).error).toMatch(/operator commands are off/);
  });

  it('reads as the read-only role: the database refuses a write on its connection', async () => {
    await expect(
      dashboard.db.updateTable('pools').set({ spread_bps: '1' }).where('id', '=', pools[0]!.poolId).execute(),
    ).rejects.toThrow(/read-only transaction|permission denied/);
  });

  it('with an operator token, pause and resume go through the client library; a wrong token is refused', async () => {
    const poolId = pools[1]!.poolId;
    const operated = await startDashboard({
      databaseUrl: urlAs(m.dbUrl, ROLES.dashboard),
      client: m.client,
      namespace: m.temporal.namespace,
      operatorToken: 'test-token-123',
    });
    try {
      const post = (cmd: string, token?: string) =>
        fetch(`${operated.url}/api/pools/${poolId}/${cmd}`, {
          method: 'POST',
          headers: token ? { 'x-dashboard-token': token } : {},
        });
      expect((await post('pause', 'wrong')).status).toBe(401);
      expect((await post('pause')).status).toBe(401);
      // A pool whose market maker never started: refused with what to do, not a 500.
      const idle = await createFundedPool(m.client, { poolId: `dash-idle-${Date.now().toString(36)}` });
      const refused = await fetch(`${operated.url}/api/pools/${idle.poolId}/pause`, {
        method: 'POST',
        headers: { 'x-dashboard-token': 'test-token-123' },
      });
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { error: string }).error).toMatch(/not running; start it first/);
      const page = await browser.newPage();
      await page.goto(`${operated.url}/pools/${poolId}`);
      await page.waitForSelector('body[data-ready="true"]');
      page.on('dialog', (d) => void d.accept('test-token-123'));
      await page.click('#pause');
      await waitFor(
        'the market maker to pause',
        async () => (await m.client.status(poolId)).state === 'paused',
      );
      await page.click('#resume');
      await waitFor(
        'the market maker to resume',
        async () => (await m.client.status(poolId)).state === 'quoting',
      );
      await page.close();
    } finally {
      await operated.close();
    }
  });

  it('npm run dashboard serves it alone against DATABASE_URL (read-only role) and TEMPORAL_ADDRESS, and prints its address', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/dashboard.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: urlAs(m.dbUrl, ROLES.dashboard),
        TEMPORAL_ADDRESS: m.temporal.address,
        TEMPORAL_NAMESPACE: m.temporal.namespace,
        DASHBOARD_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const url = await waitFor(
        'the dashboard address',
        async () => /Dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1],
      );
      const overview = (await (await fetch(`${url}/api/overview`)).json()) as {
        pools: Array<{ id: string; state: string }>;
      };
      expect(overview.pools.map((p) => p.id)).toEqual(expect.arrayContaining(pools.map((p) => p.poolId)));
      expect(overview.pools.find((p) => p.id === pools[0]!.poolId)?.state).toBe('quoting');
      expect(out).not.toMatch(/warning|error/i);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('logged no console errors or failed requests on any page', () => {
    expect(consoleProblems).toEqual([]);
  });
});

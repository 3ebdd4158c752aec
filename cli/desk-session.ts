import { startIngester, type Ingester } from '../adapters/price-feed/ingester';
import { latestTick } from '../db/price-ticks';
import { computePortfolio } from '../domain/portfolio';
import { Big, formatDecimal } from '../domain/money';
import { examplePairRegistry, parsePairList } from '../domain/pairs';
import { startLocalStack } from '../devenv/local-stack';
import type { PoolStatus } from '../client';
import { INFORMED_OWNER, NOISE_OWNER } from '../sim/takers';
import { startDemoTakers, submitAsOwner, TAKER_FLOW } from './demo-market';
import { openDeskMarket, setUpDeskPools, type DeskPool } from './desk-market';
import { formatDeskReport, formatPortfolioLine, readDeskPortfolio, type DeskPoolRef } from './desk-portfolio';
import type { RunOptions } from './options';
import { EventRateMeter, ProgressDisplay } from './progress';
import { captureBaseline, collectPoolReport, formatReport, type PoolBaseline } from './report';
import { gracefulStop } from './graceful-stop';
import { serveRunDashboard, type RunDashboard } from './run-dashboard';
import { ErrorLog, startFresh, stopPoolsAndCheck, waitForQuotes } from './session';

/*
 * `npm start -- --pairs BTC/USDC,ETH/BTC,...`: the run command's multi-pair desk. The same life cycle
 * as the ETH/USDC demo (cli/session.ts): local stack, pools, feeds, market makers, takers, progress,
 * graceful stop, report; with one correlated market feeding every pair, pools sized in USDC, a live
 * line with the desk's net exposure and P&L, and a portfolio and history report at the end.
 */

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Prices at the pair's precision: a 0.033 cross needs six decimals, BTC/USDC two. */
function priceText(p: string | null | undefined, tick: Big): string {
  if (p === null || p === undefined) return '-';
  return new Big(p).toFixed(Math.max(0, -Math.floor(Math.log10(Number(tick)))));
}

function deskProgressLine(pool: DeskPool, st: PoolStatus | null, fills: number, evs: number): string {
  const tick = pool.pair.tickSize;
  const bid = st?.bids[0]?.price ?? null;
  const ask = st?.asks[0]?.price ?? null;
  const mid = st?.mid ?? null;
  const width = bid && ask && mid ? new Big(ask).minus(bid).div(mid).times(10_000).toFixed(1) : '-';
  const inv = st?.inventoryShare ? `${new Big(st.inventoryShare).times(100).toFixed(1)}%` : '-';
  const err = st?.lastError ? `  last error: ${st.lastError.slice(0, 80)}` : '';
  return (
    `${pool.poolId.padEnd(17)} ${(st?.state ?? 'starting').padEnd(8)} mid ${priceText(mid, tick).padStart(9)} ` +
    `bid ${priceText(bid, tick).padStart(9)} / ask ${priceText(ask, tick).padEnd(9)} spread ${width.padStart(5)} bps  ` +
    `inv ${inv.padStart(6)}  fills ${String(fills).padStart(4)}  ev/s ${evs.toFixed(1).padStart(5)}${err}`
  );
}

export async function runDeskSession(opts: RunOptions & { pairs: string[] }): Promise<number> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const errors = new ErrorLog();
  const stop = gracefulStop(out);

  const registry = examplePairRegistry();
  const pairs = parsePairList(opts.pairs.join(','), registry, '--pairs');
  out(`Starting the local stack (Temporal dev server, Postgres, worker)...`);
  const stack = await startLocalStack({
    shutdownSignals: [],
    taskQueue: process.env.TASK_QUEUE || undefined,
    log: (l) => out(`  ${l}`),
  });
  const ingesters: Ingester[] = [];
  let dashboard: RunDashboard | undefined;
  try {
    const runTag = `${Date.now().toString(36)}`;
    const durationMs = opts.durationSeconds * 1000;
    const desk = await openDeskMarket(pairs, registry, {
      db: stack.db,
      seed: opts.seed,
      correlation: opts.correlation,
    });
    out(
      `Temporal ${stack.temporal.address} (namespace ${stack.temporal.namespace}), Postgres ${stack.postgres.embedded ? 'embedded' : 'from DATABASE_URL'}`,
    );
    out(`Feeds: ${desk.description}`);
    dashboard = await serveRunDashboard(stack);
    if (dashboard.url) out(`Dashboard: ${dashboard.url}`);
    const pools = await setUpDeskPools(stack, desk, pairs, {
      poolsPerPair: opts.pools,
      strategy: opts.strategy,
      refreshMs: opts.refreshMs,
      runTag,
    });
    const poolIds = pools.map((p) => p.poolId);
    const baselines: PoolBaseline[] = [];
    for (const id of poolIds) baselines.push(await captureBaseline(stack.db, id));
    const refs: DeskPoolRef[] = pools.map((p, i) => ({
      poolId: p.poolId,
      pair: p.pair.symbol,
      start: { base: baselines[i]!.reserveBase, quote: baselines[i]!.reserveQuote },
    }));
    for (const [i, p] of pools.entries()) {
      const b = baselines[i]!;
      const c = p.plan.config;
      out(
        `Pool ${p.poolId}: ${b.reserveBase} ${p.pair.base.symbol} + ${b.reserveQuote} ${p.pair.quote.symbol}, ` +
          `orders of ${c.ladder.baseOrderSize} ${p.pair.base.symbol}, TVL tiers ${c.spreadPolicy.lowTvlThreshold} / ${c.spreadPolicy.mediumTvlThreshold} ${p.pair.quote.symbol} ` +
          `(tick ${formatDecimal(p.pair.tickSize)}, lot ${formatDecimal(p.pair.lotSize)}, min ${formatDecimal(p.pair.minSize)}), strategy ${opts.strategy}`,
      );
    }

    for (const feed of desk.feeds.values()) {
      ingesters.push(
        startIngester({
          db: stack.db,
          feed,
          intervalMs: 1000,
          logger: { warn: () => {} },
          onError: (err) => errors.add('price feed', err instanceof Error ? err.message : String(err)),
        }),
      );
    }
    const tickDeadline = Date.now() + 30_000;
    for (const feed of desk.feeds.values()) {
      while (!(await latestTick(stack.db, feed.name)) && !stop.requested()) {
        if (Date.now() > tickDeadline) throw new Error(`price feed ${feed.name} stored no tick within 30 s`);
        await sleep(100);
      }
    }
    for (const id of poolIds) await startFresh(stack, id, opts.refreshMs, (l) => out(l));
    out(`Workflows: market-maker/<pool> and spread-saga/<pool> for ${poolIds.join(', ')}`);
    if (stack.temporal.uiUrl)
      out(`Temporal Web UI: ${stack.temporal.uiUrl}/namespaces/${stack.temporal.namespace}/workflows`);

    const quotesWait = Date.now();
    const noQuotes = await waitForQuotes(stack, poolIds, 60_000, () => stop.requested());
    if (!stop.requested()) out(`First quotes after ${((Date.now() - quotesWait) / 1000).toFixed(1)} s.`);
    if (noQuotes.length && !stop.requested())
      errors.add('market maker', `no two-sided quotes within 60 s for ${noQuotes.join(', ')}`);

    const startedAt = Date.now();
    out(
      `Running ${opts.durationSeconds > 0 ? `for ${opts.durationSeconds} s` : 'until Ctrl-C'}: ${pools.length} pool(s) over ${pairs.length} pair(s), ` +
        `takers ${TAKER_FLOW.arrivalRate}/s per side at the mid, k=${TAKER_FLOW.decayPerBps}/bp, ${TAKER_FLOW.informedShare * 100}% informed`,
    );
    const timer =
      opts.durationSeconds > 0
        ? setTimeout(() => stop.request(`${opts.durationSeconds} s elapsed`), durationMs)
        : undefined;
    const takerClients = {
      [NOISE_OWNER]: await stack.clientFor(NOISE_OWNER),
      [INFORMED_OWNER]: await stack.clientFor(INFORMED_OWNER),
    };
    const demoTakers = startDemoTakers(stack.db, {
      submit: submitAsOwner(takerClients),
      poolIds,
      markets: pools,
      seed: opts.seed,
      runTag,
      onError: (err) => errors.add('takers', err instanceof Error ? err.message : String(err)),
    });
    const takers = demoTakers.populations;
    const marketPairs = desk.market.pairs();

    const display = new ProgressDisplay();
    const meter = new EventRateMeter(stack.db, poolIds);
    await meter.sample();
    const seenErrors = new Set<string>();
    const progressLoop = (async () => {
      while (!stop.requested()) {
        const t0 = Date.now();
        try {
          const [statuses, rates, portfolio] = await Promise.all([
            Promise.all(poolIds.map((id) => stack.client.status(id).catch(() => null))),
            meter.sample(),
            readDeskPortfolio(stack.db, refs, marketPairs),
          ]);
          statuses.forEach((st, i) => {
            const key = `${poolIds[i]}: ${st?.lastError}`;
            if (st?.lastError && !seenErrors.has(key)) {
              seenErrors.add(key);
              errors.add(`market maker ${poolIds[i]}`, st.lastError);
            }
          });
          display.render([
            `${Math.round((Date.now() - startedAt) / 1000)} s`,
            ...pools.map((p, i) =>
              deskProgressLine(p, statuses[i] ?? null, takers[i]!.stats().fills, rates.get(p.poolId) ?? 0),
            ),
            formatPortfolioLine(computePortfolio(portfolio)),
          ]);
        } catch (err) {
          errors.add('progress', err instanceof Error ? err.message : String(err));
        }
        await Promise.race([sleep(Math.max(0, 1000 - (Date.now() - t0))), stop.stopped]);
      }
    })();

    await stop.stopped;
    clearTimeout(timer);
    await Promise.all([demoTakers.stop(), progressLoop]);
    await Promise.all(ingesters.map((i) => i.stop()));
    display.finish();
    const { endedAt } = await stopPoolsAndCheck(stack, poolIds, errors, out);

    const reports = [];
    for (const b of baselines) reports.push(await collectPoolReport(stack.db, b, endedAt));
    out('');
    out(formatReport(reports));
    out('');
    out(formatDeskReport(await readDeskPortfolio(stack.db, refs, marketPairs), reports));
    takers.forEach((t, i) => {
      const s = t.stats();
      if (s.errors) errors.add(`takers ${poolIds[i]}`, `${s.errors} order(s) failed, last: ${s.lastError}`);
    });
    const totalFills = reports.reduce((n, r) => n + r.poolBought.count + r.poolSold.count, 0);
    out(
      `Summary: ${pools.length} pools over ${pairs.length} pairs, ${totalFills} fills, ${errors.count} errors.`,
    );
    if (errors.count) {
      process.stderr.write(
        `Errors during the run:\n${errors
          .lines()
          .map((l) => `  - ${l}`)
          .join('\n')}\n`,
      );
    }
    return errors.count ? 1 : 0;
  } finally {
    await dashboard?.close();
    await Promise.all(ingesters.map((i) => i.stop()));
    await stack
      .close()
      .catch((err: unknown) =>
        process.stderr.write(`closing the worker and connections failed: ${String(err)}\n`),
      );
    if (stack.postgres.embedded) await stack.postgres.stop().catch(() => {});
    const t = stack.temporal;
    if (t.owned)
      out(
        `The Temporal dev server${t.pid ? ` (pid ${t.pid})` : ''} keeps running so ${t.uiUrl ?? 'its Web UI'} stays available${t.pid ? `; stop it with: kill ${t.pid}` : ''}`,
      );
    stop.dispose();
  }
}

import { startIngester, type Ingester } from '../adapters/price-feed/ingester';
import { bookTop, countOpenPoolOrders } from '../db/order-book';
import { latestTick } from '../db/price-ticks';
import { Big, formatDecimal } from '../domain/money';
import { startLocalStack, type LocalStack } from '../devenv/local-stack';
import { INFORMED_OWNER, NOISE_OWNER } from '../sim/takers';
import { setUpDemoPool, startDemoTakers, submitAsOwner, TAKER_FLOW } from './demo-market';
import { openFeed, poolIdPrefix } from './feeds';
import type { RunOptions } from './options';
import { EventRateMeter, formatProgressLine, ProgressDisplay } from './progress';
import { captureBaseline, collectPoolReport, formatReport, type PoolBaseline } from './report';
import { gracefulStop } from './graceful-stop';
import { serveRunDashboard, type RunDashboard } from './run-dashboard';

/*
 * One live market-making run (what `npm start` does once its options are parsed): starts (or
 * reuses) the Temporal dev server and Postgres, creates demo ETH/USDC pools, feeds a price, starts
 * each pool's market maker and spread saga, lets a simulated population of takers trade against
 * the quotes, shows progress, and on exit stops everything gracefully and reports what happened.
 */

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ErrorLog {
  private readonly seen = new Map<string, number>();
  add(source: string, message: string) {
    const key = `${source}: ${message}`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
  }
  get count() {
    return [...this.seen.values()].reduce((a, b) => a + b, 0);
  }
  lines() {
    return [...this.seen].map(([k, n]) => (n > 1 ? `${k} (x${n})` : k));
  }
}

/**
 * Ends a run's market makers (each cancels its resting orders), giving each 60 s, and checks that
 * no market-maker order is left open: a stop that fails or leaves quotes behind is a run error.
 */
export async function stopPoolsAndCheck(
  stack: Pick<LocalStack, 'client' | 'db'>,
  poolIds: string[],
  errors: ErrorLog,
  out: (line: string) => void,
): Promise<{ endedAt: number; open: number[] }> {
  const stopAt = Date.now();
  out(`Stopping the market makers (each cancels its resting orders)...`);
  const stops = await Promise.allSettled(
    poolIds.map((id) =>
      Promise.race([
        stack.client.stopPool(id, 'run finished'),
        sleep(60_000).then(() => {
          throw new Error(`market-maker/${id} did not stop within 60 s`);
        }),
      ]),
    ),
  );
  stops.forEach((s, i) => {
    if (s.status === 'rejected')
      errors.add(`stop ${poolIds[i]}`, s.reason instanceof Error ? s.reason.message : String(s.reason));
  });
  const endedAt = Date.now();
  out(`Stopped in ${((endedAt - stopAt) / 1000).toFixed(1)} s.`);
  const open = await Promise.all(poolIds.map((id) => countOpenPoolOrders(stack.db, id)));
  open.forEach((n, i) => {
    if (n > 0) errors.add('stop', `${n} market-maker order(s) of ${poolIds[i]} still open after the stop`);
  });
  return { endedAt, open };
}

/**
 * Starts the pool's workflows. A market maker left over from an interrupted run may still be
 * finishing its stop (startPool would attach to it): wait for it to end, then start anew.
 */
export async function startFresh(
  stack: LocalStack,
  poolId: string,
  refreshIntervalMs: number,
  log: (line: string) => void,
): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await stack.client.startPool(poolId, { refreshIntervalMs });
    const status = await stack.client.status(poolId).catch(() => null);
    if (!status || (status.state !== 'stopping' && status.state !== 'stopped')) return;
    log(`market-maker/${poolId} from an earlier run is still stopping; waiting for it to finish...`);
    await Promise.race([
      Promise.allSettled([
        stack.client.marketMaker(poolId).result(),
        stack.client.spreadSaga(poolId).result(),
      ]),
      sleep(60_000),
    ]);
  }
  throw new Error(
    `market-maker/${poolId} is stuck in its stop from an earlier run; see it in the Temporal UI`,
  );
}

export async function waitForQuotes(
  stack: LocalStack,
  poolIds: string[],
  timeoutMs: number,
  stopping: () => boolean,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let missing = poolIds;
  while (missing.length && Date.now() < deadline && !stopping()) {
    const tops = await Promise.all(missing.map((id) => bookTop(stack.db, id)));
    missing = missing.filter((_, i) => !(tops[i]!.bestBid && tops[i]!.bestAsk));
    if (missing.length) await sleep(250);
  }
  return missing;
}

export async function runSession(opts: RunOptions): Promise<number> {
  if (opts.pairs) {
    const { runDeskSession } = await import('./desk-session');
    return runDeskSession({ ...opts, pairs: opts.pairs });
  }
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const errors = new ErrorLog();
  const stop = gracefulStop(out);

  out(`Starting the local stack (Temporal dev server, Postgres, worker)...`);
  const stack = await startLocalStack({
    shutdownSignals: [],
    taskQueue: process.env.TASK_QUEUE || undefined,
    log: (l) => out(`  ${l}`),
  });
  let ingester: Ingester | undefined;
  let dashboard: RunDashboard | undefined;
  try {
    const runTag = `${Date.now().toString(36)}`;
    const durationMs = opts.durationSeconds * 1000;
    const feed = await openFeed(opts.feed, { db: stack.db, seed: opts.seed, durationMs });
    const poolIds = Array.from({ length: opts.pools }, (_, i) => `${poolIdPrefix(opts.feed)}-${i + 1}`);
    out(
      `Temporal ${stack.temporal.address} (namespace ${stack.temporal.namespace}), Postgres ${stack.postgres.embedded ? 'embedded' : 'from DATABASE_URL'}`,
    );
    out(`Feed: ${feed.description}`);
    dashboard = await serveRunDashboard(stack);
    if (dashboard.url) out(`Dashboard: ${dashboard.url}`);

    const setups = [];
    for (const [index, poolId] of poolIds.entries()) {
      setups.push(
        await setUpDemoPool(stack, {
          poolId,
          index,
          feedKind: opts.feed.kind,
          firstPrice: feed.firstPrice,
          strategy: opts.strategy,
          refreshMs: opts.refreshMs,
          runTag,
        }),
      );
    }
    const baselines: PoolBaseline[] = [];
    for (const id of poolIds) baselines.push(await captureBaseline(stack.db, id));
    for (const [i, s] of setups.entries()) {
      const tvl = s.pool.reserveBase.times(feed.firstPrice).plus(s.pool.reserveQuote);
      out(
        `Pool ${poolIds[i]}: ${formatDecimal(s.pool.reserveBase.round(4))} ETH + ${formatDecimal(s.pool.reserveQuote.round(2))} USDC ` +
          `(TVL ~${tvl.round(0).toFixed()} USDC), strategy ${s.pool.config.strategy.kind}, spread ${formatDecimal(s.pool.spreadBps)} bps`,
      );
    }

    ingester = startIngester({
      db: stack.db,
      feed: feed.feed,
      intervalMs: feed.pollMs,
      logger: { warn: () => {} },
      onError: (err) => errors.add('price feed', err instanceof Error ? err.message : String(err)),
    });
    // The market makers need a reference price before their first cycle.
    const tickDeadline = Date.now() + 30_000;
    while (!(await latestTick(stack.db, feed.feed.name)) && !stop.requested()) {
      if (Date.now() > tickDeadline)
        throw new Error(
          `price feed ${feed.feed.name} stored no tick within 30 s${ingester.stats().lastError ? `: ${ingester.stats().lastError}` : ''}`,
        );
      await sleep(100);
    }
    for (const id of poolIds) await startFresh(stack, id, opts.refreshMs, (l) => out(l));
    const ui = stack.temporal.uiUrl
      ? `${stack.temporal.uiUrl}/namespaces/${stack.temporal.namespace}/workflows`
      : null;
    out(`Workflows: ${poolIds.map((id) => `market-maker/${id}, spread-saga/${id}`).join('; ')}`);
    out(
      ui
        ? `Temporal Web UI: ${ui}`
        : `Temporal Web UI: served by the server at ${stack.temporal.address} (address not known to this command)`,
    );

    const quotesWait = Date.now();
    const noQuotes = await waitForQuotes(stack, poolIds, 60_000, () => stop.requested());
    if (!stop.requested()) out(`First quotes after ${((Date.now() - quotesWait) / 1000).toFixed(1)} s.`);
    if (noQuotes.length && !stop.requested())
      errors.add('market maker', `no two-sided quotes within 60 s for ${noQuotes.join(', ')}`);

    // ---- the run
    const startedAt = Date.now();
    out(
      `Running ${opts.durationSeconds > 0 ? `for ${opts.durationSeconds} s` : 'until Ctrl-C'}: ${opts.pools} pool(s), takers ${TAKER_FLOW.arrivalRate}/s per side at the mid, k=${TAKER_FLOW.decayPerBps}/bp, ${TAKER_FLOW.informedShare * 100}% informed`,
    );
    const timer =
      opts.durationSeconds > 0
        ? setTimeout(() => stop.request(`${opts.durationSeconds} s elapsed`), durationMs)
        : undefined;

    // Informed and noise flow trade as two principals, each through its own client login, so the
    // report can tell them apart by the trades' owners, which the database takes from the login.
    const takerClients = {
      [NOISE_OWNER]: await stack.clientFor(NOISE_OWNER),
      [INFORMED_OWNER]: await stack.clientFor(INFORMED_OWNER),
    };
    const demoTakers = startDemoTakers(stack.db, {
      submit: submitAsOwner(takerClients),
      poolIds,
      scales: setups.map((x) => x.scale),
      seed: opts.seed,
      runTag,
      feed: feed.feed,
      onError: (err) => errors.add('takers', err instanceof Error ? err.message : String(err)),
    });
    const takers = demoTakers.populations;

    const display = new ProgressDisplay();
    const meter = new EventRateMeter(stack.db, poolIds);
    await meter.sample();
    const seenErrors = new Set<string>();
    const sampleOnce = async () => {
      const [statuses, sagas, rates] = await Promise.all([
        Promise.all(poolIds.map((id) => stack.client.status(id).catch(() => null))),
        Promise.all(poolIds.map((id) => stack.client.spreadStatus(id).catch(() => null))),
        meter.sample(),
      ]);
      for (const [i, st] of statuses.entries()) {
        for (const [who, e] of [
          ['market maker', st?.lastError],
          ['spread saga', sagas[i]?.lastError],
        ] as const) {
          const key = `${who} ${poolIds[i]}: ${e}`;
          if (e && !seenErrors.has(key)) {
            seenErrors.add(key);
            errors.add(`${who} ${poolIds[i]}`, e);
          }
        }
      }
      display.render(
        poolIds.map((id, i) =>
          formatProgressLine({
            poolId: id,
            elapsedSeconds: (Date.now() - startedAt) / 1000,
            status: statuses[i] ?? null,
            fills: takers[i]!.stats().fills,
            eventsPerSecond: rates.get(id) ?? 0,
          }),
        ),
      );
    };
    const progressLoop = (async () => {
      while (!stop.requested()) {
        const t0 = Date.now();
        try {
          await sampleOnce();
        } catch (err) {
          errors.add('progress', err instanceof Error ? err.message : String(err));
        }
        await Promise.race([sleep(Math.max(0, 1000 - (Date.now() - t0))), stop.stopped]);
      }
    })();

    await stop.stopped;
    clearTimeout(timer);
    // ---- shutdown: takers and feed first, then the market makers (which cancel their orders)
    await Promise.all([demoTakers.stop(), progressLoop]);
    await ingester.stop();
    display.finish();
    const { endedAt, open } = await stopPoolsAndCheck(stack, poolIds, errors, out);
    out(`Open market-maker orders left: ${poolIds.map((id, i) => `${id} ${open[i]}`).join(', ')}`);

    const reports = [];
    for (const b of baselines) reports.push(await collectPoolReport(stack.db, b, endedAt));
    out('');
    out(formatReport(reports));
    out('');
    takers.forEach((t, i) => {
      const s = t.stats();
      if (s.errors) errors.add(`takers ${poolIds[i]}`, `${s.errors} order(s) failed, last: ${s.lastError}`);
      out(
        `Takers ${poolIds[i]}: ${s.orders} IOC orders (${s.informedOrders} informed), ${s.filledOrders} traded, ${s.fills} fills; ` +
          `bought ${new Big(s.boughtBase).toFixed(4)} ETH, sold ${new Big(s.soldBase).toFixed(4)} ETH`,
      );
    });
    const ing = ingester.stats();
    out(`Price feed ${feed.feed.name}: ${ing.ticksStored} ticks stored, ${ing.errors} errors`);
    const totalFills = reports.reduce((n, r) => n + r.poolBought.count + r.poolSold.count, 0);
    const totalAdjustments = reports.reduce((n, r) => n + r.spreadChanges.length, 0);
    out(`Summary: ${totalFills} fills, ${totalAdjustments} spread adjustments, ${errors.count} errors.`);
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
    if (ingester) await ingester.stop();
    await stack
      .close()
      .catch((err: unknown) =>
        process.stderr.write(`closing the worker and connections failed: ${String(err)}\n`),
      );
    if (stack.postgres.embedded) await stack.postgres.stop().catch(() => {});
    const t = stack.temporal;
    if (t.owned && t.pid) {
      out(
        `The Temporal dev server (pid ${t.pid}) keeps running so ${t.uiUrl ?? 'its Web UI'} stays available; stop it with: kill ${t.pid}`,
      );
    } else if (t.owned) {
      out(
        `The Temporal dev server keeps running so ${t.uiUrl ?? 'its Web UI'} stays available; stop it by ending its process.`,
      );
    } else {
      out(
        `The Temporal server at ${t.address} was already running and is left as it was${t.uiUrl ? ` (Web UI ${t.uiUrl})` : ''}.`,
      );
    }
    stop.dispose();
  }
}

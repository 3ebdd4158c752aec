import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { marketMakerWorkflowId, spreadSagaWorkflowId } from '../../client';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import {
  createFundedPool,
  openPoolOrders,
  seedTicks,
  useMarketHarness,
  startTicker,
  waitFor,
} from '../helpers/market';

type History = temporal.api.history.v1.IHistory;
interface RunHistory {
  workflowId: string;
  runId: string;
  history: History;
}

/*
 * Determinism: histories recorded by the live worker must replay against the current workflow code
 * without a nondeterminism error, including signals, updates, a stop and a continueAsNew.
 */
describe('replaying recorded histories against the workflow code', () => {
  const m = useMarketHarness('replay');

  /** Every run of a workflow from its first run on, following continueAsNew. */
  async function chainHistories(workflowId: string, firstRunId: string): Promise<RunHistory[]> {
    const out: RunHistory[] = [];
    let runId: string | undefined = firstRunId;
    while (runId) {
      const history: History = await m.temporal.client.workflow.getHandle(workflowId, runId).fetchHistory();
      out.push({ workflowId, runId, history });
      const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
      runId =
        events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
        undefined;
    }
    return out;
  }

  async function replay(histories: RunHistory[]) {
    const results = [];
    for await (const r of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS_PATH, replayName: 'replay-test' },
      histories.map(({ workflowId, history }) => ({ workflowId, history })),
    )) {
      results.push(r);
    }
    return results;
  }

  const events = (histories: RunHistory[]) => histories.flatMap((r) => r.history.events ?? []);

  it('a pool with a trade, pause/resume, an updateConfig and a stop replays without error', async () => {
    const { poolId, feed } = await createFundedPool(m.client);
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    let runs: { marketMakerRunId: string; sagaRunId: string };
    try {
      runs = await m.client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 1000 });
      const quoting = await waitFor(
        'first quotes',
        async () => {
          const s = await m.client.status(poolId);
          return s.state === 'quoting' && s.asks.length > 0 ? s : undefined;
        },
        60_000,
        200,
      );
      const fill = await m.client.submitOrder({
        poolId,
        clientOrderId: 'lift-1',
        side: 'buy',
        type: 'ioc',
        price: quoting.asks[0]!.price,
        quantity: '0.01',
      });
      expect(fill.fills.length).toBeGreaterThan(0);
      await waitFor(
        'the saga to count the trade',
        async () => (await m.client.spreadStatus(poolId)).counts.order_executed === fill.fills.length,
        60_000,
        200,
      );

      await m.client.pause(poolId, 'replay test');
      await waitFor('paused', async () => (await m.client.status(poolId)).state === 'paused', 30_000, 200);
      await m.client.resume(poolId);
      await waitFor(
        'quoting again',
        async () => (await m.client.status(poolId)).state === 'quoting',
        30_000,
        200,
      );

      const config = await m.client.updateConfig(poolId, { refreshIntervalMs: 800 });
      expect(config.refreshIntervalMs).toBe(800);
      // A refused update leaves no event in history but runs the validator on the live worker.
      const refused = await m.client
        .marketMaker(poolId)
        .executeUpdate('updateConfig', { args: [{ refreshIntervalMs: 'fast' }] })
        .then(
          () => undefined,
          (err: Error) => err,
        );
      expect((refused?.cause as Error | undefined)?.message).toMatch(/refreshIntervalMs/);
      await waitFor(
        'a session running',
        async () => (await m.client.status(poolId)).sessionRunning,
        30_000,
        200,
      );

      const final = await m.client.stopPool(poolId, 'replay test done');
      expect(final?.state).toBe('stopped');
    } finally {
      await m.client.stopPool(poolId, 'cleanup', { wait: false }).catch(() => undefined);
      await ticker.stop();
    }
    expect(await openPoolOrders(m.db, poolId)).toEqual([]);

    const mm = await chainHistories(marketMakerWorkflowId(poolId), runs.marketMakerRunId);
    const saga = await chainHistories(spreadSagaWorkflowId(poolId), runs.sagaRunId);
    // The histories hold what the test did, so the replay below covers it.
    const mmEvents = events(mm);
    const signals = mmEvents
      .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)
      .filter(Boolean);
    expect(signals).toEqual(expect.arrayContaining(['pause', 'resume', 'stop']));
    expect(
      mmEvents.some(
        (e) =>
          e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'updateConfig',
      ),
    ).toBe(true);
    expect(mmEvents.some((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toBe(true);
    expect(mmEvents.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    expect(events(saga).at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();

    const results = await replay([...mm, ...saga]);
    expect(results).toHaveLength(mm.length + saga.length);
    for (const r of results)
      expect(r.error, `${r.workflowId} ${r.runId}: ${String(r.error)}`).toBeUndefined();
  }, 240_000);

  it('a history that ended in continueAsNew replays, and so does the run it continued into', async () => {
    const { poolId, feed } = await createFundedPool(m.client);
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    const id = marketMakerWorkflowId(poolId);
    let firstRunId: string;
    try {
      // One session per run: every pause ends a session, so every pause/resume is a new run.
      ({ marketMakerRunId: firstRunId } = await m.client.startPool(poolId, {
        maxSessionsPerRun: 1,
        refreshIntervalMs: 200,
      }));
      for (let i = 0; i < 2; i++) {
        await waitFor('quoting', async () => (await m.client.status(poolId)).sessionRunning, 30_000, 200);
        await m.client.pause(poolId, `turn ${i}`);
        await waitFor('paused', async () => (await m.client.status(poolId)).state === 'paused', 30_000, 200);
        await m.client.resume(poolId);
      }
      const later = await waitFor(
        'the market maker to continue as new',
        async () => {
          const s = await m.client.status(poolId);
          return s.runs >= 3 && s.state === 'quoting' ? s : undefined;
        },
        60_000,
        200,
      );
      // The session count is carried across runs, not restarted.
      expect(later.sessions).toBeGreaterThanOrEqual(3);
      await m.client.stopPool(poolId, 'replay test done');
    } finally {
      await m.client.stopPool(poolId, 'cleanup', { wait: false }).catch(() => undefined);
      await ticker.stop();
    }

    const first = await m.temporal.client.workflow.getHandle(id, firstRunId).fetchHistory();
    const last = first.events?.at(-1);
    expect(last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId).toBeTruthy();
    const chain = await chainHistories(id, firstRunId);
    expect(chain.length).toBeGreaterThanOrEqual(3);
    expect(chain[0]!.history.events?.length).toBe(first.events?.length);

    // The first run alone, as the brief's `getHandle(id, firstRunId)` gives it…
    await expect(
      Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: 'replay-can-first' }, first, id),
    ).resolves.toBeUndefined();
    // …and every run of the chain, the carried state included.
    const results = await replay(chain);
    expect(results).toHaveLength(chain.length);
    for (const r of results)
      expect(r.error, `${r.workflowId} ${r.runId}: ${String(r.error)}`).toBeUndefined();
  }, 240_000);
});

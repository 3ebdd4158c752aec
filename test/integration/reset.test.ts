import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { marketMakerWorkflowId, spreadSagaWorkflowId } from '../../client';
import { readStream } from '../../db/event-store';
import { poolStream } from '../../domain/streams';
import { sagaStatusQuery, type SpreadSagaStatus } from '../../workflows/definitions';
import {
  createFundedPool,
  eventsOf,
  openPoolOrders,
  seedTicks,
  startTicker,
  useMarketHarness,
  waitFor,
} from '../helpers/market';

type History = temporal.api.history.v1.IHistory;
const { EventType, ResetReapplyType, WorkflowTaskFailedCause } = temporal.api.enums.v1;

/*
 * Finding 6 of issue 10: a Temporal reset starts a new run that keeps the first run's
 * firstExecutionRunId. Idempotency keys built from it made the new run's decisions look done
 * (lifecycle and risk events dropped), and the saga's checkpoint, rewound with the rest of its
 * state, had it process pool events a second time. These tests reset both workflows for real.
 */

/** Alternating prices whose per-second log returns have a standard deviation of about `perSecond`. */
function choppyPrices(n: number, mid: number, perSecond: number): string[] {
  return Array.from({ length: n }, (_, i) => (mid * (i % 2 ? 1 + perSecond : 1)).toFixed(2));
}

function decodePayload(p: temporal.api.common.v1.IPayload | null | undefined): unknown {
  return p?.data ? JSON.parse(Buffer.from(p.data).toString('utf8')) : undefined;
}

/** The results of the saga's event reads (local activities) recorded in a history after `afterEventId`. */
function eventReads(history: History, afterEventId = 0): Array<{ read: number; lastVersion: number }> {
  const out: Array<{ read: number; lastVersion: number }> = [];
  for (const e of history.events ?? []) {
    const marker = e.markerRecordedEventAttributes;
    if (Number(e.eventId) <= afterEventId || !marker?.details) continue;
    const meta = decodePayload(marker.details.data?.payloads?.[0]) as { activity_type?: string } | undefined;
    const result = decodePayload(marker.details.result?.payloads?.[0]) as
      { events?: { read: number; lastVersion: number }; read?: number; lastVersion?: number } | undefined;
    if (meta?.activity_type === 'readSpreadInputs' && result?.events) out.push(result.events);
    if (meta?.activity_type === 'readPoolEvents' && result?.read !== undefined)
      out.push(result as { read: number; lastVersion: number });
  }
  return out;
}

/** The id of the event where the reset run's own history begins (the reset's failed workflow task). */
function resetPoint(history: History): number {
  const failed = (history.events ?? []).find(
    (e) =>
      e.workflowTaskFailedEventAttributes?.cause ===
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
  );
  if (!failed) throw new Error('the reset run has no reset marker in its history');
  return Number(failed.eventId);
}

describe('a Temporal reset of either workflow', () => {
  const m = useMarketHarness('reset');

  async function resetToFirstWorkflowTask(workflowId: string, runId: string): Promise<string> {
    const history = await m.temporal.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const firstTask = (history.events ?? []).find(
      (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    );
    const reset = await m.temporal.client.workflowService.resetWorkflowExecution({
      namespace: m.temporal.namespace,
      workflowExecution: { workflowId, runId },
      reason: 'test: reset to the first workflow task',
      workflowTaskFinishEventId: firstTask!.eventId!,
      requestId: randomUUID(),
      resetReapplyType: ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
    });
    expect(reset.runId).toBeTruthy();
    expect(reset.runId).not.toBe(runId);
    return reset.runId!;
  }

  it('market maker: the reset run records its own start and stop, and quotes under a new fence', async () => {
    const { poolId, feed } = await createFundedPool(m.client);
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    const workflowId = marketMakerWorkflowId(poolId);
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 500, catchUpIntervalMs: 600_000 });
      const before = await waitFor('quotes', async () => {
        const s = await m.client.status(poolId);
        return s.state === 'quoting' && s.asks.length ? s : undefined;
      });
      await m.client.stopPool(poolId, 'before the reset');
      const firstRunId = (await m.temporal.client.workflow.getHandle(workflowId).describe()).runId;

      const newRunId = await resetToFirstWorkflowTask(workflowId, firstRunId);
      // What made first-run keys collide: the reset run is a new run of the same chain.
      const history = await m.temporal.client.workflow.getHandle(workflowId, newRunId).fetchHistory();
      const startedAttrs = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      expect(startedAttrs?.firstExecutionRunId).toBe(firstRunId);
      const after = await waitFor('quotes from the reset run', async () => {
        const s = await m.client.status(poolId);
        return s.state === 'quoting' && s.sessionRunning && s.asks.length ? s : undefined;
      });
      expect(Number(after.generation)).toBeGreaterThan(Number(before.generation));
      await m.client.stopPool(poolId, 'after the reset');

      const { mm } = await eventsOf(m.db, poolId);
      const started = mm.filter((e) => e.type === 'market_maker_started');
      const stopped = mm.filter((e) => e.type === 'market_maker_stopped');
      // One start and one stop per run: the reset run's are recorded, not skipped as done.
      expect(started.map((e) => e.eventId)).toEqual([
        expect.stringContaining(firstRunId),
        expect.stringContaining(newRunId),
      ]);
      expect(stopped.map((e) => e.payload.reason)).toEqual(['before the reset', 'after the reset']);
      expect(stopped[1]!.eventId).toContain(newRunId);
      expect(await openPoolOrders(m.db, poolId)).toEqual([]);
    } finally {
      await m.client.stopPool(poolId, 'cleanup', { wait: false }).catch(() => undefined);
      await ticker.stop();
    }
  }, 180_000);

  it('spread saga: no pool event processed twice, the reset run records its decisions, the checkpoint never moves back', async () => {
    const { poolId, feed } = await createFundedPool(m.client, {
      config: { volatility: { method: 'rolling', window: 40 } },
    });
    // About 6% per hour: the "high" regime, which the saga records as a decision in its first iteration.
    await seedTicks(m.db, feed, choppyPrices(41, 2000, 0.0011), 1000);
    const workflowId = spreadSagaWorkflowId(poolId);
    const saga = await m.temporal.client.workflow.start('SpreadManagementSaga', {
      taskQueue: m.temporal.taskQueue,
      workflowId,
      args: [{ poolId, catchUpIntervalMs: 300 }],
    });
    const firstRunId = saga.firstExecutionRunId;

    // The durable checkpoint, sampled throughout.
    const samples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        // A failed sample (no such column before the durable checkpoint existed) is no sample.
        const row = await m.db
          .selectFrom('checkpoints')
          .select('stream_version')
          .where('subscriber', '=', workflowId)
          .executeTakeFirst()
          .catch(() => undefined);
        if (row?.stream_version) samples.push(Number(row.stream_version));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const head = async () => (await readStream(m.db, poolStream(poolId), 0, 100_000)).length;
    const addLiquidity = (requestId: string) =>
      m.client.addLiquidity({ poolId, base: '1', quote: '2000', requestId });
    /**
     * Until the run has processed the whole stream, its own decisions' events included: two whole
     * iterations (the first may record a decision, the next reads it) and nothing left to read.
     */
    const caughtUp = async (runId: string) => {
      const from = (await m.temporal.client.workflow.getHandle(workflowId, runId).query(sagaStatusQuery))
        .iteration;
      return waitFor(`run ${runId} to reach the head of the pool's stream`, async () => {
        const target = await head();
        const s = await m.temporal.client.workflow.getHandle(workflowId, runId).query(sagaStatusQuery);
        return s.iteration >= from + 2 && s.checkpoint === target && (await head()) === target
          ? s
          : undefined;
      });
    };

    let newRunId: string;
    let final: SpreadSagaStatus;
    try {
      for (const id of ['a', 'b', 'c']) await addLiquidity(id);
      const beforeReset = await caughtUp(firstRunId);
      expect(beforeReset.lastMetrics?.volatilityRegime).toBe('high');

      newRunId = await resetToFirstWorkflowTask(workflowId, firstRunId);
      for (const id of ['d', 'e']) await addLiquidity(id);
      const afterReset = await caughtUp(newRunId);
      final = afterReset;

      // Each event counted once over the saga's life, whichever run read it.
      const events = await readStream(m.db, poolStream(poolId), 0, 100_000);
      const byType: Record<string, number> = {};
      for (const e of events.filter((x) => x.streamVersion <= afterReset.checkpoint))
        byType[e.type] = (byType[e.type] ?? 0) + 1;
      expect(afterReset.counts).toEqual(byType);

      // Handed over for processing once: the old run's reads plus the reset run's own reads cover
      // the stream exactly, with no range read again.
      const oldHistory = await m.temporal.client.workflow.getHandle(workflowId, firstRunId).fetchHistory();
      const newHistory = await m.temporal.client.workflow.getHandle(workflowId, newRunId).fetchHistory();
      const reads = [...eventReads(oldHistory), ...eventReads(newHistory, resetPoint(newHistory))];
      const handedOver = reads.reduce((n, r) => n + r.read, 0);
      expect(handedOver).toBe(afterReset.checkpoint);

      // The reset run's decision (the volatility regime it found) is recorded, not dropped as done.
      const regimeChanges = events.filter((e) => e.type === 'market_volatility_changed');
      expect(regimeChanges.map((e) => e.eventId)).toEqual([
        expect.stringContaining(firstRunId),
        expect.stringContaining(newRunId),
      ]);
      // The durable checkpoint is stored by the next catch-up's read, one iteration behind the
      // status: wait for it to reach the head before sampling stops.
      await waitFor('the durable checkpoint to reach the head', async () =>
        samples.at(-1) === final.checkpoint ? true : undefined,
      );
    } finally {
      sampling = false;
      await sampler;
      await m.temporal.client.workflow
        .getHandle(workflowId)
        .signal('stop')
        .catch(() => undefined);
    }
    // The stored checkpoint only ever moved forward, and reached the head.
    expect(samples.length).toBeGreaterThan(0);
    for (let i = 1; i < samples.length; i++) expect(samples[i]).toBeGreaterThanOrEqual(samples[i - 1]!);
    expect(samples.at(-1)).toBe(final!.checkpoint);
  }, 180_000);
});

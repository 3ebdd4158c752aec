import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionHeartbeat } from '../../activities/quoting-session';
import type { MarketMakerStatus } from '../../client';
import { findTemporalCli } from '../../devenv/temporal-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import {
  createFundedPool,
  openPoolOrders,
  seedTicks,
  startMarketWorker,
  startTicker,
  waitFor,
  type MarketHarness,
} from '../helpers/market';
import { runCommand, type CliResult } from '../helpers/processes';
import { connectTemporal, type TemporalTestContext } from '../helpers/temporal';

/*
 * Design section 4: every input and output is plain JSON, so an operator's `temporal` command drives
 * the market maker without custom code. This runs the real CLI binary against the tests' dev server.
 */
describe('operating the market maker with the temporal CLI (plain JSON)', () => {
  let t: TestDatabase;
  let temporal: TemporalTestContext;
  let h: MarketHarness;
  let cli: string;

  beforeAll(async () => {
    const found = findTemporalCli();
    if (!found)
      throw new Error(
        'No Temporal CLI found (the global setup should have resolved one); set TEMPORAL_CLI_PATH.',
      );
    cli = found.path;
    t = await createTestDatabase();
    temporal = await connectTemporal('cli');
    h = await startMarketWorker(t, temporal);
  });
  afterAll(async () => {
    await h?.shutdown();
    await temporal?.close();
    await t?.drop();
  });

  const temporalCmd = (args: string[]): Promise<CliResult> =>
    runCommand(cli, [...args, '--address', temporal.address, '--namespace', temporal.namespace]);
  const ok = async (args: string[]): Promise<CliResult> => {
    const r = await temporalCmd(args);
    if (r.code !== 0)
      throw new Error(`temporal ${args.join(' ')} exited with ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  /** `temporal workflow query -o json` prints `{"queryResult": [<the handler's return value>]}`. */
  const queryStatus = async (workflowId: string): Promise<MarketMakerStatus> => {
    const r = await ok(['workflow', 'query', '--workflow-id', workflowId, '--name', 'status', '-o', 'json']);
    const parsed = JSON.parse(r.stdout) as { queryResult?: unknown[] } | unknown[];
    const result = Array.isArray(parsed) ? parsed[0] : parsed.queryResult?.[0];
    if (!result || typeof result !== 'object') throw new Error(`unexpected query output: ${r.stdout}`);
    return result as MarketMakerStatus;
  };

  /**
   * The running session's live figures as an operator reads them: `temporal workflow describe`
   * shows the quoting session as a pending activity with its last heartbeat details.
   */
  const describeLive = async (workflowId: string): Promise<SessionHeartbeat['live'] | undefined> => {
    const r = await ok(['workflow', 'describe', '--workflow-id', workflowId, '-o', 'json']);
    // The CLI prints JSON payloads decoded: heartbeatDetails is the list of detail values.
    const d = JSON.parse(r.stdout) as {
      pendingActivities?: Array<{ activityType?: { name?: string }; heartbeatDetails?: SessionHeartbeat[] }>;
    };
    const session = d.pendingActivities?.find((a) => a.activityType?.name === 'runQuotingSession');
    const live = session?.heartbeatDetails?.[0]?.live;
    // Go's JSON prints an empty list as null.
    return live ? { ...live, bids: live.bids ?? [], asks: live.asks ?? [] } : undefined;
  };
  const quotingLive = async (workflowId: string, minCycle = 0) => {
    const s = await queryStatus(workflowId);
    const live = await describeLive(workflowId);
    return s.state === 'quoting' && live && live.asks.length > 0 && live.cycle >= minCycle
      ? { ...s, ...live }
      : undefined;
  };

  it('start, pause, query, resume, update the config, refuse a bad update and stop, all from the CLI', async () => {
    const { poolId, feed } = await createFundedPool(h.client);
    await seedTicks(t.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(t.db, feed, '2000');
    const workflowId = `market-maker/${poolId}`;
    let stopped = false;
    try {
      await ok([
        'workflow',
        'start',
        '--type',
        'MarketMakerWorkflow',
        '--task-queue',
        temporal.taskQueue,
        '--workflow-id',
        workflowId,
        '--input',
        JSON.stringify({ poolId, refreshIntervalMs: 500 }),
      ]);
      const first = await waitFor('quotes after a CLI start', () => quotingLive(workflowId), 60_000, 250);
      expect(first.poolId).toBe(poolId);
      expect(first.refreshIntervalMs).toBe(500);
      // Decimal strings, not numbers, in the JSON the CLI prints.
      expect(typeof first.mid).toBe('string');
      expect(typeof first.asks[0]!.price).toBe('string');

      await ok([
        'workflow',
        'signal',
        '--workflow-id',
        workflowId,
        '--name',
        'pause',
        '--input',
        JSON.stringify({ reason: 'cli' }),
      ]);
      const paused = await waitFor(
        'paused by the CLI signal',
        async () => {
          const s = await queryStatus(workflowId);
          return s.state === 'paused' ? s : undefined;
        },
        30_000,
        250,
      );
      expect(paused.pauseReason).toBe('cli');
      await waitFor(
        'the pool orders to be cancelled while paused',
        async () => (await openPoolOrders(t.db, poolId)).length === 0,
        30_000,
        250,
      );

      await ok(['workflow', 'signal', '--workflow-id', workflowId, '--name', 'resume']);
      const resumed = await waitFor(
        'quoting again after the CLI resume',
        async () => {
          const s = await quotingLive(workflowId);
          return s && s.restingOrders > 0 ? s : undefined;
        },
        30_000,
        250,
      );
      expect(resumed.pauseReason).toBeNull();

      const updated = await ok([
        'workflow',
        'update',
        'execute',
        '--workflow-id',
        workflowId,
        '--name',
        'updateConfig',
        '--input',
        JSON.stringify({ refreshIntervalMs: 700 }),
        '-o',
        'json',
      ]);
      expect(updated.stdout).toContain('700');
      const afterUpdate = await waitFor(
        'the new refresh interval in the status',
        async () => {
          const s = await queryStatus(workflowId);
          return s.refreshIntervalMs === 700 ? s : undefined;
        },
        30_000,
        250,
      );
      expect(afterUpdate.state).toBe('quoting');

      // Refused updates: a clear message naming the field; the workflow is unharmed.
      for (const [patch, field] of [
        [{ refreshIntervalMs: 'fast' }, 'refreshIntervalMs'],
        [{ spreadPolicy: { maxSpreadBps: '-5' } }, 'spreadPolicy.maxSpreadBps'],
      ] as const) {
        const refused = await temporalCmd([
          'workflow',
          'update',
          'execute',
          '--workflow-id',
          workflowId,
          '--name',
          'updateConfig',
          '--input',
          JSON.stringify(patch),
        ]);
        expect(refused.code, `${JSON.stringify(patch)} should be refused: ${refused.stdout}`).not.toBe(0);
        expect(refused.stderr + refused.stdout).toContain(field);
      }
      // The refresh change restarted the session: wait for its first quotes rather than read once.
      const before = await waitFor(
        'quotes after the refused updates',
        () => quotingLive(workflowId),
        30_000,
        250,
      );
      expect(before.refreshIntervalMs).toBe(700);
      expect(before.lastError).toBeNull();
      const later = await waitFor(
        'the cycle to advance after the refused updates',
        () => quotingLive(workflowId, before.cycle + 2),
        30_000,
        250,
      );
      expect(later.state).toBe('quoting');
      const described = await ok(['workflow', 'describe', '--workflow-id', workflowId, '-o', 'json']);
      expect(JSON.parse(described.stdout).workflowExecutionInfo.status).toMatch(/RUNNING/);

      await ok([
        'workflow',
        'signal',
        '--workflow-id',
        workflowId,
        '--name',
        'stop',
        '--input',
        JSON.stringify({ reason: 'cli stop' }),
      ]);
      const final = (await temporal.client.workflow.getHandle(workflowId).result()) as MarketMakerStatus;
      stopped = true;
      expect(final.state).toBe('stopped');
      expect(final.stopReason).toBe('cli stop');
    } finally {
      if (!stopped)
        await temporalCmd([
          'workflow',
          'terminate',
          '--workflow-id',
          workflowId,
          '--reason',
          'test cleanup',
        ]).catch(() => undefined);
      await ticker.stop();
    }
    expect(await openPoolOrders(t.db, poolId)).toEqual([]);
  }, 240_000);
});

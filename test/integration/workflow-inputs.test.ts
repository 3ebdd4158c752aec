import { WorkflowFailedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createFundedPool,
  eventsOf,
  openPoolOrders,
  seedTicks,
  startTicker,
  useMarketHarness,
  waitFor,
} from '../helpers/market';
import { marketMakerWorkflowId, spreadSagaWorkflowId } from '../../workflows/definitions';
import {
  expectNoFailedWorkflowTask,
  settledSnapshot,
  startQuietPool,
  tableSnapshot,
} from '../helpers/boundaries';

/*
 * Start inputs come from anyone who can start a workflow (the `temporal` CLI, the Web UI): a bad
 * one fails that workflow at once with a failure naming the field, and writes nothing; it never
 * leaves a workflow task retrying forever.
 */
describe('workflow start inputs', () => {
  const m = useMarketHarness('inputs');
  const anyPool = () => `nowhere-${randomBytes(4).toString('hex')}`;

  /** The id the pool allows when the input names one, so the refusal is about the input itself. */
  const idFor = (type: string, input: unknown) => {
    const poolId = (input as { poolId?: unknown } | null)?.poolId;
    if (typeof poolId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(poolId))
      return `bad-input-${randomBytes(4).toString('hex')}`;
    return type === 'MarketMakerWorkflow' ? marketMakerWorkflowId(poolId) : spreadSagaWorkflowId(poolId);
  };

  const failureOf = async (
    type: string,
    input: unknown,
    workflowId = idFor(type, input),
  ): Promise<string> => {
    const handle = await m.temporal.client.workflow.start(type, {
      taskQueue: m.temporal.taskQueue,
      workflowId,
      args: [input],
      workflowTaskTimeout: '5s',
    });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, `${type} with ${JSON.stringify(input)} should fail`).toBeInstanceOf(WorkflowFailedError);
    return String((err as WorkflowFailedError).cause?.message);
  };

  it('the market maker refuses malformed inputs, naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /input must be a JSON object/],
      ['x', /input must be a JSON object/],
      [[], /input must be a JSON object/],
      [{}, /poolId/],
      [{ poolId: 123 }, /poolId/],
      [{ poolId: anyPool(), refreshIntervalMs: 0 }, /refreshIntervalMs/],
      [{ poolId: anyPool(), heartbeatTimeoutMs: 'soon' }, /heartbeatTimeoutMs/],
      [{ poolId: anyPool(), carried: { sessions: 0, runs: 0, state: 'bogus' } }, /carried/],
    ];
    for (const [input, message] of cases)
      expect(await failureOf('MarketMakerWorkflow', input)).toMatch(message);
  });

  it('the spread saga refuses intervals that would spin and other malformed inputs', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /input must be a JSON object/],
      [{ poolId: anyPool(), catchUpIntervalMs: 0 }, /catchUpIntervalMs/],
      [{ poolId: anyPool(), catchUpIntervalMs: -1 }, /catchUpIntervalMs/],
      [{ poolId: anyPool(), coalesceMs: 1.5 }, /coalesceMs/],
    ];
    for (const [input, message] of cases)
      expect(await failureOf('SpreadManagementSaga', input)).toMatch(message);
  });

  it('a field the input does not define is refused by name (a misspelt interval, a prototype key)', async () => {
    expect(await failureOf('MarketMakerWorkflow', { poolId: anyPool(), refreshIntervalMS: 500 })).toMatch(
      /"refreshIntervalMS" is not a field of the MarketMakerWorkflow input/,
    );
    expect(
      await failureOf('SpreadManagementSaga', { poolId: anyPool(), ['__proto__']: { catchUpIntervalMs: 0 } }),
    ).toMatch(/"__proto__" is not a field of the SpreadManagementSaga input/);
  });

  it('a second market maker or saga on a pool, under another workflow id, is refused and writes nothing; the real one keeps quoting', async () => {
    const { poolId, quotes } = await startQuietPool(m.client, m.db);
    const before = await settledSnapshot(m.db);
    const impostors: Array<[string, string, RegExp]> = [
      ['MarketMakerWorkflow', `second-mm/${poolId}`, /workflowId must be "market-maker\/[^"]+" for pool/],
      ['SpreadManagementSaga', `second-saga/${poolId}`, /workflowId must be "spread-saga\/[^"]+" for pool/],
    ];
    try {
      for (const [type, workflowId, message] of impostors) {
        const handle = await m.temporal.client.workflow.start(type, {
          taskQueue: m.temporal.taskQueue,
          workflowId,
          args: [{ poolId }],
        });
        try {
          const err = await waitFor(`${workflowId} to be refused`, async () => {
            const d = await handle.describe();
            if (d.status.name === 'RUNNING') return undefined;
            return handle.result().then(
              () => new Error('completed'),
              (e: unknown) => e as Error,
            );
          });
          expect(err).toBeInstanceOf(WorkflowFailedError);
          expect(String((err as WorkflowFailedError).cause?.message)).toMatch(message);
          await expectNoFailedWorkflowTask(handle);
        } finally {
          // Only an impostor that was wrongly accepted is still running; it must not outlive the test.
          await handle.terminate('test cleanup').catch(() => undefined);
        }
      }
      // Nothing was written: no started event, no fence generation taken, the real quotes untouched.
      expect(await tableSnapshot(m.db)).toEqual(before);
      expect((await openPoolOrders(m.db, poolId)).map((o) => o.id).sort()).toEqual(quotes);
      expect((await m.client.status(poolId)).state).toBe('quoting');
    } finally {
      await m.client.stopPool(poolId, 'test done');
    }
  });

  it('an unknown pool is refused at start and nothing is recorded for it', async () => {
    const poolId = `no-such-pool-${randomBytes(3).toString('hex')}`;
    expect(await failureOf('MarketMakerWorkflow', { poolId })).toMatch(/does not exist/);
    expect(await failureOf('SpreadManagementSaga', { poolId, catchUpIntervalMs: 1000 })).toMatch(
      /does not exist/,
    );
    const { mm, pool } = await eventsOf(m.db, poolId);
    expect([...mm, ...pool]).toEqual([]);
  });

  it('a signal the market maker does not define is refused and shown in its status; it runs on', async () => {
    const { poolId, feed } = await createFundedPool(m.client);
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 500 });
      await waitFor('quoting', async () => (await m.client.status(poolId)).sessionRunning);
      await m.client.marketMaker(poolId).signal('pasue', { reason: 'typo' });
      const s = await waitFor('the refused signal in the status', async () => {
        const st = await m.client.status(poolId);
        return st.rejectedSignals.includes('pasue') ? st : undefined;
      });
      expect(s.state).toBe('quoting');
      expect(s.pauseReason).toBeNull();
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
  });
});

import { WorkflowFailedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createFundedPool,
  eventsOf,
  seedTicks,
  startTicker,
  useMarketHarness,
  waitFor,
} from '../helpers/market';

/*
 * Start inputs come from anyone who can start a workflow (the `temporal` CLI, the Web UI): a bad
 * one fails that workflow at once with a failure naming the field, and writes nothing; it never
 * leaves a workflow task retrying forever.
 */
describe('workflow start inputs', () => {
  const m = useMarketHarness('inputs');

  const failureOf = async (type: string, input: unknown): Promise<string> => {
    const handle = await m.temporal.client.workflow.start(type, {
      taskQueue: m.temporal.taskQueue,
      workflowId: `bad-input-${randomBytes(4).toString('hex')}`,
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
      [{ poolId: 'eth-usdc', refreshIntervalMs: 0 }, /refreshIntervalMs/],
      [{ poolId: 'eth-usdc', heartbeatTimeoutMs: 'soon' }, /heartbeatTimeoutMs/],
      [{ poolId: 'eth-usdc', carried: { sessions: 0, runs: 0, state: 'bogus' } }, /carried/],
    ];
    for (const [input, message] of cases)
      expect(await failureOf('MarketMakerWorkflow', input)).toMatch(message);
  });

  it('the spread saga refuses intervals that would spin and other malformed inputs', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /input must be a JSON object/],
      [{ poolId: 'eth-usdc', catchUpIntervalMs: 0 }, /catchUpIntervalMs/],
      [{ poolId: 'eth-usdc', catchUpIntervalMs: -1 }, /catchUpIntervalMs/],
      [{ poolId: 'eth-usdc', coalesceMs: 1.5 }, /coalesceMs/],
    ];
    for (const [input, message] of cases)
      expect(await failureOf('SpreadManagementSaga', input)).toMatch(message);
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

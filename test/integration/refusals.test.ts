import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { defaultHedgeVenue } from '../../worker/create-worker';
import { marketMakerStream } from '../../domain/streams';
import {
  expectFieldRefusal,
  expectNoFailedWorkflowTask,
  refusalOf,
  settledSnapshot,
  startQuietPool,
  tableSnapshot,
} from '../helpers/boundaries';
import { createFundedPool, openPoolOrders, useMarketHarness, waitFor } from '../helpers/market';

/*
 * Unclear or missing refusals (issue 10, finding 8): text Postgres cannot store, a deposit that
 * blamed the wrong asset, decimals of any size, reasons of any length. Each is refused where it
 * enters, naming the field, and nothing is written.
 */
describe('refusals that name the field and write nothing', () => {
  const m = useMarketHarness('refusals');
  const NUL = '\u0000';
  const LONG_REASON = 'r'.repeat(100_000);

  it('a NUL character is refused by name before it reaches Postgres, whatever the entry point', async () => {
    const { poolId } = await createFundedPool(m.client);
    await m.client.submitOrder({
      poolId,

      clientOrderId: 'nul-1',
      side: 'buy',
      type: 'limit',
      price: '1000',
      quantity: '0.1',
    });
    const before = await tableSnapshot(m.db);
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      [
        'pool base asset',
        () =>
          m.client.createPool({
            poolId: `nul-${randomBytes(3).toString('hex')}`,
            baseAsset: `ETH${NUL}`,
            quoteAsset: 'USDC',
            tickSize: '0.01',
            lotSize: '0.001',
            minSize: '0.01',
            priceFeed: 'feed-nul',
          }),
        'baseAsset',
      ],
      [
        'cancel reason',
        () => m.client.cancelOrder({ poolId, clientOrderId: 'nul-1', reason: `oops${NUL}` }),
        'reason',
      ],
      [
        'cancel client order id',
        () => m.client.cancelOrder({ poolId, clientOrderId: `nul-1${NUL}` }),
        'clientOrderId',
      ],
      ['pause reason', () => m.client.pause(poolId, `maintenance${NUL}`), 'reason'],
      [
        'config key',
        () => m.client.updateConfig(poolId, { ladder: { [`levels${NUL}`]: 2 } }),
        'ladder["levels\\u0000"]',
      ],
    ];
    for (const [what, call, field] of cases) {
      const err = await refusalOf(call);
      expectFieldRefusal(err, field, what);
    }
    expect(await tableSnapshot(m.db)).toEqual(before);
  });

  it('an activity given a NUL fails at once, naming the field, instead of with a raw encoding error', async () => {
    const { poolId } = await createFundedPool(m.client);
    const activities = createActivities({ db: m.db, hedgeVenue: defaultHedgeVenue() });
    const before = await tableSnapshot(m.db);
    const err = await refusalOf(() =>
      activities.recordMarketMakerEvents({
        poolId,
        events: [
          {
            eventId: `${marketMakerStream(poolId)}/nul`,
            type: 'market_maker_paused',
            payload: { poolId, reason: `bad${NUL}reason` },
          },
        ],
      }),
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe('ValidationError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ field: 'input.events[0].payload.reason' }]);
    expect(failure.message).toMatch(/input\.events\[0\]\.payload\.reason contains a NUL character/);
    expect(await tableSnapshot(m.db)).toEqual(before);
  });

  it('a deposit with zero quote names quote (not base), and one with zero base names base', async () => {
    const { poolId } = await createFundedPool(m.client);
    const before = await tableSnapshot(m.db);
    const deposit = { poolId, requestId: 'zero' };
    expectFieldRefusal(
      await refusalOf(() => m.client.addLiquidity({ ...deposit, base: '1', quote: '0' })),
      'quote',
      'zero quote',
    );
    expectFieldRefusal(
      await refusalOf(() => m.client.addLiquidity({ ...deposit, base: '0', quote: '2000' })),
      'base',
      'zero base',
    );
    expect(await tableSnapshot(m.db)).toEqual(before);
  });

  it('decimals of 44 digits or 1e-25 are refused with the field and the allowed range', async () => {
    const { poolId } = await createFundedPool(m.client);
    const before = await tableSnapshot(m.db);
    const huge = '1'.repeat(44);
    const tiny = `0.${'0'.repeat(24)}1`;
    const pool = {
      poolId: `digits-${randomBytes(3).toString('hex')}`,
      baseAsset: 'ETH',
      quoteAsset: 'USDC',
      tickSize: '0.01',
      lotSize: '0.001',
      minSize: '0.01',
      priceFeed: 'feed-digits',
    };
    const cases: Array<[string, () => Promise<unknown>, string, RegExp]> = [
      [
        'a 44-digit spread',
        () => m.client.createPool({ ...pool, spreadBps: huge }),
        'spreadBps',
        /below 1e5/,
      ],
      ['a tick of 1e-25', () => m.client.createPool({ ...pool, tickSize: tiny }), 'tickSize', /at most 18/],
      ['a 44-digit min size', () => m.client.createPool({ ...pool, minSize: huge }), 'minSize', /below 1e18/],
      [
        'a 44-digit deposit',
        () => m.client.addLiquidity({ poolId, base: huge, quote: '1', requestId: 'd' }),
        'base',
        /below 1e18/,
      ],
      [
        'a withdrawal of 1e-25 shares',
        () => m.client.removeLiquidity({ poolId, shares: tiny, requestId: 'w' }),
        'shares',
        /at most 18/,
      ],
      [
        'an order of 44 digits',
        () =>
          m.client.submitOrder({
            poolId,

            clientOrderId: 'huge',
            side: 'buy',
            type: 'limit',
            price: '2000',
            quantity: huge,
          }),
        'quantity',
        /below 1e18/,
      ],
      [
        'a 44-digit loss limit',
        () => m.client.updateConfig(poolId, { risk: { maxLoss: huge } }),
        'risk.maxLoss',
        /below 1e18/,
      ],
      [
        'a spread bound of 1e-25 bps',
        () => m.client.updateConfig(poolId, { spreadPolicy: { minSpreadBps: tiny } }),
        'spreadPolicy.minSpreadBps',
        /at most 4 allowed/,
      ],
    ];
    for (const [what, call, field, range] of cases) {
      const err = await refusalOf(call);
      expectFieldRefusal(err, field, what);
      expect((err as Error).message, what).toMatch(range);
    }
    expect(await tableSnapshot(m.db)).toEqual(before);
  });

  it('a reason of 100,000 characters is refused wherever it enters: client, cancel, and raw signals', async () => {
    const { poolId, quotes } = await startQuietPool(m.client, m.db);
    try {
      await m.client.submitOrder({
        poolId,

        clientOrderId: 'long-1',
        side: 'buy',
        type: 'limit',
        price: '1000',
        quantity: '0.1',
      });
      const before = await settledSnapshot(m.db);
      for (const [what, call] of [
        ['cancel', () => m.client.cancelOrder({ poolId, clientOrderId: 'long-1', reason: LONG_REASON })],
        ['pause', () => m.client.pause(poolId, LONG_REASON)],
        ['stop', () => m.client.stopPool(poolId, LONG_REASON)],
      ] as const) {
        expectFieldRefusal(await refusalOf(call), 'reason', what);
      }
      // The same through the workflow's own signals, as the `temporal` CLI would send them: a signal
      // cannot answer, so the refusal shows in the status, and the market maker quotes on.
      const handle = m.client.marketMaker(poolId);
      await handle.signal('pause', { reason: LONG_REASON });
      await handle.signal('stop', { reason: `end of day${NUL}` });
      await handle.signal('probe-long-reasons');
      const status = await waitFor('the refused signals in the status', async () => {
        const s = await m.client.status(poolId);
        return s.rejectedSignals.includes('probe-long-reasons') ? s : undefined;
      });
      expect(status.rejectedSignals.slice(-3)).toEqual([
        expect.stringMatching(
          /^pause: reason must be a single-line text of 1 to 200 characters.*got 100000 characters/,
        ),
        expect.stringMatching(/^stop: reason contains a NUL character/),
        'probe-long-reasons',
      ]);
      expect(status.state).toBe('quoting');
      expect(status.pauseReason).toBeNull();
      expect(status.stopReason).toBeNull();
      expect(await tableSnapshot(m.db)).toEqual(before);
      expect((await openPoolOrders(m.db, poolId)).map((o) => o.id).sort()).toEqual(quotes);
      await expectNoFailedWorkflowTask(handle);
    } finally {
      await m.client.stopPool(poolId, 'test done');
    }
  });
});

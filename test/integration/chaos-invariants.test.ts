import { fileURLToPath } from 'node:url';
import { sql, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assetsConserved,
  clientOrderIdsUnique,
  eventsUnique,
  fillsHaveEvents,
  noFailingWorkflowTasks,
  noRestingPoolOrders,
  sagaCheckpointsAtHead,
  streamVersionsContiguous,
} from '../../chaos/invariants';
import { claimSessionAttempt, takeGeneration } from '../../db/fence';
import { hedgeExcess } from '../../db/hedging';
import { appendToStream, readStream, streamVersion } from '../../db/event-store';
import { cancelAllOrders, reconcileOrders, submitOrder } from '../../db/order-book';
import { removeLiquidity } from '../../db/pools';
import { orderBookStream, poolOwner, poolStream } from '../../domain/streams';
import { defaultHedgeVenue } from '../../worker/create-worker';
import type { SpreadSagaStatus } from '../../workflows/definitions';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { createFundedPool, ladder } from '../helpers/pools';
import { connectTemporal, createTestWorker, type TemporalTestContext } from '../helpers/temporal';
import { waitFor } from '../helpers/market';

/*
 * The chaos command's invariants must be able to fail: each one holds on a healthy database with
 * trades, a hedge and a withdrawal, and fails (naming what is wrong) once that database is broken
 * in the way it guards against.
 */

let t: TestDatabase;
let poolId: string;

/**
 * Writes a row the schema's triggers would refuse, as only an administrator bypassing them could:
 * what the invariants must catch is exactly what the database's own checks were meant to prevent.
 */
async function corrupt(statement: RawBuilder<unknown>) {
  await t.db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await statement.execute(trx);
  });
}

/** The saga's view of the pool stream when it has read all of it, per type. */
async function honestSagaStatus(upTo?: number): Promise<SpreadSagaStatus> {
  const events = await readStream(t.db, poolStream(poolId), 0, 100_000);
  const checkpoint = upTo ?? events.length;
  const counts: Record<string, number> = {};
  for (const e of events) if (e.streamVersion <= checkpoint) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return { checkpoint, counts } as SpreadSagaStatus;
}

beforeAll(async () => {
  t = await createTestDatabase();
  const pool = await createFundedPool(t.db, { base: '10', quote: '20000' });
  poolId = pool.id;
  await reconcileOrders(t.db, {
    poolId,
    owner: poolOwner(poolId),
    cycleKey: 'cycle-1',
    desired: ladder('2000', { levels: 2, size: '1' }),
    toleranceBps: '2',
  });
  // Takers lift both asks and hit one bid: the pool as maker, moving its reserves.
  const lift = await submitOrder(t.db, {
    poolId,
    owner: 'alice',
    clientOrderId: 'a-1',
    side: 'buy',
    type: 'ioc',
    price: '2004',
    quantity: '2',
  });
  expect(lift.fills).toHaveLength(2);
  const hit = await submitOrder(t.db, {
    poolId,
    owner: 'bob',
    clientOrderId: 'b-1',
    side: 'sell',
    type: 'ioc',
    price: '1998',
    quantity: '0.25',
  });
  expect(hit.fills).toHaveLength(1);
  // The pool is now short of base: a hedge buys it back, paying a fee.
  // Only the session holding the pool's fence hedges (db/hedging.ts): take it as a session would.
  const fence = { generation: await takeGeneration(t.db, poolId), attempt: 1 };
  expect(await claimSessionAttempt(t.db, poolId, fence)).toBe(true);
  const hedge = await hedgeExcess(t.db, defaultHedgeVenue(), {
    poolId,
    requestId: 'chaos-hedge-1',
    fence,
    trigger: 'risk_flatten',
    referencePrice: '2000',
  });
  expect(hedge.status).toBe('hedged');
  await removeLiquidity(t.db, { poolId, provider: 'lp-seed', shares: '1', requestId: 'w-1' });
  await cancelAllOrders(t.db, { poolId, owner: poolOwner(poolId), reason: 'test' });
});

afterAll(async () => {
  await t?.drop();
});

describe('chaos invariants on a healthy database', () => {
  it('all hold', async () => {
    const results = [
      await clientOrderIdsUnique(t.db),
      await eventsUnique(t.db),
      await streamVersionsContiguous(t.db),
      await assetsConserved(t.db, [poolId]),
      await fillsHaveEvents(t.db),
      await noRestingPoolOrders(t.db, [poolId]),
      await sagaCheckpointsAtHead(t.db, { [poolId]: await honestSagaStatus() }),
    ];
    for (const r of results)
      expect(r, `${r.name}: ${JSON.stringify(r.violations)}`).toMatchObject({ pass: true });
    expect((await assetsConserved(t.db, [poolId])).detail).toMatch(/3 trades and 1 hedge, exact/);
  });
});

describe('chaos invariants on a broken database (each fails, naming the fault)', () => {
  it('assets: a reserve off by 1e-18 is caught, against the flows and against the event stream', async () => {
    await sql`update pools set reserve_base = reserve_base + 0.000000000000000001 where id = ${poolId}`.execute(
      t.db,
    );
    try {
      const r = await assetsConserved(t.db, [poolId]);
      expect(r.pass).toBe(false);
      expect(r.violations!.map((v) => (v as { check: string }).check)).toEqual([
        'reserve_base = contributions + trades + hedges',
        'reserve_base = its event stream folded',
      ]);
    } finally {
      await sql`update pools set reserve_base = reserve_base - 0.000000000000000001 where id = ${poolId}`.execute(
        t.db,
      );
    }
    expect((await assetsConserved(t.db, [poolId])).pass).toBe(true);
  });

  it('assets: contributions that disagree with the liquidity events are caught', async () => {
    await sql`update pools set net_quote_contributed = net_quote_contributed + 1 where id = ${poolId}`.execute(
      t.db,
    );
    try {
      const r = await assetsConserved(t.db, [poolId]);
      expect(r.pass).toBe(false);
      expect(JSON.stringify(r.violations)).toMatch(/net_quote_contributed = liquidity events/);
    } finally {
      await sql`update pools set net_quote_contributed = net_quote_contributed - 1 where id = ${poolId}`.execute(
        t.db,
      );
    }
  });

  it('saga: a checkpoint behind the head, or an event counted twice, is caught', async () => {
    const head = await streamVersion(t.db, poolStream(poolId));
    const behind = await sagaCheckpointsAtHead(t.db, { [poolId]: await honestSagaStatus(head - 1) });
    expect(behind.pass).toBe(false);
    expect(JSON.stringify(behind.violations)).toMatch(/checkpoint behind the head/);
    const honest = await honestSagaStatus();
    const twice = {
      ...honest,
      counts: { ...honest.counts, order_executed: honest.counts.order_executed! + 1 },
    };
    const r = await sagaCheckpointsAtHead(t.db, { [poolId]: twice });
    expect(r.pass).toBe(false);
    expect(JSON.stringify(r.violations)).toMatch(/"type":"order_executed","saga":4,"stream":3/);
    const missing = await sagaCheckpointsAtHead(t.db, { [poolId]: { error: 'timed out' } });
    expect(missing.pass).toBe(false);
  });

  it('resting orders: a pool quote left open is caught', async () => {
    await reconcileOrders(t.db, {
      poolId,
      owner: poolOwner(poolId),
      cycleKey: 'cycle-late',
      desired: ladder('2000', { levels: 1, size: '0.1' }),
      toleranceBps: '2',
    });
    const r = await noRestingPoolOrders(t.db, [poolId]);
    expect(r.pass).toBe(false);
    expect(r.detail).toBe(`${poolId}: 2`);
    await cancelAllOrders(t.db, { poolId, owner: poolOwner(poolId), reason: 'test' });
    expect((await noRestingPoolOrders(t.db, [poolId])).pass).toBe(true);
  });

  it('events: the same trade executed twice under another event id is caught', async () => {
    const [executed] = await readStream(t.db, poolStream(poolId), 0, 1000, ['order_executed']);
    await appendToStream(t.db, poolStream(poolId), 'any', [
      { eventId: 'replayed-trade', type: 'order_executed', payload: executed!.payload as never },
    ]);
    const r = await eventsUnique(t.db);
    expect(r.pass).toBe(false);
    expect(r.violations).toEqual([
      { kind: 'trade order_executed', key: (executed!.payload as { tradeId: string }).tradeId, n: '2' },
    ]);
  });

  it('fills: a trade without its event, and an event without its trade, are caught', async () => {
    const [trade] = await t.db.selectFrom('trades').selectAll().limit(1).execute();
    await corrupt(sql`insert into trades (id, pool_id, maker_order_id, taker_order_id, maker_owner, taker_owner, taker_side, price, quantity, maker_is_pool)
              values ('silent-trade', ${poolId}, ${trade!.maker_order_id}, ${trade!.taker_order_id}, 'x', 'y', 'buy', 2000, 0.01, false)`);
    await appendToStream(t.db, poolStream(poolId), 'any', [
      {
        eventId: 'trade/ghost/executed',
        type: 'order_executed',
        payload: {
          tradeId: 'ghost',
          poolId,
          makerOrderId: 'm',
          takerOrderId: 't',
          makerOwner: 'x',
          takerOwner: 'y',
          takerSide: 'buy',
          price: '2000',
          quantity: '0.01',
          quoteAmount: '20',
          makerIsPool: false,
        },
      },
    ]);
    const r = await fillsHaveEvents(t.db);
    expect(r.pass).toBe(false);
    expect(r.violations).toEqual(
      expect.arrayContaining([
        { id: 'silent-trade', problem: 'no order_executed event' },
        { event_id: 'trade/ghost/executed', problem: 'event without a trade' },
      ]),
    );
  });

  it('streams: a gap in the versions is caught', async () => {
    const stream = orderBookStream(poolId);
    const head = await streamVersion(t.db, stream);
    await sql`insert into events (event_id, stream_id, stream_version, type, schema_version, payload)
              values ('gap-event', ${stream}, ${head + 2}, 'order_cancelled', 1, '{}')`.execute(t.db);
    const r = await streamVersionsContiguous(t.db);
    expect(r.pass).toBe(false);
    expect(r.violations).toEqual([{ stream_id: stream, n: String(head + 1), lo: '1', hi: String(head + 2) }]);
  });

  it('orders: a client order id used twice by one owner is caught', async () => {
    // The unique constraint makes this impossible; without it the check still sees it.
    await sql`alter table orders drop constraint orders_owner_client_order_id_key`.execute(t.db);
    await corrupt(sql`insert into orders (id, pool_id, owner, client_order_id, side, type, price, quantity, status)
              select 'copy-' || id, pool_id, owner, client_order_id, side, type, price, quantity, 'cancelled'
                from orders where owner = 'alice' and client_order_id = 'a-1'`);
    const r = await clientOrderIdsUnique(t.db);
    expect(r.pass).toBe(false);
    expect(r.violations).toEqual([{ owner: 'alice', client_order_id: 'a-1', n: '2' }]);
  });
});

describe('chaos invariant on workflow histories', () => {
  let temporal: TemporalTestContext;
  beforeAll(async () => {
    temporal = await connectTemporal('chaos-inv');
  });
  afterAll(async () => {
    await temporal?.close();
  });

  const runOn = async (taskQueue: string, work: () => Promise<void>) => {
    const worker = await createTestWorker(temporal, {
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/chaos-workflows.ts', import.meta.url)),
    });
    await worker.runUntil(work());
  };

  it('holds for completed workflows and fails for one whose workflow task keeps failing', async () => {
    const healthyQueue = `${temporal.taskQueue}-ok`;
    await runOn(healthyQueue, async () => {
      await temporal.client.workflow.execute('completingWorkflow', {
        taskQueue: healthyQueue,
        workflowId: `${healthyQueue}-1`,
      });
    });
    const healthy = await noFailingWorkflowTasks(temporal.client, healthyQueue);
    expect(healthy.result).toMatchObject({ pass: true });
    expect(healthy.stats.executions).toBe(1);

    const brokenQueue = `${temporal.taskQueue}-broken`;
    const handle = await temporal.client.workflow.start('taskFailingWorkflow', {
      taskQueue: brokenQueue,
      workflowId: `${brokenQueue}-1`,
    });
    try {
      await runOn(brokenQueue, async () => {
        await waitFor(
          'a failed workflow task in the history',
          async () => (await handle.fetchHistory()).events?.some((e) => e.workflowTaskFailedEventAttributes),
          60_000,
          250,
        );
      });
      const broken = await noFailingWorkflowTasks(temporal.client, brokenQueue);
      expect(broken.result.pass).toBe(false);
      expect(JSON.stringify(broken.result.violations)).toMatch(
        /WorkflowTaskFailed WORKFLOW_WORKER_UNHANDLED_FAILURE/,
      );
      expect(JSON.stringify(broken.result.violations)).toMatch(/ended RUNNING/);
    } finally {
      await handle.terminate('test done').catch(() => undefined);
    }
    // No workflow on a queue is not a pass: the check must have looked at something.
    expect((await noFailingWorkflowTasks(temporal.client, `${temporal.taskQueue}-empty`)).result.pass).toBe(
      false,
    );
  });
});

import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { sql } from 'kysely';
import type { Db } from '../db/connection';
import { rebuildPoolState } from '../db/projections/pool-state';
import { Big, formatDecimal } from '../domain/money';
import { poolOwner, poolStream } from '../domain/streams';
import type { SpreadSagaStatus } from '../workflows/definitions';

/*
 * What must hold after any amount of chaos, checked against the database and Temporal's own
 * histories once every pool has stopped. Each check says what it looked at and, when it fails,
 * shows the first offending rows.
 */

export interface InvariantResult {
  name: string;
  pass: boolean;
  detail: string;
  /** The first offending rows (at most 10), when it fails. */
  violations?: unknown[];
}

const SAMPLE = 10;
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export async function clientOrderIdsUnique(db: Db): Promise<InvariantResult> {
  const [dups, total] = await Promise.all([
    sql<{ owner: string; client_order_id: string; n: string }>`
      select owner, client_order_id, count(*)::text as n from orders
       group by owner, client_order_id having count(*) > 1 order by count(*) desc limit ${SAMPLE}`.execute(
      db,
    ),
    sql<{
      n: string;
      owners: string;
    }>`select count(*)::text as n, count(distinct owner)::text as owners from orders`.execute(db),
  ]);
  const t = total.rows[0]!;
  return {
    name: 'no client order id twice (per owner)',
    pass: dups.rows.length === 0,
    detail: `${plural(Number(t.n), 'order')} of ${plural(Number(t.owners), 'owner')}; ${dups.rows.length === 0 ? 'every (owner, client order id) once' : 'repeated ids found'}`,
    ...(dups.rows.length ? { violations: dups.rows } : {}),
  };
}

/**
 * Event ids are unique by constraint; this also looks for the same logical event recorded twice
 * under two ids: a trade executed twice, an order placed or cancelled twice.
 */
export async function eventsUnique(db: Db): Promise<InvariantResult> {
  const r = await sql<{ kind: string; key: string; n: string }>`
    (select 'event id' as kind, event_id as key, count(*)::text as n from events
      group by event_id having count(*) > 1 limit ${SAMPLE})
    union all
    (select 'trade ' || type, payload->>'tradeId', count(*)::text from events
      where type = 'order_executed' group by type, payload->>'tradeId' having count(*) > 1 limit ${SAMPLE})
    union all
    (select 'order ' || type, payload->>'orderId', count(*)::text from events
      where type in ('order_placed', 'order_cancelled') group by type, payload->>'orderId' having count(*) > 1 limit ${SAMPLE})`.execute(
    db,
  );
  const total = await sql<{ n: string }>`select count(*)::text as n from events`.execute(db);
  return {
    name: 'no event twice (by id, and no trade executed or order placed/cancelled twice)',
    pass: r.rows.length === 0,
    detail: `${plural(Number(total.rows[0]!.n), 'event')}; ${r.rows.length === 0 ? 'no id and no trade, placement or cancellation twice' : 'duplicates found'}`,
    ...(r.rows.length ? { violations: r.rows } : {}),
  };
}

export async function streamVersionsContiguous(db: Db): Promise<InvariantResult> {
  const [gaps, total] = await Promise.all([
    sql<{ stream_id: string; n: string; lo: string; hi: string }>`
      select stream_id, count(*)::text as n, min(stream_version)::text as lo, max(stream_version)::text as hi
        from events group by stream_id
      having min(stream_version) <> 1 or max(stream_version) <> count(*) limit ${SAMPLE}`.execute(db),
    sql<{ n: string }>`select count(distinct stream_id)::text as n from events`.execute(db),
  ]);
  return {
    name: 'stream versions contiguous (1..n in every stream)',
    pass: gaps.rows.length === 0,
    detail: `${plural(Number(total.rows[0]!.n), 'stream')}; ${gaps.rows.length === 0 ? 'every one numbered 1..n without a gap' : 'gaps found'}`,
    ...(gaps.rows.length ? { violations: gaps.rows } : {}),
  };
}

interface Flows {
  base: Big;
  quote: Big;
}

/**
 * Per pool, to the last decimal: reserves = liquidity added - removed (its events) + what trades
 * moved (the trades table, the pool as maker or taker) + what hedges moved (inventory_adjusted,
 * fees included); the contribution columns match the liquidity events; and the pool's event
 * stream, folded, ends at the same reserves as the row.
 */
export async function assetsConserved(db: Db, poolIds: string[]): Promise<InvariantResult> {
  const lines: string[] = [];
  const violations: unknown[] = [];
  for (const poolId of poolIds) {
    const stream = poolStream(poolId);
    const [pool, liquidity, trades, hedges, projected] = await Promise.all([
      db.selectFrom('pools').selectAll().where('id', '=', poolId).executeTakeFirstOrThrow(),
      sql<{ type: string; base: string; quote: string; n: string }>`
        select type, sum((payload->>'baseAmount')::numeric)::text as base,
               sum((payload->>'quoteAmount')::numeric)::text as quote, count(*)::text as n
          from events where stream_id = ${stream} and type in ('liquidity_added', 'liquidity_removed')
         group by type`.execute(db),
      sql<{ pool_maker: boolean; pool_taker: boolean; taker_side: string; q: string; v: string; n: string }>`
        select maker_is_pool as pool_maker, taker_owner = ${poolOwner(poolId)} as pool_taker, taker_side,
               sum(quantity)::text as q, sum(price * quantity)::text as v, count(*)::text as n
          from trades where pool_id = ${poolId} group by 1, 2, 3`.execute(db),
      sql<{ side: string; base: string; quote: string; fee: string; n: string }>`
        select payload->>'side' as side, sum((payload->>'baseAmount')::numeric)::text as base,
               sum((payload->>'quoteAmount')::numeric)::text as quote,
               sum((payload->>'fee')::numeric)::text as fee, count(*)::text as n
          from events where stream_id = ${stream} and type = 'inventory_adjusted' group by 1`.execute(db),
      rebuildPoolState(db, poolId),
    ]);
    const contributed: Flows = { base: new Big(0), quote: new Big(0) };
    for (const l of liquidity.rows) {
      const sign = l.type === 'liquidity_added' ? 1 : -1;
      contributed.base = contributed.base.plus(new Big(l.base).times(sign));
      contributed.quote = contributed.quote.plus(new Big(l.quote).times(sign));
    }
    const traded: Flows = { base: new Big(0), quote: new Big(0) };
    let tradeCount = 0;
    for (const t of trades.rows) {
      tradeCount += Number(t.n);
      const takerBuys = t.taker_side === 'buy';
      // The pool as maker gives the taker what it buys; as taker it receives it.
      for (const [involved, poolBuys] of [
        [t.pool_maker, !takerBuys],
        [t.pool_taker, takerBuys],
      ] as const) {
        if (!involved) continue;
        traded.base = traded.base.plus(poolBuys ? t.q : new Big(t.q).neg());
        traded.quote = traded.quote.plus(poolBuys ? new Big(t.v).neg() : t.v);
      }
    }
    const hedged: Flows = { base: new Big(0), quote: new Big(0) };
    let hedgeCount = 0;
    for (const h of hedges.rows) {
      hedgeCount += Number(h.n);
      // The venue's fee is paid in quote: a sale nets quote - fee, a purchase costs quote + fee.
      if (h.side === 'sell') {
        hedged.base = hedged.base.minus(h.base);
        hedged.quote = hedged.quote.plus(new Big(h.quote).minus(h.fee));
      } else {
        hedged.base = hedged.base.plus(h.base);
        hedged.quote = hedged.quote.minus(new Big(h.quote).plus(h.fee));
      }
    }
    const expected = {
      base: contributed.base.plus(traded.base).plus(hedged.base),
      quote: contributed.quote.plus(traded.quote).plus(hedged.quote),
    };
    const checks: Array<[string, Big, Big]> = [
      ['reserve_base = contributions + trades + hedges', new Big(pool.reserve_base), expected.base],
      ['reserve_quote = contributions + trades + hedges', new Big(pool.reserve_quote), expected.quote],
      ['net_base_contributed = liquidity events', new Big(pool.net_base_contributed), contributed.base],
      ['net_quote_contributed = liquidity events', new Big(pool.net_quote_contributed), contributed.quote],
      ['reserve_base = its event stream folded', new Big(pool.reserve_base), new Big(projected.reserveBase)],
      [
        'reserve_quote = its event stream folded',
        new Big(pool.reserve_quote),
        new Big(projected.reserveQuote),
      ],
    ];
    const bad = checks.filter(([, actual, want]) => !actual.eq(want));
    for (const [what, actual, want] of bad)
      violations.push({ poolId, check: what, actual: formatDecimal(actual), expected: formatDecimal(want) });
    lines.push(
      `${poolId}: ${formatDecimal(new Big(pool.reserve_base))} base, ${formatDecimal(new Big(pool.reserve_quote))} quote from ${plural(tradeCount, 'trade')} and ${plural(hedgeCount, 'hedge')}${bad.length ? ` (${bad.length} mismatch${bad.length === 1 ? '' : 'es'})` : ', exact'}`,
    );
  }
  return {
    name: 'assets conserved to the last decimal (reserves = contributions + trades + hedges)',
    pass: violations.length === 0,
    detail: lines.join('; '),
    ...(violations.length ? { violations } : {}),
  };
}

/** Both ways: every trade row has its order_executed event with the same figures, and no event lacks its trade. */
export async function fillsHaveEvents(db: Db): Promise<InvariantResult> {
  const [missing, orphans, total] = await Promise.all([
    sql<{ id: string; problem: string }>`
      select t.id, case when e.event_id is null then 'no order_executed event'
                        else 'event differs from the trade' end as problem
        from trades t
        left join events e on e.event_id = 'trade/' || t.id || '/executed'
       where e.event_id is null
          or e.type <> 'order_executed'
          or e.stream_id <> ${poolStream('')} || t.pool_id
          or e.payload->>'tradeId' <> t.id
          or (e.payload->>'price')::numeric <> t.price
          or (e.payload->>'quantity')::numeric <> t.quantity
          or e.payload->>'makerOrderId' <> t.maker_order_id
          or e.payload->>'takerOrderId' <> t.taker_order_id
       limit ${SAMPLE}`.execute(db),
    sql<{ event_id: string }>`
      select e.event_id from events e
       where e.type = 'order_executed'
         and not exists (select 1 from trades t where t.id = e.payload->>'tradeId')
       limit ${SAMPLE}`.execute(db),
    sql<{ n: string }>`select count(*)::text as n from trades`.execute(db),
  ]);
  const violations = [
    ...missing.rows,
    ...orphans.rows.map((o) => ({ ...o, problem: 'event without a trade' })),
  ];
  return {
    name: 'every fill has its order_executed event (and every such event its fill)',
    pass: violations.length === 0,
    detail: `${plural(Number(total.rows[0]!.n), 'trade')}; ${violations.length === 0 ? 'each with exactly its event' : 'mismatches found'}`,
    ...(violations.length ? { violations } : {}),
  };
}

/**
 * The saga's final checkpoint is the head of its pool's stream, and its per-type counts are the
 * stream's counts up to that checkpoint: every pool event processed, none twice.
 */
export async function sagaCheckpointsAtHead(
  db: Db,
  finals: Record<string, SpreadSagaStatus | { error: string }>,
): Promise<InvariantResult> {
  const lines: string[] = [];
  const violations: unknown[] = [];
  for (const [poolId, status] of Object.entries(finals)) {
    if ('error' in status) {
      violations.push({ poolId, problem: `no final saga status: ${status.error}` });
      lines.push(`${poolId}: no final status`);
      continue;
    }
    const rows = await sql<{ type: string; n: string; head: string }>`
      select type, count(*) filter (where stream_version <= ${status.checkpoint})::text as n,
             (select coalesce(max(stream_version), 0) from events where stream_id = ${poolStream(poolId)})::text as head
        from events where stream_id = ${poolStream(poolId)} group by type`.execute(db);
    const head = Number(rows.rows[0]?.head ?? 0);
    const want: Record<string, number> = {};
    for (const r of rows.rows) if (Number(r.n) > 0) want[r.type] = Number(r.n);
    const got = Object.fromEntries(Object.entries(status.counts).filter(([, n]) => n > 0));
    const countsDiffer = [...new Set([...Object.keys(want), ...Object.keys(got)])].filter(
      (t) => (want[t] ?? 0) !== (got[t] ?? 0),
    );
    if (status.checkpoint !== head)
      violations.push({ poolId, problem: 'checkpoint behind the head', checkpoint: status.checkpoint, head });
    if (countsDiffer.length)
      violations.push({
        poolId,
        problem: 'counts differ from the stream up to the checkpoint',
        types: countsDiffer.map((t) => ({ type: t, saga: got[t] ?? 0, stream: want[t] ?? 0 })),
      });
    lines.push(
      `${poolId}: checkpoint ${status.checkpoint} of ${head}, ${Object.values(got).reduce((a, b) => a + b, 0)} events counted`,
    );
  }
  return {
    name: "the saga's checkpoint reached the head of its pool's stream (each event counted once)",
    pass: violations.length === 0,
    detail: lines.join('; '),
    ...(violations.length ? { violations } : {}),
  };
}

export async function noRestingPoolOrders(db: Db, poolIds: string[]): Promise<InvariantResult> {
  const r = await sql<{ pool_id: string; n: string }>`
    select pool_id, count(*)::text as n from orders
     where pool_id = any(${poolIds}) and is_pool_order and status = 'open' group by pool_id`.execute(db);
  return {
    name: '0 resting pool orders after stop',
    pass: r.rows.length === 0,
    detail:
      r.rows.length === 0
        ? `none in ${plural(poolIds.length, 'pool')}`
        : r.rows.map((x) => `${x.pool_id}: ${x.n}`).join(', '),
    ...(r.rows.length ? { violations: r.rows } : {}),
  };
}

const { EventType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;
/** Causes the server and SDK use for routine retries (an event arrived mid-task, a sticky queue reset). */
const ROUTINE_CAUSES = new Set<number>([
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE,
]);

export interface WorkflowHistoryStats {
  executions: number;
  byStatus: Record<string, number>;
  workflowTaskFailed: Record<string, number>;
  workflowTaskTimedOut: number;
  activityTaskFailed: number;
  activityTaskTimedOut: number;
}

/**
 * Every run of every workflow on the task queue: no workflow task failed for a reason other than a
 * routine one, none is still retrying a task, every chain ended completed.
 */
export async function noFailingWorkflowTasks(
  client: Client,
  taskQueue: string,
): Promise<{ result: InvariantResult; stats: WorkflowHistoryStats }> {
  const stats: WorkflowHistoryStats = {
    executions: 0,
    byStatus: {},
    workflowTaskFailed: {},
    workflowTaskTimedOut: 0,
    activityTaskFailed: 0,
    activityTaskTimedOut: 0,
  };
  const violations: unknown[] = [];
  if (!/^[A-Za-z0-9_.-]+$/.test(taskQueue))
    throw new Error(`unexpected task queue name ${JSON.stringify(taskQueue)}`);
  for await (const wf of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    stats.executions++;
    const status = wf.status.name;
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
    if (status !== 'COMPLETED' && status !== 'CONTINUED_AS_NEW')
      violations.push({ workflowId: wf.workflowId, runId: wf.runId, problem: `ended ${status}` });
    if (status === 'RUNNING') {
      const d = await handle.describe();
      const attempt = d.raw.pendingWorkflowTask?.attempt ?? 0;
      if (attempt > 1)
        violations.push({
          workflowId: wf.workflowId,
          runId: wf.runId,
          problem: `workflow task at attempt ${attempt}`,
        });
    }
    const history = await handle.fetchHistory();
    for (const e of history.events ?? []) {
      switch (e.eventType) {
        case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED: {
          const attrs = e.workflowTaskFailedEventAttributes;
          const cause = attrs?.cause ?? 0;
          const name = (WorkflowTaskFailedCause[cause] ?? String(cause)).replace(
            'WORKFLOW_TASK_FAILED_CAUSE_',
            '',
          );
          stats.workflowTaskFailed[name] = (stats.workflowTaskFailed[name] ?? 0) + 1;
          if (!ROUTINE_CAUSES.has(cause))
            violations.push({
              workflowId: wf.workflowId,
              runId: wf.runId,
              problem: `WorkflowTaskFailed ${name}`,
              message: attrs?.failure?.message ?? null,
            });
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
          stats.workflowTaskTimedOut++;
          break;
        case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
          stats.activityTaskFailed++;
          break;
        case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
          stats.activityTaskTimedOut++;
          break;
      }
    }
  }
  const routine = Object.entries(stats.workflowTaskFailed)
    .map(([k, n]) => `${k} x${n}`)
    .join(', ');
  return {
    result: {
      name: 'no workflow with a failing workflow task (histories and pending tasks), every one completed',
      pass: violations.length === 0 && stats.executions > 0,
      detail:
        `${plural(stats.executions, 'execution')} (${Object.entries(stats.byStatus)
          .map(([k, n]) => `${n} ${k.toLowerCase()}`)
          .join(', ')}); workflow task failures: ${routine || 'none'}; ` +
        `${stats.workflowTaskTimedOut} workflow task timeouts (a killed worker's tasks)`,
      ...(violations.length ? { violations: violations.slice(0, SAMPLE) } : {}),
    },
    stats,
  };
}

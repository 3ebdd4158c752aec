/**
 * Matching throughput on one pool, beside a plain Postgres transaction of the same shape.
 *
 *   npx tsx bench/matching.ts            (DATABASE_URL if set, otherwise an embedded Postgres)
 *
 * Workload: a pool with a deep resting ladder (its own post-only orders placed by reconcileOrders);
 * marketable IOC takers alternate buy and sell, each with a limit far through the ladder, so the
 * engine must find the best level in a deep book. Measured sequentially and with 4 concurrent
 * clients (all serialised on the pool's row lock, as in production).
 *
 * Baseline: the same transaction shape written with raw `pg` and no domain logic: lock the pool row
 * FOR UPDATE, select a few resting orders, update the maker and the pool, insert a trade row and
 * two event rows, commit. The ratio says what the engine's validation, matching, event-store
 * checks and ORM cost on top of the bare round trips.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { createDb, type Db } from '../db/connection';
import { migrateToLatest } from '../db/migrator';
import { setupRoles } from '../db/roles';
import { reconcileOrders, submitOrder, type DesiredLevel } from '../db/order-book';
import { addLiquidity, createPool } from '../db/pools';
import { startPostgres } from '../devenv/postgres';
import { Big, formatDecimal } from '../domain/money';
import { poolOwner } from '../domain/streams';

export interface MatchingBenchRow {
  workload: string;
  clients: number;
  /** Median over the repeats, orders (or baseline transactions) per second. */
  engineOpsPerSec: number;
  baselineOpsPerSec: number;
  /** engine / baseline: 1 would mean matching costs no more than the bare transaction. */
  ratio: number;
  repeats: number;
  opsPerRepeat: number;
}

export interface MatchingBenchOptions {
  /** Connection string of a server to use; default: DATABASE_URL or an embedded Postgres. */
  url?: string;
  repeats?: number;
  opsPerRepeat?: number;
  /** Resting levels per side. */
  depth?: number;
  /** Write bench/results/matching.md (default true). */
  write?: boolean;
  log?: (line: string) => void;
}

const MID = new Big('2000');
const TICK = new Big('0.01');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function timeIt(
  clients: number,
  total: number,
  op: (client: number, i: number) => Promise<unknown>,
): Promise<number> {
  const per = Math.ceil(total / clients);
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < per; i++) await op(c, i);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (per * clients) / seconds;
}

function deepLadder(depth: number): DesiredLevel[] {
  const out: DesiredLevel[] = [];
  for (let i = 1; i <= depth; i++) {
    out.push({ side: 'buy', price: formatDecimal(MID.minus(TICK.times(i))), size: '50' });
    out.push({ side: 'sell', price: formatDecimal(MID.plus(TICK.times(i))), size: '50' });
  }
  return out;
}

async function setUpPool(db: Db, poolId: string, depth: number) {
  await createPool(db, {
    poolId,
    baseAsset: 'ETH',
    quoteAsset: 'USDC',
    tickSize: '0.01',
    lotSize: '0.001',
    minSize: '0.01',
    priceFeed: 'bench',
    config: { risk: { maxOrderNotional: '10000000' } },
  });
  await addLiquidity(db, {
    poolId,
    provider: 'bench-lp',
    base: '1000000',
    quote: '2000000000',
    requestId: `seed-${poolId}`,
  });
  const r = await reconcileOrders(db, {
    poolId,
    owner: poolOwner(poolId),
    cycleKey: `${poolId}/ladder`,
    desired: deepLadder(depth),
    toleranceBps: '0',
  });
  if (r.placed !== depth * 2) throw new Error(`ladder placed ${r.placed} of ${depth * 2} levels`);
}

/** The baseline: the same statements a match makes, hand-written, no validation or domain logic. */
async function baselineTx(client: pg.PoolClient, poolId: string, stream: string, version: number, i: number) {
  const side = i % 2 === 0 ? 'sell' : 'buy';
  await client.query('begin');
  try {
    await client.query('select * from pools where id = $1 for update', [poolId]);
    const makers = await client.query(
      `select id, price, quantity, filled_quantity from orders
       where pool_id = $1 and side = $2 and status = 'open'
       order by price ${side === 'sell' ? 'asc' : 'desc'}, seq limit 4`,
      [poolId, side],
    );
    const maker = makers.rows[0] as { id: string; price: string; quantity: string; filled_quantity: string };
    const left = new Big(maker.quantity).minus(maker.filled_quantity);
    const qty = left.lt('0.05') ? left.toFixed() : '0.05';
    // The same rows a match writes: its taker order, the trade (the database moves the pool's
    // reserves and checks it, migration 0003), the maker's and the taker's fills.
    const takerId = `bt_${randomBytes(8).toString('hex')}`;
    const takerSide = side === 'sell' ? 'buy' : 'sell';
    await client.query(
      `insert into orders (id, pool_id, owner, client_order_id, side, type, price, quantity, status)
       values ($1, $2, 'bench-baseline', $1, $3, 'ioc', $4, $5, 'open')`,
      [takerId, poolId, takerSide, maker.price, qty],
    );
    const tradeId = `b_${randomBytes(8).toString('hex')}`;
    await client.query(
      `insert into trades (id, pool_id, maker_order_id, taker_order_id, maker_owner, taker_owner, taker_side, price, quantity, maker_is_pool)
       values ($1, $2, $3, $4, '', '', $5, $6, $7, true)`,
      [tradeId, poolId, maker.id, takerId, takerSide, maker.price, qty],
    );
    await client.query(
      `update orders set filled_quantity = filled_quantity + $2,
              status = case when filled_quantity + $2 = quantity then 'filled' else 'open' end, updated_at = now()
        where id = $1`,
      [maker.id, qty],
    );
    await client.query(`update orders set filled_quantity = quantity, status = 'filled' where id = $1`, [
      takerId,
    ]);
    await client.query(
      `insert into events (event_id, stream_id, stream_version, type, schema_version, payload)
       values ($1, $2, $3, 'order_placed', 1, $4), ($5, $2, $6, 'order_executed', 1, $4)`,
      [
        `${tradeId}/placed`,
        stream,
        version,
        JSON.stringify({ tradeId, price: maker.price }),
        `${tradeId}/executed`,
        version + 1,
      ],
    );
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    throw err;
  }
}

async function machine(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const v = (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
  const settings = (
    await c.query<{ name: string; setting: string }>(
      "select name, setting from pg_settings where name in ('fsync', 'synchronous_commit')",
    )
  ).rows;
  await c.end();
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    node: process.version,
    postgres: v,
    durability: settings.map((s) => `${s.name}=${s.setting}`).join(', '),
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

export function renderMatchingMarkdown(
  rows: MatchingBenchRow[],
  m: Awaited<ReturnType<typeof machine>>,
  notes: string,
): string {
  const fmt = (n: number) => n.toFixed(0);
  return [
    '# Matching throughput on one pool',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores; Node ${m.node}; Postgres ${m.postgres} (${m.durability}); load average at start ${m.load}.`,
    '',
    notes,
    '',
    '| workload | clients | engine orders/s (median) | baseline tx/s (median) | engine / baseline |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${r.clients} | ${fmt(r.engineOpsPerSec)} | ${fmt(r.baselineOpsPerSec)} | ${r.ratio.toFixed(2)} |`,
    ),
    '',
    `Median of ${rows[0]?.repeats ?? 0} repeats of ${rows[0]?.opsPerRepeat ?? 0} operations each, engine and baseline interleaved in the same run.`,
    '',
  ].join('\n');
}

export async function runMatchingBench(opts: MatchingBenchOptions = {}): Promise<MatchingBenchRow[]> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const repeats = opts.repeats ?? 5;
  const ops = opts.opsPerRepeat ?? 400;
  const depth = opts.depth ?? 300;
  const pgServer = opts.url
    ? { url: opts.url, embedded: false, stop: async () => {} }
    : await startPostgres();
  log(`[bench] Postgres ${pgServer.embedded ? 'embedded' : 'from DATABASE_URL'}`);
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgServer.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = withDatabase(pgServer.url, name);
  const db = createDb(url, { maxConnections: 8, applicationName: 'bench-matching' });
  const raw = new pg.Pool({ connectionString: url, max: 8 });
  // A reset connection must fail the query, not crash the process with an unhandled 'error'.
  raw.on('error', () => {});
  raw.on('connect', (client) => client.on('error', () => {}));
  try {
    await setupRoles(pgServer.url);
    await migrateToLatest(db);
    const poolId = 'bench-eth-usdc';
    const basePoolId = 'bench-baseline';
    await setUpPool(db, poolId, depth);
    await setUpPool(db, basePoolId, depth);
    const m = await machine(pgServer.url);
    log(
      `[bench] ${m.cpu}, ${m.cores} cores, Node ${m.node}, Postgres ${m.postgres}; ladder ${depth} levels per side`,
    );

    let seq = 0;
    const engineOp = async (client: number) => {
      const n = ++seq;
      const side = n % 2 === 0 ? 'buy' : 'sell';
      // Marketable: the limit lies beyond the whole ladder, so the best level has to be found in a deep book.
      const price = side === 'buy' ? formatDecimal(MID.times('1.05')) : formatDecimal(MID.times('0.95'));
      await submitOrder(db, {
        poolId,
        owner: `taker-${client}`,
        clientOrderId: `t-${n}`,
        side,
        type: 'ioc',
        price,
        quantity: '0.05',
      });
    };
    const versions = new Map<string, number>();
    const baselineOp = async (client: number, i: number) => {
      const stream = `bench-baseline-${client}`;
      const v = versions.get(stream) ?? 1;
      versions.set(stream, v + 2);
      const c = await raw.connect();
      try {
        await baselineTx(c, basePoolId, stream, v, i);
      } finally {
        c.release();
      }
    };

    // Warm-up: JIT, connection pools, Postgres caches.
    await timeIt(1, 50, engineOp);
    await timeIt(1, 50, baselineOp);

    const rows: MatchingBenchRow[] = [];
    for (const clients of [1, 4]) {
      const engine: number[] = [];
      const baseline: number[] = [];
      for (let r = 0; r < repeats; r++) {
        engine.push(await timeIt(clients, ops, engineOp));
        baseline.push(await timeIt(clients, ops, baselineOp));
        log(
          `[bench] clients=${clients} repeat ${r + 1}/${repeats}: engine ${engine.at(-1)!.toFixed(0)}/s, baseline ${baseline.at(-1)!.toFixed(0)}/s`,
        );
      }
      const e = median(engine);
      const b = median(baseline);
      rows.push({
        workload: `IOC taker vs ${depth}-level pool ladder${clients === 1 ? ' (sequential)' : ''}`,
        clients,
        engineOpsPerSec: e,
        baselineOpsPerSec: b,
        ratio: e / b,
        repeats,
        opsPerRepeat: ops,
      });
    }

    if (opts.write !== false) {
      const notes =
        'Engine: `submitOrder` (validation, pool row lock, price-time matching, reserve update, trade row, ' +
        '`order_placed` and `order_executed` appended through the event store) for a 0.05 ETH IOC taker whose limit lies ' +
        'beyond the whole ladder. Baseline: raw `pg` transaction of the same shape (lock the pool row FOR UPDATE, select ' +
        'a few resting orders, update the maker and the pool, insert a trade and two event rows). With 4 clients both are ' +
        'serialised on the one pool row, so the figure measures lock hand-over, not parallel speed-up.';
      const md = renderMatchingMarkdown(rows, m, notes);
      const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'matching.md');
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, md);
      log(`[bench] wrote ${out}`);
      process.stdout.write(`${md}\n`);
    }
    return rows;
  } finally {
    await raw.end().catch(() => {});
    await db.destroy().catch(() => {});
    const c = new pg.Client({ connectionString: pgServer.url });
    await c
      .connect()
      .then(() => c.query(`drop database if exists ${name} with (force)`))
      .catch(() => {});
    await c.end().catch(() => {});
    await pgServer.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMatchingBench().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

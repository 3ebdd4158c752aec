import pg from 'pg';
import { sql } from 'kysely';
import { appendToStream } from '../db/event-store';
import type { NewEvent } from '../domain/events';
import type { BenchInfra } from './stack';
import { median } from './stats';

/*
 * Event append throughput through appendToStream (validation, idempotency and version checks,
 * per-stream advisory lock for expected version 'any', as the order book and market maker append)
 * beside plain INSERTs of the same rows into a scratch table with no constraints but a primary key,
 * one transaction per append in both. Sequential, one connection each, repeats interleaved.
 */

export interface EventsOptions {
  repeats: number;
  /** Appends per repeat for each batch size. */
  appends: Record<number, number>;
  log: (l: string) => void;
}

export interface EventsRow {
  batchSize: number;
  appendsPerRepeat: number;
  repeats: number;
  engineEventsPerSec: number;
  baselineEventsPerSec: number;
  ratio: number;
}

function quotesUpdated(poolId: string, cycle: number, eventId: string): NewEvent {
  const level = (p: string) => ({ price: p, size: '1' });
  return {
    eventId,
    type: 'quotes_updated',
    payload: {
      poolId,
      cycle,
      mid: '2000',
      reservationPrice: '2000',
      spreadBps: '30',
      bids: [level('1997'), level('1995'), level('1993')],
      asks: [level('2003'), level('2005'), level('2007')],
      placed: 2,
      cancelled: 2,
      kept: 4,
    },
  } as NewEvent;
}

export async function runEventsBench(infra: BenchInfra, o: EventsOptions): Promise<EventsRow[]> {
  const { db } = infra;
  await sql`create table if not exists bench_plain_events (
    id bigint generated always as identity primary key,
    event_id text not null,
    stream_id text not null,
    stream_version bigint not null,
    type text not null,
    schema_version int not null,
    payload jsonb not null,
    metadata jsonb not null default '{}',
    created_at timestamptz not null default now()
  )`.execute(db);
  const raw = new pg.Pool({
    connectionString: infra.dbUrl,
    max: 1,
    application_name: 'bench-events-baseline',
  });
  raw.on('error', () => {});
  const conn = await raw.connect();
  conn.on('error', () => {}); // a reset fails the query instead of crashing the process
  let streamNo = 0;
  const engine = async (batch: number, appends: number) => {
    const stream = `bench-events-${infra.runId}-${streamNo++}`;
    const started = performance.now();
    for (let a = 0; a < appends; a++) {
      const events = Array.from({ length: batch }, (_, i) =>
        quotesUpdated('bench', a * batch + i, `${stream}/${a}/${i}`),
      );
      await appendToStream(db, stream, 'any', events);
    }
    return (appends * batch) / ((performance.now() - started) / 1000);
  };
  const baseline = async (batch: number, appends: number) => {
    const stream = `bench-plain-${infra.runId}-${streamNo++}`;
    const started = performance.now();
    for (let a = 0; a < appends; a++) {
      const params: unknown[] = [];
      const values: string[] = [];
      for (let i = 0; i < batch; i++) {
        const e = quotesUpdated('bench', a * batch + i, `${stream}/${a}/${i}`);
        const k = params.length;
        values.push(`($${k + 1}, $${k + 2}, $${k + 3}, $${k + 4}, 1, $${k + 5})`);
        params.push(e.eventId, stream, a * batch + i + 1, e.type, JSON.stringify(e.payload));
      }
      await conn.query(
        `insert into bench_plain_events (event_id, stream_id, stream_version, type, schema_version, payload) values ${values.join(', ')}`,
        params,
      );
    }
    return (appends * batch) / ((performance.now() - started) / 1000);
  };
  try {
    const rows: EventsRow[] = [];
    for (const [batchText, appends] of Object.entries(o.appends)) {
      const batch = Number(batchText);
      const warm = Math.max(5, Math.round(appends / 10));
      await engine(batch, warm);
      await baseline(batch, warm);
      const e: number[] = [];
      const b: number[] = [];
      for (let r = 0; r < o.repeats; r++) {
        e.push(await engine(batch, appends));
        b.push(await baseline(batch, appends));
      }
      const row = {
        batchSize: batch,
        appendsPerRepeat: appends,
        repeats: o.repeats,
        engineEventsPerSec: median(e),
        baselineEventsPerSec: median(b),
        ratio: median(e) / median(b),
      };
      o.log(
        `[events] batch ${batch}: appendToStream ${row.engineEventsPerSec.toFixed(0)} events/s, plain INSERT ${row.baselineEventsPerSec.toFixed(0)} events/s`,
      );
      rows.push(row);
    }
    return rows;
  } finally {
    conn.release();
    await raw.end().catch(() => {});
  }
}

import { sql } from 'kysely';
import type { Db } from '../db/connection';
import { Big } from '../domain/money';
import { marketMakerStream, orderBookStream, poolStream } from '../domain/streams';
import type { PoolStatus } from '../client';

/*
 * Live progress: one line per pool, about once a second. On a terminal the block is redrawn in
 * place; otherwise (a pipe, a log file, CI) each sample is printed as plain lines.
 */

export interface ProgressSample {
  poolId: string;
  elapsedSeconds: number;
  status: PoolStatus | null;
  fills: number;
  eventsPerSecond: number;
}

const fixed = (v: string | null | undefined, dp: number) =>
  v === null || v === undefined ? '-' : new Big(v).toFixed(dp);

export function formatProgressLine(s: ProgressSample): string {
  const st = s.status;
  const bid = st?.bids[0]?.price ?? null;
  const ask = st?.asks[0]?.price ?? null;
  const mid = st?.mid ?? null;
  const quoted = bid && ask && mid ? new Big(ask).minus(bid).div(mid).times(10_000).toFixed(1) : '-';
  const inv = st?.inventoryShare ? `${new Big(st.inventoryShare).times(100).toFixed(1)}%` : '-';
  const pnl = st?.pnl
    ? `${new Big(st.pnl.totalPnl).gte(0) ? '+' : ''}${new Big(st.pnl.totalPnl).toFixed(2)} (${st.pnl.returnPct === null ? 'n/a' : `${new Big(st.pnl.returnPct).toFixed(3)}%`})`
    : '-';
  const state = st ? st.state : 'starting';
  const err = st?.lastError ? `  last error: ${st.lastError.slice(0, 80)}` : '';
  return (
    `${s.poolId.padEnd(12)} ${String(Math.round(s.elapsedSeconds)).padStart(4)}s ${state.padEnd(8)} ` +
    `mid ${fixed(mid, 2).padStart(8)}  bid ${fixed(bid, 2).padStart(8)} / ask ${fixed(ask, 2).padEnd(8)} ` +
    `spread ${quoted.padStart(5)} bps (policy ${fixed(st?.spreadBps, 1)})  inv ${inv.padStart(6)}  ` +
    `P&L ${pnl}  fills ${String(s.fills).padStart(5)}  ev/s ${s.eventsPerSecond.toFixed(1).padStart(5)}${err}`
  );
}

/** Counts events per pool (all three of its streams) written after `afterPosition`. */
export class EventRateMeter {
  private position: string | null = null;
  private lastAtMs = 0;
  private readonly streamToPool = new Map<string, string>();

  constructor(
    private readonly db: Db,
    poolIds: readonly string[],
  ) {
    for (const id of poolIds) {
      for (const s of [poolStream(id), orderBookStream(id), marketMakerStream(id)])
        this.streamToPool.set(s, id);
    }
  }

  /** Events per second per pool since the previous call (0 on the first). */
  async sample(nowMs = Date.now()): Promise<Map<string, number>> {
    const rates = new Map<string, number>();
    if (this.position === null) {
      const row = await this.db
        .selectFrom('events')
        .select(sql<string>`coalesce(max(global_position), 0)`.as('pos'))
        .executeTakeFirstOrThrow();
      this.position = String(row.pos);
      this.lastAtMs = nowMs;
      return rates;
    }
    const rows = await this.db
      .selectFrom('events')
      .select(['stream_id', sql<string>`count(*)`.as('n'), sql<string>`max(global_position)`.as('pos')])
      .where('global_position', '>', this.position)
      .where('stream_id', 'in', [...this.streamToPool.keys()])
      .groupBy('stream_id')
      .execute();
    const seconds = Math.max(0.001, (nowMs - this.lastAtMs) / 1000);
    let max = BigInt(this.position);
    for (const r of rows) {
      const pool = this.streamToPool.get(r.stream_id)!;
      rates.set(pool, (rates.get(pool) ?? 0) + Number(r.n) / seconds);
      if (BigInt(r.pos) > max) max = BigInt(r.pos);
    }
    this.position = max.toString();
    this.lastAtMs = nowMs;
    return rates;
  }
}

/** Redraws a block of lines in place on a TTY; prints them as they come otherwise. */
export class ProgressDisplay {
  private drawn = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  render(lines: string[]): void {
    if (!this.interactive) {
      this.out.write(`${lines.join('\n')}\n`);
      return;
    }
    const width = this.out.columns ?? 200;
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of lines) text += `\x1b[2K${line.length > width ? line.slice(0, width - 1) : line}\n`;
    this.out.write(text);
    this.drawn = lines.length;
  }

  /** Leaves the last block on screen; later output starts below it. */
  finish(): void {
    this.drawn = 0;
  }
}

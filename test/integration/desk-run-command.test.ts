import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Big } from '../../domain';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { PROJECT_ROOT } from '../helpers/processes';

/*
 * `npm start -- --pairs ...` run as a user runs it, against the shared Temporal dev server and a
 * fresh database: a desk over a 60,000 pair and a 0.033 cross, on one correlated simulation.
 */

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCommand(args: string[], env: Record<string, string>, timeoutMs: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'cli/run.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `cli/run.ts did not finish within ${timeoutMs} ms\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('npm start -- --pairs BTC/USDC,ETH/BTC (the multi-pair desk)', () => {
  let t: TestDatabase;
  let result: Result;

  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      DATABASE_URL: t.url,
      TASK_QUEUE: `desk-run-${randomBytes(4).toString('hex')}`,
    };
    result = await runCommand(
      ['--pairs', 'BTC/USDC,ETH/BTC', '--duration', '15', '--strategy', 'glft'],
      env,
      150_000,
    );
  }, 160_000);

  afterAll(async () => {
    await t?.drop();
  });

  const output = () => `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;

  it('exits 0 after trading both pairs, with the portfolio and the history report', () => {
    expect(result.code, output()).toBe(0);
    expect(result.stdout, output()).toMatch(/Summary: 2 pools over 2 pairs, [1-9]\d* fills, 0 errors\./);
    expect(result.stdout).toMatch(
      /Feeds: correlated GBM legs in USDC \(BTC\/USDC from 60000, ETH\/USDC from 2000;.*crosses ETH\/BTC/,
    );
    // The live line and the end report: net exposure per asset valued in USDC, and the desk's P&L.
    expect(result.stdout).toMatch(
      /desk: net exposure BTC [-+][\d.]+ \([-+][\d.]+\), ETH [-+][\d.]+ \([-+][\d.]+\) USDC; value [\d.]+, P&L [-+][\d.]+ USDC/,
    );
    expect(result.stdout).toMatch(/ETH +net +[-+][\d.]+ +worth +[-+][\d.]+ USDC +\(via ETH\/USDC\)/);
    expect(result.stdout).toContain('History across pools and pairs');
    expect(result.stdout).toMatch(/Dashboard: http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stderr, output()).not.toMatch(/Dashboard warnings|error:/);
    expect(result.stdout).toMatch(/desk-eth-btc-1 \(ETH\/BTC\)\n {2}ETH: [\d.]+ -> [\d.]+ {4}BTC: /);
    expect(result.stdout).toMatch(/ {2}ETH\/BTC: 1 pool\(s\), [1-9]\d* trades, P&L [-+][\d.]+ USDC/);
    expect(result.stdout).toMatch(/\ndesk: [1-9]\d* trades, P&L [-+][\d.]+ USDC/);
  });

  it("created each pool on its pair's grid with sizes and tiers from USDC values, and left no order open", async () => {
    const pools = await sql<{
      pool_id: string;
      tick_size: string;
      lot_size: string;
      min_size: string;
      price_feed: string;
      config: {
        ladder: { baseOrderSize: string };
        spreadPolicy: { lowTvlThreshold: string };
        strategy: { kind: string };
      };
    }>`
      select id as pool_id, tick_size, lot_size, min_size, price_feed, config from pools order by id`.execute(
      t.db,
    );
    const byId = Object.fromEntries(pools.rows.map((r) => [r.pool_id, r]));
    const btc = byId['desk-btc-usdc-1']!;
    const cross = byId['desk-eth-btc-1']!;
    expect([btc.tick_size, btc.lot_size, btc.min_size].map((x) => new Big(x).toFixed())).toEqual([
      '0.01',
      '0.00001',
      '0.0001',
    ]);
    expect([cross.tick_size, cross.lot_size, cross.min_size].map((x) => new Big(x).toFixed())).toEqual([
      '0.000001',
      '0.0001',
      '0.001',
    ]);
    expect(cross.price_feed).toBe('DESK-ETH-BTC-SIM');
    expect(cross.config.strategy.kind).toBe('glft');
    // About 2,000 USDC per order on both: ~0.033 BTC and ~1 ETH; the ETH/BTC tier is ~10,000 USDC in BTC.
    expect(Number(btc.config.ladder.baseOrderSize)).toBeCloseTo(0.0333, 2);
    expect(Number(cross.config.ladder.baseOrderSize)).toBeCloseTo(1, 1);
    expect(Number(cross.config.spreadPolicy.lowTvlThreshold)).toBeCloseTo(10_000 / 60_000, 2);

    const trades = await sql<{ pool_id: string; n: string }>`
      select pool_id, count(*) as n from trades where maker_is_pool group by pool_id`.execute(t.db);
    expect(Object.fromEntries(trades.rows.map((r) => [r.pool_id, Number(r.n) > 0]))).toEqual({
      'desk-btc-usdc-1': true,
      'desk-eth-btc-1': true,
    });
    // Cross rates consistent with the legs: every stored ETH/BTC tick is ETH/USDC over BTC/USDC to within a tick.
    const ticks = await sql<{ eth: string; btc: string; cross: string }>`
      select e.price as eth, b.price as btc, x.price as cross from price_ticks x
      join price_ticks e on e.feed = 'DESK-ETH-USDC-SIM' and e.observed_at = x.observed_at
      join price_ticks b on b.feed = 'DESK-BTC-USDC-SIM' and b.observed_at = x.observed_at
      where x.feed = 'DESK-ETH-BTC-SIM'`.execute(t.db);
    expect(ticks.rows.length).toBeGreaterThan(10);
    for (const r of ticks.rows) {
      expect(new Big(r.eth).div(r.btc).minus(r.cross).abs().lte('0.0000005')).toBe(true);
    }
    const open = await sql<{ n: string }>`
      select count(*) as n from orders where owner like 'pool:%' and status = 'open'`.execute(t.db);
    expect(Number(open.rows[0]!.n)).toBe(0);
  });
});

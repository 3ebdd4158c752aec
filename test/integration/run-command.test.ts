import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { PROJECT_ROOT } from '../helpers/processes';

/*
 * The project's main command, run as a user runs it (a child process through tsx), against the
 * shared Temporal dev server and a fresh database, so it touches neither .data nor other tests.
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

describe('npm start (cli/run.ts)', () => {
  let t: TestDatabase;
  let result: Result;

  let env: Record<string, string>;

  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
    env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      DATABASE_URL: t.url,
      TASK_QUEUE: `run-command-${randomBytes(4).toString('hex')}`,
    };
    result = await runCommand(['--duration', '20', '--pools', '1'], env, 120_000);
  }, 130_000);

  afterAll(async () => {
    await t?.drop();
  });

  const output = () => `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;

  it('exits 0 with fills in the report and no error lines', () => {
    expect(result.code, output()).toBe(0);
    const summary = /Summary: (\d+) fills, (\d+) spread adjustments, (\d+) errors\./.exec(result.stdout);
    expect(summary, output()).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThan(0);
    expect(Number(summary![3])).toBe(0);
    expect(result.stdout).toMatch(/=== eth-usdc-1 \(ETH\/USDC\)/);
    expect(result.stdout).toMatch(/hold value/);
    expect(result.stdout).toMatch(/Open market-maker orders after stop: 0/);
    // The run serves the dashboard on the loopback address and says where.
    expect(result.stdout).toMatch(/Dashboard: http:\/\/127\.0\.0\.1:\d+/);
    const errorLines = `${result.stdout}\n${result.stderr}`
      .split('\n')
      .filter((l) =>
        /^error:|\bERROR\b|\bWARN\b|Errors during the run|last error:|Unhandled|Exception/i.test(l),
      );
    expect(errorLines, output()).toEqual([]);
  });

  it('left trades and quoting or spread events in the database and no open market-maker order', async () => {
    const trades = await sql<{
      n: string;
    }>`select count(*) as n from trades where pool_id = 'eth-usdc-1' and maker_is_pool`.execute(t.db);
    expect(Number(trades.rows[0]!.n)).toBeGreaterThan(0);
    const events = await sql<{ type: string; n: string }>`
      select type, count(*) as n from events
      where type in ('spread_adjusted', 'market_volatility_changed', 'quotes_updated', 'market_maker_stopped')
      group by type`.execute(t.db);
    const counts = Object.fromEntries(events.rows.map((r) => [r.type, Number(r.n)]));
    expect(
      (counts.spread_adjusted ?? 0) + (counts.market_volatility_changed ?? 0) + (counts.quotes_updated ?? 0),
      JSON.stringify(counts),
    ).toBeGreaterThan(0);
    expect(counts.market_maker_stopped).toBe(1);
    const open = await sql<{
      n: string;
    }>`select count(*) as n from orders where owner like 'pool:%' and status = 'open'`.execute(t.db);
    expect(Number(open.rows[0]!.n)).toBe(0);
  });

  it('runs again on the same database: the pool is reused and the new workflows quote and stop cleanly', async () => {
    const again = await runCommand(['--duration', '8', '--pools', '1'], env, 110_000);
    const out = `--- stdout\n${again.stdout}\n--- stderr\n${again.stderr}`;
    expect(again.code, out).toBe(0);
    expect(again.stdout, out).toMatch(/Summary: \d+ fills, \d+ spread adjustments, 0 errors\./);
    const started = await sql<{
      n: string;
    }>`select count(*) as n from events where type = 'market_maker_started'`.execute(t.db);
    expect(Number(started.rows[0]!.n)).toBe(2);
    // The second run's quotes are its own (not taken for replays of the first run's cycles).
    const cycles = await sql<{
      n: string;
    }>`select count(*) as n from events where type = 'quotes_updated' and (payload->>'cycle')::int = 0`.execute(
      t.db,
    );
    expect(Number(cycles.rows[0]!.n)).toBe(2);
    const open = await sql<{
      n: string;
    }>`select count(*) as n from orders where owner like 'pool:%' and status = 'open'`.execute(t.db);
    expect(Number(open.rows[0]!.n)).toBe(0);
  }, 120_000);
});

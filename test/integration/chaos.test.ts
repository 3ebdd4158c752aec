import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { runChaos } from '../../chaos/run';
import type { ChaosResult } from '../../chaos/report';
import { FAULT_KINDS } from '../../chaos/schedule';
import { PROJECT_ROOT } from '../helpers/processes';

/*
 * The short chaos run CI makes: its own Temporal dev server (restarted during the run), a database
 * of its own on the test cluster, two pools with takers, every fault kind at least once (the first
 * round holds each kind), then the invariants. The full run's figures are in docs/CHAOS.md.
 */

function runCli(args: string[], env: Record<string, string | undefined>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/chaos.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run chaos refuses what it must not touch', () => {
  it('refuses a remote database or Temporal server and bad flags, before starting anything', async () => {
    const remoteDb = await runCli(['--duration', '30'], {
      DATABASE_URL: 'postgres://app:secret@db.example.com:5432/prod',
    });
    expect(remoteDb.code).toBe(2);
    expect(remoteDb.stderr).toMatch(/DATABASE_URL points at db.example.com, which is not a local address/);
    const remoteTemporal = await runCli([], { TEMPORAL_ADDRESS: '10.20.30.40:7233' });
    expect(remoteTemporal.code).toBe(2);
    expect(remoteTemporal.stderr).toMatch(/TEMPORAL_ADDRESS=10.20.30.40:7233 is not a local address/);
    const badFlag = await runCli(['--duration', '5'], {});
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--duration must be from 30 to 3600, got 5/);
  }, 60_000);
});

describe('a short chaos run', () => {
  let result: ChaosResult;
  const lines: string[] = [];

  beforeAll(async () => {
    result = await runChaos({
      durationSeconds: 30,
      pools: 2,
      seed: 20240611,
      gapMs: [1000, 2000],
      databaseUrl: inject('databaseUrl'),
      command: 'test/integration/chaos.test.ts',
      log: (l) => {
        lines.push(l);
        process.stderr.write(`${l}\n`);
      },
    });
  }, 900_000);

  afterAll(() => {
    if (result && !result.ok) process.stderr.write(`${JSON.stringify(result.invariants, null, 2)}\n`);
  });

  it('injects every fault kind at least once, each carried out', () => {
    for (const kind of FAULT_KINDS) {
      const k = result.byKind.find((x) => x.kind === kind)!;
      expect(k.injected, kind).toBeGreaterThanOrEqual(1);
      expect(k.failed, kind).toBe(0);
    }
    expect(result.activity.workerKills).toBeGreaterThanOrEqual(2);
    expect(result.activity.temporalRestarts).toBeGreaterThanOrEqual(1);
    expect(result.activity.connectionsTerminated).toBeGreaterThan(0);
    expect(result.activity.trades).toBeGreaterThan(0);
  });

  it('keeps every invariant', () => {
    const failed = result.invariants.filter((i) => !i.pass);
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.invariants.map((i) => i.name)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^no client order id twice/),
        expect.stringMatching(/^no event twice/),
        expect.stringMatching(/^stream versions contiguous/),
        expect.stringMatching(/^assets conserved to the last decimal/),
        expect.stringMatching(/^every fill has its order_executed event/),
        expect.stringMatching(/^the saga's checkpoint reached the head/),
        expect.stringMatching(/^0 resting pool orders after stop/),
        expect.stringMatching(/^no workflow with a failing workflow task/),
        expect.stringMatching(/^every fault recovered from/),
      ]),
    );
  });

  it('measures a recovery time for every kind', () => {
    for (const k of result.byKind) {
      expect(k.recovered + k.unmeasured, k.kind).toBe(k.injected);
      if (k.recovered) expect(k.recoveryMs.max, k.kind).toBeGreaterThanOrEqual(k.recoveryMs.median!);
    }
    expect(JSON.parse(JSON.stringify(result)).faults).toHaveLength(result.faults.length);
  });
});

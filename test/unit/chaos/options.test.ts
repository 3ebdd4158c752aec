import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLocalTargets, isLoopbackHost, parseChaosArgs, UsageError } from '../../../chaos/options';

const refused = (argv: string[], message: RegExp) => {
  expect(() => parseChaosArgs(argv)).toThrow(UsageError);
  expect(() => parseChaosArgs(argv)).toThrow(message);
};

describe('chaos command flags', () => {
  it('has bounded defaults and takes valid values', () => {
    expect(parseChaosArgs([])).toEqual({ durationSeconds: 600, pools: 3, seed: 1 });
    expect(parseChaosArgs(['--duration', '90', '--pools', '2', '--seed', '7', '--out', 'r.json'])).toEqual({
      durationSeconds: 90,
      pools: 2,
      seed: 7,
      out: 'r.json',
    });
    expect(parseChaosArgs(['-h'])).toBe('help');
  });

  it('refuses each bad flag naming it', () => {
    refused(['--duration', '10'], /--duration must be from 30 to 3600, got 10/);
    refused(['--duration', '3601'], /--duration/);
    refused(['--duration', '1e3'], /--duration must be a whole number/);
    refused(['--duration', '-60'], /--duration/);
    refused(['--pools', '0'], /--pools must be from 1 to 10/);
    refused(['--pools', '11'], /--pools/);
    refused(['--pools', 'three'], /--pools must be a whole number/);
    refused(['--seed', '4294967296'], /--seed/);
    refused(['--seed', '1.5'], /--seed/);
    refused(['--out', ''], /--out must be a file path/);
    refused(['--out', 'results/'], /--out must be a file path/);
    refused(['--kill-everything'], /Unknown option '--kill-everything'/);
    refused(['positional'], /positional/);
  });

  it('takes any whole number in range and refuses any outside it', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 10_000 }), (n) => {
        const ok = n >= 1 && n <= 10;
        if (ok) expect((parseChaosArgs(['--pools', String(n)]) as { pools: number }).pools).toBe(n);
        else expect(() => parseChaosArgs(['--pools', String(n)])).toThrow(/--pools/);
      }),
    );
  });
});

describe('chaos command targets: this machine only', () => {
  it('knows loopback hosts by spelling', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'LOCALHOST', 'db.localhost'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of [
      '10.0.0.1',
      '0.0.0.0',
      '192.168.1.1',
      'db.example.com',
      '::',
      '128.0.0.1',
      'localhost.evil.com',
      '',
    ])
      expect(isLoopbackHost(h)).toBe(false);
  });

  it('refuses any IPv4 address outside 127.0.0.0/8', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(isLoopbackHost(ip)).toBe(ip.startsWith('127.'));
      }),
    );
  });

  it('refuses a remote DATABASE_URL or TEMPORAL_ADDRESS, naming the variable and the host', () => {
    expect(() => checkLocalTargets({ DATABASE_URL: 'postgres://u:p@db.prod.internal:5432/app' })).toThrow(
      /DATABASE_URL points at db.prod.internal, which is not a local address/,
    );
    expect(() => checkLocalTargets({ DATABASE_URL: 'postgres://u:p@/app?host=10.1.1.1' })).toThrow(
      /10.1.1.1/,
    );
    expect(() => checkLocalTargets({ DATABASE_URL: 'mysql://127.0.0.1/app' })).toThrow(/postgres:\/\//);
    expect(() => checkLocalTargets({ DATABASE_URL: 'not a url' })).toThrow(/must be a postgres:\/\/ URL/);
    expect(() => checkLocalTargets({ TEMPORAL_ADDRESS: 'temporal.prod:7233' })).toThrow(
      /TEMPORAL_ADDRESS=temporal.prod:7233 is not a local address/,
    );
  });

  it('accepts local ones, and says a local TEMPORAL_ADDRESS is not used', () => {
    expect(checkLocalTargets({})).toEqual({ notes: [] });
    const url = 'postgres://postgres:postgres@127.0.0.1:54329/postgres';
    expect(checkLocalTargets({ DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(checkLocalTargets({ DATABASE_URL: 'postgres://u@localhost/db' }).databaseUrl).toBeDefined();
    expect(checkLocalTargets({ DATABASE_URL: 'postgres://u@[::1]:5432/db' }).databaseUrl).toBeDefined();
    expect(
      checkLocalTargets({ DATABASE_URL: 'postgres:///db?host=/var/run/postgresql' }).databaseUrl,
    ).toBeDefined();
    const t = checkLocalTargets({ TEMPORAL_ADDRESS: '127.0.0.1:7233' });
    expect(t.notes.join()).toMatch(
      /not used: the chaos command runs \(and restarts\) its own Temporal dev server/,
    );
  });
});

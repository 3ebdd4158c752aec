import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findTemporalCli, NO_CLI_MESSAGE } from '../../../devenv/temporal-cli';
import { loadTemporalDevConfig, startDevArgs } from '../../../devenv/temporal-dev-server';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function fakeBinary(dir: string): string {
  const path = join(dir, 'temporal');
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

describe('Temporal CLI resolution order', () => {
  it('prefers TEMPORAL_CLI_PATH, then PATH', () => {
    const a = mkdtempSync(join(tmpdir(), 'cli-a-'));
    const b = mkdtempSync(join(tmpdir(), 'cli-b-'));
    const explicit = fakeBinary(a);
    const onPath = fakeBinary(b);
    process.env.PATH = `${b}:${saved.PATH}`;
    process.env.TEMPORAL_CLI_PATH = explicit;
    expect(findTemporalCli()).toEqual({ path: explicit, source: 'env' });
    delete process.env.TEMPORAL_CLI_PATH;
    expect(findTemporalCli()).toEqual({ path: onPath, source: 'path' });
  });

  it('refuses a TEMPORAL_CLI_PATH that is not executable, saying what to do', () => {
    process.env.TEMPORAL_CLI_PATH = '/nonexistent/temporal';
    expect(() => findTemporalCli()).toThrow(
      /TEMPORAL_CLI_PATH=\/nonexistent\/temporal is not an executable.*unset it/,
    );
  });

  it('names every way to provide the binary when none works', () => {
    for (const way of [
      'TEMPORAL_CLI_PATH',
      'PATH',
      'go install github.com/temporalio/cli/cmd/temporal@v1.5.1',
      '@temporalio/testing',
      'TEMPORAL_ADDRESS',
    ]) {
      expect(NO_CLI_MESSAGE).toContain(way);
    }
  });
});

describe('temporal-dev.yaml', () => {
  it('becomes start-dev flags with the search attributes, namespace, ports and database file', () => {
    const cfg = loadTemporalDevConfig();
    const args = startDevArgs(cfg);
    expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(args).toEqual(
      expect.arrayContaining(['--search-attribute', 'PoolId=Keyword', 'MarketMakerStatus=Keyword']),
    );
    expect(args).toEqual(
      expect.arrayContaining(['--namespace', 'default', '--port', '7233', '--ui-port', '8233']),
    );
    expect(args[args.indexOf('--db-filename') + 1]).toMatch(/\.data\/temporal\/dev\.db$/);
    const headless = startDevArgs({ ...cfg, headless: true, dbFilename: null });
    expect(headless).toContain('--headless');
    expect(headless).not.toContain('--db-filename');
  });
});

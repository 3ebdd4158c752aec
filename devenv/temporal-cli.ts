import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The CLI release we build from source: later tags carry a `replace` directive `go install` refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export type CliSource = 'env' | 'path' | 'cache' | 'go-install';
export interface ResolvedCli {
  path: string;
  source: CliSource;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Outside the checkout, so every fresh clone on this machine reuses one build. */
export function cliCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'lp-market-maker', `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'bin');
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Finds an installed Temporal CLI without building anything. */
export function findTemporalCli(): ResolvedCli | undefined {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(
        `TEMPORAL_CLI_PATH=${fromEnv} is not an executable file. Point it at a Temporal CLI binary or unset it.`,
      );
    }
    return { path: fromEnv, source: 'env' };
  }
  const onPath = findOnPath('temporal');
  if (onPath) return { path: onPath, source: 'path' };
  const cached = join(cliCacheDir(), 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

function goBinary(): string | undefined {
  return findOnPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/** Builds the CLI with `go install` into the cache, echoing Go's progress so a first build of minutes is not silent. */
export async function buildTemporalCli(log: (line: string) => void = (l) => process.stderr.write(l + '\n')) {
  const go = goBinary();
  if (!go) return undefined;
  const bin = cliCacheDir();
  mkdirSync(bin, { recursive: true });
  log(`[temporal-cli] building ${GO_PACKAGE} with ${go} into ${bin} (first time only; takes a few minutes)…`);
  const started = Date.now();
  const ticker = setInterval(
    () => log(`[temporal-cli] still building… ${Math.round((Date.now() - started) / 1000)} s`),
    15_000,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', '-x=false', GO_PACKAGE], {
        env: { ...process.env, GOBIN: bin, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const forward = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) log(`[temporal-cli] ${line}`);
      };
      child.stdout.on('data', forward);
      child.stderr.on('data', forward);
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`go install exited with ${code}`)),
      );
    });
  } finally {
    clearInterval(ticker);
  }
  const path = join(bin, 'temporal');
  if (!existsSync(path)) return undefined;
  log(`[temporal-cli] built in ${Math.round((Date.now() - started) / 1000)} s`);
  return { path, source: 'go-install' as const };
}

export const NO_CLI_MESSAGE = [
  'No Temporal CLI could be found or built. Provide one in any of these ways:',
  '  1. set TEMPORAL_CLI_PATH to a `temporal` binary;',
  '  2. put `temporal` on PATH (https://docs.temporal.io/cli);',
  `  3. install Go and let this project run \`go install ${GO_PACKAGE}\` (cached in ${cliCacheDir()});`,
  '  4. on a machine with internet access, unset all of the above: @temporalio/testing downloads the CLI;',
  '  or point TEMPORAL_ADDRESS at a running Temporal server to skip starting one.',
].join('\n');

/** Resolution order: env path, PATH, cached build, fresh `go install`; undefined means "fall back to the SDK download". */
export async function resolveTemporalCli(log?: (line: string) => void): Promise<ResolvedCli | undefined> {
  const found = findTemporalCli();
  if (found) return found;
  try {
    return await buildTemporalCli(log);
  } catch (err) {
    (log ?? ((l: string) => process.stderr.write(l + '\n')))(
      `[temporal-cli] go install failed: ${(err as Error).message}`,
    );
    return undefined;
  }
}

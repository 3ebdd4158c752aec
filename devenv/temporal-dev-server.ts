import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse } from 'yaml';
import { NO_CLI_MESSAGE, resolveTemporalCli } from './temporal-cli';
import { isListening } from './ports';

export const PROJECT_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');

export interface TemporalDevConfig {
  namespace: string;
  ip: string;
  port: number;
  uiPort: number;
  /** null keeps history in memory only. */
  dbFilename: string | null;
  logLevel: string;
  headless: boolean;
  searchAttributes: Record<string, string>;
  dynamicConfig: Record<string, unknown>;
}

export function loadTemporalDevConfig(file = join(PROJECT_ROOT, 'temporal-dev.yaml')): TemporalDevConfig {
  const raw = parse(readFileSync(file, 'utf8')) as Partial<TemporalDevConfig> | null;
  if (!raw || typeof raw !== 'object') throw new Error(`${file} is empty or not a YAML mapping.`);
  const port = Number(raw.port ?? 7233);
  if (!Number.isInteger(port)) throw new Error(`${file}: port must be an integer, got ${String(raw.port)}.`);
  return {
    namespace: String(raw.namespace ?? 'default'),
    ip: String(raw.ip ?? '127.0.0.1'),
    port,
    uiPort: Number(raw.uiPort ?? port + 1000),
    dbFilename: raw.dbFilename == null ? null : String(raw.dbFilename),
    logLevel: String(raw.logLevel ?? 'warn'),
    headless: Boolean(raw.headless ?? false),
    searchAttributes: raw.searchAttributes ?? {},
    dynamicConfig: raw.dynamicConfig ?? {},
  };
}

/** Flags that any start-dev invocation takes, including the SDK's own launcher. */
function serverSettingsArgs(cfg: TemporalDevConfig): string[] {
  const args = ['--log-level', cfg.logLevel];
  for (const [name, type] of Object.entries(cfg.searchAttributes))
    args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(cfg.dynamicConfig)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  return args;
}

export function startDevArgs(cfg: TemporalDevConfig): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    cfg.ip,
    '--port',
    String(cfg.port),
    '--namespace',
    cfg.namespace,
  ];
  if (cfg.headless) args.push('--headless');
  else args.push('--ui-port', String(cfg.uiPort));
  if (cfg.dbFilename) {
    const file = isAbsolute(cfg.dbFilename) ? cfg.dbFilename : join(PROJECT_ROOT, cfg.dbFilename);
    mkdirSync(dirname(file), { recursive: true });
    args.push('--db-filename', file);
  }
  return [...args, ...serverSettingsArgs(cfg)];
}

export interface RunningTemporal {
  address: string;
  namespace: string;
  uiUrl?: string;
  /** False when an already-running server was reused; stop() then leaves it alone. */
  owned: boolean;
  pid?: number;
  stop(): Promise<void>;
}

async function waitUntilReady(
  address: string,
  namespace: string,
  child: ChildProcess | undefined,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`temporal server exited early with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `Temporal dev server at ${address} was not ready within ${timeoutMs} ms: ${String(lastError)}`,
  );
}

export interface StartOptions {
  overrides?: Partial<TemporalDevConfig>;
  /** Reuse a server already listening on the configured port instead of failing. */
  reuse?: boolean;
  /** Keep the server running after this process exits (the run command does, so the UI stays up). */
  detached?: boolean;
  logFile?: string;
  log?: (line: string) => void;
}

export async function startTemporalDevServer(opts: StartOptions = {}): Promise<RunningTemporal> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const cfg = { ...loadTemporalDevConfig(), ...opts.overrides };
  const address = `${cfg.ip}:${cfg.port}`;
  const uiUrl = cfg.headless ? undefined : `http://${cfg.ip}:${cfg.uiPort}`;
  if (opts.reuse && (await isListening(cfg.ip, cfg.port))) {
    await waitUntilReady(address, cfg.namespace, undefined, 10_000);
    return { address, namespace: cfg.namespace, uiUrl, owned: false, stop: async () => {} };
  }
  const cli = await resolveTemporalCli(log);
  if (!cli) return startWithSdkDownload(cfg, log);
  const logFile = opts.logFile ?? join(PROJECT_ROOT, '.data', 'temporal', `server-${cfg.port}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(cli.path, startDevArgs(cfg), {
    stdio: ['ignore', out, out],
    detached: opts.detached ?? false,
  });
  if (opts.detached) child.unref();
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilReady(address, cfg.namespace, child, 60_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\nServer log: ${logFile}`);
  }
  return { address, namespace: cfg.namespace, uiUrl, owned: true, pid: child.pid, stop };
}

/** Last resort on machines with internet access: the SDK downloads and runs its own CLI build. */
async function startWithSdkDownload(
  cfg: TemporalDevConfig,
  log: (l: string) => void,
): Promise<RunningTemporal> {
  log('[temporal-cli] no local CLI; trying the download that @temporalio/testing performs…');
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: cfg.ip,
        port: cfg.port,
        namespace: cfg.namespace,
        uiPort: cfg.headless ? undefined : cfg.uiPort,
        ui: !cfg.headless,
        dbFilename: cfg.dbFilename ?? undefined,
        searchAttributes: [],
        extraArgs: serverSettingsArgs(cfg),
      },
    });
    return {
      address: env.address,
      namespace: cfg.namespace,
      uiUrl: cfg.headless ? undefined : `http://${cfg.ip}:${cfg.uiPort}`,
      owned: true,
      stop: () => env.teardown(),
    };
  } catch (err) {
    throw new Error(`${NO_CLI_MESSAGE}\n(The download attempt failed: ${(err as Error).message})`);
  }
}

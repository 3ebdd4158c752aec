import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from './temporal-dev-server';

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote so far (stdout and stderr, the last 100-200 KB), for failure messages. */
  output(): string;
  /** SIGKILL (no graceful shutdown) and wait for the exit. Safe to call more than once. */
  kill(): Promise<void>;
}

/** The environment the deployable worker reads (worker/config.ts); anything else is inherited. */
export interface WorkerProcessEnv {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
  TASK_QUEUE: string;
  DATABASE_URL: string;
  LOG_LEVEL?: string;
  WORKER_IDENTITY?: string;
  MAX_CONCURRENT_ACTIVITIES?: string;
  WORKFLOW_BUNDLE_PATH?: string;
}

/**
 * Runs the deployable worker (`node --import tsx worker/main.ts`) as a child process with the given
 * environment on top of the current one: what the crash tests, the recovery benchmark and the
 * chaos command SIGKILL.
 */
export function spawnWorker(env: WorkerProcessEnv): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    exited,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Kills every given worker process (SIGKILL) and waits for all of them to exit. */
export async function killAll(workers: Array<WorkerProcess | undefined>): Promise<void> {
  await Promise.all(workers.map((w) => w?.kill()));
}

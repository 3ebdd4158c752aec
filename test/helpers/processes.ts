import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The project root: child processes run from here so `--import tsx` and relative paths resolve. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGKILL (no graceful shutdown) and wait for the exit. Safe to call more than once. */
  kill(): Promise<void>;
}

/**
 * Runs the deployable worker (`node --import tsx worker/main.ts`) as a child process with the given
 * environment on top of the current one.
 */
export function spawnWorker(env: {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
  TASK_QUEUE: string;
  DATABASE_URL: string;
  LOG_LEVEL?: string;
  WORKER_IDENTITY?: string;
  MAX_CONCURRENT_ACTIVITIES?: string;
}): WorkerProcess {
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

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and returns its exit code and output (never throws on a non-zero exit). */
export function runCommand(
  file: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: PROJECT_ROOT, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 10 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof (err as { code?: unknown }).code !== 'number') {
          // Spawn failure or timeout (killed): not an exit status of the command.
          if ((err as { killed?: boolean }).killed)
            return reject(new Error(`${file} ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
          return reject(err);
        }
        resolve({
          code: err ? Number((err as { code: number }).code) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}

/**
 * Waits for `work`, but fails at once (with the process's output) if one of the worker processes
 * exits first: a worker that dies at start would otherwise surface only as a timeout.
 */
export async function whileRunning<T>(workers: WorkerProcess[], work: Promise<T>): Promise<T> {
  let settled = false;
  const died = workers.map((w) =>
    w.exited.then(({ code, signal }) => {
      if (settled) return new Promise<never>(() => {});
      throw new Error(
        `worker process exited (code ${code}, signal ${signal}) while waiting:\n${w.output().slice(-4000)}`,
      );
    }),
  );
  try {
    return await Promise.race([work, ...died]);
  } finally {
    settled = true;
  }
}

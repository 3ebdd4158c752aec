import { execFile } from 'node:child_process';
import type { WorkerProcess } from '../../devenv/worker-process';
import { fileURLToPath } from 'node:url';

/** The project root: child processes run from here so `--import tsx` and relative paths resolve. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export { killAll, spawnWorker, type WorkerProcess } from '../../devenv/worker-process';

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

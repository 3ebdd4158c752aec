import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { simulatePath, specConfig } from './engine';
import type { BacktestSpec, PathSummary } from './types';
import type { WorkerJob, WorkerReply } from './worker';

/*
 * Runs a spec's paths, on worker threads when more than one thread is asked for. Each path is
 * seeded from (spec.seed, path index), so the summaries are the same whatever the thread count
 * and whichever worker ran a path; they come back in path order.
 */

export interface RunOptions {
  /** Worker threads; 1 runs in this thread. Default: the machine's available parallelism. */
  threads?: number;
  /** Called as paths finish: (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/*
 * The worker is TypeScript, whatever started this process (tsx, vitest, node --import tsx). On
 * Node 20 loader hooks do not reach worker threads (`execArgv: ['--import', 'tsx']` still fails
 * on a .ts entry), so a small CommonJS bootstrap registers tsx's require hook and loads it.
 */
const require = createRequire(import.meta.url);
const WORKER_PATHS = {
  tsx: require.resolve('tsx/cjs/api'),
  entry: fileURLToPath(new URL('./worker.ts', import.meta.url)),
};
const WORKER_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
require(workerData.tsx).register();
require(workerData.entry);
`;

/** Paths per message: small enough to balance the threads, large enough to amortise messaging. */
function chunkSize(paths: number, threads: number): number {
  return Math.max(1, Math.min(50, Math.ceil(paths / (threads * 8))));
}

/** A pool of backtest workers, reusable across specs (the paper runs six). */
export class BacktestPool {
  private readonly workers: Worker[] = [];
  private nextJob = 0;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`threads must be a positive integer, got ${threads}`);
    }
  }

  private start(): void {
    if (this.workers.length > 0 || this.threads === 1) return;
    for (let i = 0; i < this.threads; i++) {
      this.workers.push(new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: WORKER_PATHS }));
    }
  }

  async run(spec: BacktestSpec, options: Pick<RunOptions, 'onProgress'> = {}): Promise<PathSummary[]> {
    specConfig(spec); // a bad configuration fails here, once, not in every worker
    const total = spec.paths;
    const results: PathSummary[] = new Array<PathSummary>(total);
    let done = 0;
    if (this.threads === 1) {
      for (let p = 0; p < total; p++) {
        results[p] = simulatePath(spec, p).summary;
        options.onProgress?.(++done, total);
      }
      return results;
    }
    this.start();
    const size = chunkSize(total, this.threads);
    const chunks: number[][] = [];
    for (let p = 0; p < total; p += size) {
      chunks.push(Array.from({ length: Math.min(size, total - p) }, (_, i) => p + i));
    }
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let inFlight = 0;
      let failed = false;
      const cleanups: Array<() => void> = [];
      const finish = (error?: Error) => {
        for (const c of cleanups) c();
        if (error) reject(error);
        else resolve();
      };
      const feed = (worker: Worker) => {
        if (failed) return;
        const paths = chunks[next++];
        if (!paths) {
          if (inFlight === 0) finish();
          return;
        }
        inFlight++;
        worker.postMessage({ job: this.nextJob++, spec, paths } satisfies WorkerJob);
      };
      for (const worker of this.workers) {
        const onMessage = (reply: WorkerReply) => {
          inFlight--;
          if (reply.kind === 'error') {
            failed = true;
            finish(new Error(`backtest worker failed: ${reply.message}`));
            return;
          }
          for (const s of reply.summaries) results[s.path] = s;
          done += reply.summaries.length;
          options.onProgress?.(done, total);
          feed(worker);
        };
        const onError = (error: Error) => {
          failed = true;
          finish(error);
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        cleanups.push(() => {
          worker.off('message', onMessage);
          worker.off('error', onError);
        });
      }
      for (const worker of this.workers) feed(worker);
    });
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }
}

/** One spec on a pool of its own. */
export async function runBacktest(spec: BacktestSpec, options: RunOptions = {}): Promise<PathSummary[]> {
  const pool = new BacktestPool(Math.min(options.threads ?? defaultThreads(), Math.max(1, spec.paths)));
  try {
    return await pool.run(spec, options);
  } finally {
    await pool.close();
  }
}

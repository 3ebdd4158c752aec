import { parentPort } from 'node:worker_threads';
import { simulatePath } from './engine';
import type { BacktestSpec, PathSummary } from './types';

/*
 * A worker thread of the backtest pool (backtest/run.ts): it simulates the paths it is handed
 * and sends each summary back. Paths are seeded by their index, so which worker runs which path
 * changes nothing.
 */

export interface WorkerJob {
  job: number;
  spec: BacktestSpec;
  paths: number[];
}
export type WorkerReply =
  { job: number; kind: 'paths'; summaries: PathSummary[] } | { job: number; kind: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('backtest/worker.ts runs as a worker thread started by backtest/run.ts');

port.on('message', ({ job, spec, paths }: WorkerJob) => {
  try {
    const summaries = paths.map((p) => simulatePath(spec, p).summary);
    port.postMessage({ job, kind: 'paths', summaries } satisfies WorkerReply);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    port.postMessage({ job, kind: 'error', message } satisfies WorkerReply);
  }
});

import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { isInterrupted, trackChild, untrackChild } from './children';
import { spawnWorker, type WorkerProcess, type WorkerProcessEnv } from '../devenv/worker-process';

/*
 * The market-making worker processes of a chaos run. Each runs the deployable worker
 * (worker/main.ts) as a child process with an identity of its own, so the chaos driver can kill the
 * one holding the sessions and see a new one polling. A process that exits without being killed is
 * a finding: it is recorded (with its last output) and replaced, so the run goes on.
 */

export interface UnexpectedExit {
  identity: string;
  code: number | null;
  signal: string | null;
  atMs: number;
  outputTail: string;
}

export interface FleetWorker {
  identity: string;
  process: WorkerProcess;
  startedAtMs: number;
}

export class WorkerFleet {
  private readonly live = new Map<string, FleetWorker>();
  private readonly killing = new Set<string>();
  private started = 0;
  get startedCount(): number {
    return this.started;
  }
  private closed = false;
  readonly unexpectedExits: UnexpectedExit[] = [];
  kills = 0;

  constructor(
    private readonly env: Omit<WorkerProcessEnv, 'WORKER_IDENTITY'>,
    private readonly temporalClient: Client,
    private readonly log: (l: string) => void,
  ) {}

  alive(): FleetWorker[] {
    return [...this.live.values()];
  }

  start(): FleetWorker {
    if (isInterrupted()) throw new Error('the chaos run was interrupted: no worker is started');
    const identity = `chaos-worker-${++this.started}`;
    const proc = spawnWorker({ ...this.env, WORKER_IDENTITY: identity });
    const w: FleetWorker = { identity, process: proc, startedAtMs: Date.now() };
    this.live.set(identity, w);
    trackChild(proc.child.pid);
    void proc.exited.then(({ code, signal }) => {
      untrackChild(proc.child.pid);
      this.live.delete(identity);
      if (this.killing.delete(identity) || this.closed || isInterrupted()) return;
      this.unexpectedExits.push({
        identity,
        code,
        signal,
        atMs: Date.now(),
        outputTail: proc.output().slice(-4000),
      });
      this.log(
        `[chaos] worker ${identity} exited by itself (code ${code}, signal ${signal}); starting a replacement`,
      );
      this.start();
    });
    return w;
  }

  /** SIGKILL, no goodbye: what a crash or an OOM kill does. */
  async kill(w: FleetWorker): Promise<void> {
    this.killing.add(w.identity);
    this.kills++;
    await w.process.kill();
  }

  /** Resolves once `identity` polls the run's activity task queue (where quoting sessions are dispatched). */
  async waitPolling(identity: string, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    const deadline = t0 + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      if (!this.live.has(identity)) throw new Error(`worker ${identity} exited before it polled`);
      try {
        const r = await this.temporalClient.workflowService.describeTaskQueue({
          namespace: this.temporalClient.options.namespace,
          taskQueue: {
            name: this.env.TASK_QUEUE,
            kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
          },
          taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        if (r.pollers?.some((p) => p.identity === identity)) return Date.now() - t0;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `worker ${identity} did not poll ${this.env.TASK_QUEUE} within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`,
    );
  }

  /** Kills every worker still running (the run is over: nothing is left for them to drain). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.alive().map((w) => w.process.kill()));
  }
}

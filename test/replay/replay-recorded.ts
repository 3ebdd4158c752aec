import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import type { RecordedHistory } from '../histories/store';

export interface ReplayOutcome {
  history: RecordedHistory;
  /** Undefined when the history replayed cleanly. */
  error?: Error;
}

/**
 * The workflow code a worker of this checkout would run, optionally with workflow interceptor
 * modules baked in (the guard's own test uses them to stand for a changed workflow).
 */
export function bundleWorkflows(workflowInterceptorModules: string[] = []): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules,
    logger: {
      log: () => {},
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: () => {},
    },
  });
}

/** Replays each history against the bundle, one at a time, pairing each result with its file. */
export async function replayRecorded(
  bundle: WorkflowBundle,
  histories: RecordedHistory[],
  replayName: string,
): Promise<ReplayOutcome[]> {
  const out: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories(
    { workflowBundle: bundle, replayName },
    histories.map((h) => ({ workflowId: h.workflowId, history: h.history })),
  );
  // The SDK replays the iterable in order and yields one result per history.
  for await (const r of results) {
    const history = histories[out.length]!;
    out.push({ history, ...(r.error ? { error: r.error } : {}) });
  }
  if (out.length !== histories.length) {
    throw new Error(
      `replayed ${out.length} of ${histories.length} histories: the replay worker stopped early`,
    );
  }
  return out;
}

/** One line per failed history: its file, the error's kind and the SDK's own explanation. */
export function describeFailures(outcomes: ReplayOutcome[]): string[] {
  return outcomes
    .filter((o) => o.error)
    .map(
      (o) =>
        `${o.history.path} (${o.history.scenario}, run ${o.history.run}): ${o.error!.name}: ${o.error!.message}`,
    );
}

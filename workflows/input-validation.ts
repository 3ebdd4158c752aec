import { log, setDefaultSignalHandler, workflowInfo } from '@temporalio/workflow';
import { checkStartInput, parseSignalReason, type StartInputSpec } from './input-rules';

/*
 * Start inputs and signals arrive from anyone who can reach the workflow (the `temporal` CLI, the
 * Web UI, a script). A bad start input fails the workflow at once with a non-retryable failure that
 * names the field, never a workflow task that retries forever, and before anything is written.
 */

export { asFailure, invalidInput, isPlainObject } from './input-rules';

/** The start input checked against its spec, for the running workflow (see input-rules.ts). */
export function validateStartInput<T>(input: unknown, spec: StartInputSpec): T {
  const info = workflowInfo();
  return checkStartInput<T>(input, spec, {
    workflowId: info.workflowId,
    continued: Boolean(info.continuedFromExecutionRunId),
  });
}

/** An activity failure whose cause says the pool does not exist. */
export function isNotFound(err: unknown): boolean {
  // ActivityFailure -> ApplicationFailure('NotFound') -> the activity's own NotFoundError.
  for (
    let e = err as { cause?: unknown; type?: string } | null | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (e.type === 'NotFound' || e.type === 'NotFoundError') return true;
    e = e.cause as typeof e;
  }
  return false;
}

const MAX_REJECTED = 20;

export interface SignalRefusals {
  /** The last 20 refused signals: an unknown name, or `name: what was wrong with its payload`. */
  rejected: string[];
  /** Records a refused signal (the status query shows it, the worker logs it). */
  refuse(entry: string): void;
}

/**
 * A signal cannot answer its sender, so a refused one is remembered (the last 20, shown by the
 * status query and logged) instead of vanishing: a typo in a signal name, or a payload that is
 * not what the signal takes, is visible and changes nothing.
 */
export function recordRefusedSignals(poolId: string): SignalRefusals {
  const rejected: string[] = [];
  const refuse = (entry: string) => {
    rejected.push(entry.slice(0, 300));
    if (rejected.length > MAX_REJECTED) rejected.shift();
    log.warn('signal refused', { poolId, signal: entry });
  };
  setDefaultSignalHandler((name) => refuse(String(name).slice(0, 100)));
  return { rejected, refuse };
}

/** The reason a pause or stop signal carries (see parseSignalReason); undefined when it is refused. */
export function signalReason(name: string, payload: unknown, refusals: SignalRefusals): string | undefined {
  try {
    return parseSignalReason(name, payload);
  } catch (err) {
    refusals.refuse(`${name}: ${(err as Error).message}`);
    return undefined;
  }
}

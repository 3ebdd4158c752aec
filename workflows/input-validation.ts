import { ApplicationFailure, log, setDefaultSignalHandler, workflowInfo } from '@temporalio/workflow';

/*
 * Start inputs arrive from anyone who can start a workflow (the `temporal` CLI, the Web UI, a
 * script). A bad one fails the workflow at once with a non-retryable failure that names the field,
 * never a workflow task that retries forever, and before anything is written.
 */

const POOL_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function invalidInput(field: string, message: string): never {
  throw ApplicationFailure.create({
    type: 'ValidationError',
    nonRetryable: true,
    message,
    details: [{ field }],
  });
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The input object with a valid poolId, integers within bounds, and carried state only from continueAsNew. */
export function validateStartInput<T>(
  input: unknown,
  integers: ReadonlyArray<readonly [field: string, min: number, max: number]>,
): T {
  if (!isPlainObject(input)) {
    invalidInput(
      'input',
      `the input must be a JSON object such as {"poolId":"eth-usdc"}, got ${JSON.stringify(input)}`,
    );
  }
  if (typeof input.poolId !== 'string' || !POOL_ID.test(input.poolId)) {
    invalidInput(
      'poolId',
      `poolId must be 1-64 letters, digits, _ . - starting with a letter or digit, got ${JSON.stringify(input.poolId)}`,
    );
  }
  for (const [field, min, max] of integers) {
    const value = input[field];
    if (
      value !== undefined &&
      (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    ) {
      invalidInput(field, `${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
  }
  // Carried state is the previous run's, handed over by continueAsNew: a caller cannot supply it.
  if (input.carried !== undefined && !workflowInfo().continuedFromExecutionRunId) {
    invalidInput(
      'carried',
      'carried is set by the workflow itself when it continues as new; leave it out of a start input',
    );
  }
  return input as T;
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

/**
 * Signals the workflow does not define are refused and remembered (the last 20, shown by the
 * status query and logged), instead of vanishing: a typo in an operator's signal name is visible.
 */
export function recordUnknownSignals(poolId: string): string[] {
  const rejected: string[] = [];
  setDefaultSignalHandler((name) => {
    rejected.push(String(name).slice(0, 100));
    if (rejected.length > 20) rejected.shift();
    log.warn('unknown signal refused', { poolId, signal: name });
  });
  return rejected;
}

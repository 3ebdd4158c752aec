import { ApplicationFailure } from '@temporalio/common';
import { DomainValidationError, describeValue } from '../domain/errors';
import { POOL_ID, parseReason } from '../domain/text';
import { marketMakerWorkflowId, spreadSagaWorkflowId } from './ids';

/*
 * What the workflows accept from outside: the start input of each, and the payload of the pause and
 * stop signals. Pure (no workflow APIs), so the client library checks its options against the same
 * rules before it sends anything, and the rules are unit-tested on their own.
 */

export interface StartInputSpec {
  /** The workflow type, for messages. */
  workflow: string;
  /** Optional integer fields with their inclusive bounds. */
  integers: ReadonlyArray<readonly [field: string, min: number, max: number]>;
  /** The only workflow id a run for this pool may have: one market maker and one saga per pool. */
  workflowIdFor: (poolId: string) => string;
}

export const MARKET_MAKER_START: StartInputSpec = {
  workflow: 'MarketMakerWorkflow',
  integers: [
    ['refreshIntervalMs', 100, 3_600_000],
    ['maxSessionsPerRun', 1, 100_000],
    ['heartbeatTimeoutMs', 1000, 600_000],
    ['maxSessionMs', 10_000, 24 * 3600_000],
  ],
  workflowIdFor: marketMakerWorkflowId,
};

export const SPREAD_SAGA_START: StartInputSpec = {
  workflow: 'SpreadManagementSaga',
  integers: [
    // Bounded: a catch-up of 0 ms would spin, writing history as fast as the server takes it.
    ['catchUpIntervalMs', 100, 86_400_000],
    ['coalesceMs', 0, 60_000],
    ['maxIterationsPerRun', 1, 100_000],
  ],
  workflowIdFor: spreadSagaWorkflowId,
};

export function invalidInput(field: string, message: string): never {
  throw ApplicationFailure.create({
    type: 'ValidationError',
    nonRetryable: true,
    message,
    details: [{ field }],
  });
}

/** A domain refusal reaches the caller as that failure, naming the field; anything else is rethrown. */
export function asFailure(err: unknown): never {
  if (err instanceof DomainValidationError) invalidInput(err.field, err.message);
  throw err;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What is wrong with an optional integer field, or undefined when it is absent or within bounds. */
export function integerFieldProblem(
  field: string,
  value: unknown,
  min: number,
  max: number,
): string | undefined {
  if (
    value !== undefined &&
    (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
  ) {
    return `${field} must be an integer from ${min} to ${max}, got ${describeValue(value)}`;
  }
  return undefined;
}

/**
 * The input object with a valid poolId, no unknown field, integers within bounds, carried state
 * only from continueAsNew, and run under the one workflow id its pool allows. A second market
 * maker on a pool under another id would share the pool's fence with the real one (its stop would
 * cancel the real one's quotes): it is refused before it reads or writes anything.
 */
export function checkStartInput<T>(
  input: unknown,
  spec: StartInputSpec,
  run: { workflowId: string; continued: boolean },
): T {
  if (!isPlainObject(input)) {
    invalidInput(
      'input',
      `the input must be a JSON object such as {"poolId":"eth-usdc"}, got ${describeValue(input)}`,
    );
  }
  if (typeof input.poolId !== 'string' || !POOL_ID.test(input.poolId)) {
    invalidInput(
      'poolId',
      `poolId must be 1-64 letters, digits, _ . - starting with a letter or digit, got ${describeValue(input.poolId)}`,
    );
  }
  const known = ['poolId', 'carried', ...spec.integers.map(([f]) => f)];
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      invalidInput(
        key,
        `${JSON.stringify(key)} is not a field of the ${spec.workflow} input; known fields: ${known.join(', ')}`,
      );
    }
  }
  for (const [field, min, max] of spec.integers) {
    const problem = integerFieldProblem(field, input[field], min, max);
    if (problem) invalidInput(field, problem);
  }
  // Carried state is the previous run's, handed over by continueAsNew: a caller cannot supply it.
  if (input.carried !== undefined && !run.continued) {
    invalidInput(
      'carried',
      'carried is set by the workflow itself when it continues as new; leave it out of a start input',
    );
  }
  const expected = spec.workflowIdFor(input.poolId);
  if (run.workflowId !== expected) {
    invalidInput(
      'workflowId',
      `workflowId must be "${expected}" for pool "${input.poolId}" (one ${spec.workflow} per pool), got ${describeValue(run.workflowId)}; start it under that id (the client's startPool does)`,
    );
  }
  return input as T;
}

/**
 * The reason a pause or stop signal carries: no payload (or `{}`) means "operator"; anything else
 * must be `{ "reason": <a reason> }` (see parseReason). Throws a DomainValidationError naming the field.
 */
export function parseSignalReason(signal: string, payload: unknown): string {
  if (payload === undefined || payload === null) return 'operator';
  if (!isPlainObject(payload)) {
    throw new DomainValidationError(
      'payload',
      `payload of ${signal} must be {"reason": "..."} or nothing, got ${describeValue(payload)}`,
    );
  }
  for (const key of Object.keys(payload)) {
    if (key !== 'reason') {
      throw new DomainValidationError(
        key,
        `${JSON.stringify(key)} is not a field of ${signal}; it takes only reason`,
      );
    }
  }
  return payload.reason === undefined ? 'operator' : parseReason(payload.reason, 'reason');
}

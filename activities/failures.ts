import { ApplicationFailure } from '@temporalio/common';
import { DomainValidationError } from '../domain/errors';
import { checkStorable } from '../domain/text';
import { EventValidationError } from '../domain/events';
import { ConflictError, NotFoundError } from '../db/errors';
import { ConcurrencyError, IdempotencyConflictError } from '../db/event-store';
import { isTransientDbError } from '../db/connection';

/**
 * Bad input, unknown entities and conflicting requests fail the activity at once (retrying cannot
 * fix them); lost connections, serialization failures and write races are left to Temporal's retry.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ConcurrencyError || isTransientDbError(err)) return err;
  const nonRetryable: Array<[new (...a: never[]) => Error, string]> = [
    [DomainValidationError, 'ValidationError'],
    [EventValidationError, 'ValidationError'],
    [NotFoundError, 'NotFound'],
    [ConflictError, 'Conflict'],
    [IdempotencyConflictError, 'Conflict'],
  ];
  for (const [cls, type] of nonRetryable) {
    if (err instanceof cls) {
      const details = err instanceof DomainValidationError ? [{ field: err.field }] : [];
      return ApplicationFailure.create({
        message: err.message,
        type,
        nonRetryable: true,
        details,
        cause: err,
      });
    }
  }
  const code = (err as { code?: string } | null)?.code;
  // Integrity violations from Postgres (22xxx data, 23xxx constraints) are input problems too.
  if (code && (code.startsWith('22') || code.startsWith('23'))) {
    return ApplicationFailure.create({
      message: (err as Error).message,
      type: 'ValidationError',
      nonRetryable: true,
    });
  }
  return err;
}

/**
 * Wraps every function of an activity object so failures are classified the same way everywhere,
 * and refuses an input holding text Postgres cannot store (a NUL, half a surrogate pair) with a
 * failure naming the field, instead of a raw encoding error from the database.
 */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        checkStorable(args[0], 'input');
        return await fn(...args);
      } catch (err) {
        throw toActivityFailure(err);
      }
    };
  }
  return wrapped as T;
}

import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const NON_RETRYABLE = ['ValidationError', 'NotFound', 'Conflict'];

/**
 * Reads and pure computation run as local activities: no extra round trip through the server
 * per cycle, and their results still land in history so replays are deterministic.
 * The quoting loop is its own retry, so per-cycle attempts stay few.
 */
export const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 seconds',
  retry: {
    initialInterval: '100 ms',
    maximumInterval: '1 second',
    maximumAttempts: 3,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});

/** Writes that change the book or the pool. */
export const writes = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 ms',
    maximumInterval: '2 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});

/** Cleanup must finish even when the database blips: retried until it succeeds. */
export const cleanup = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 ms',
    maximumInterval: '5 seconds',
    nonRetryableErrorTypes: ['ValidationError', 'NotFound'],
  },
});

export function describeError(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string };
  return e?.cause?.message ?? e?.message ?? String(err);
}

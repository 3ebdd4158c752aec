/* Small helpers for a run that waits on many things, none of which may hang it. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** `work`, or a rejection naming `what` once `ms` have passed (the work itself is left to finish). */
export async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

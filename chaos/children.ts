/*
 * The processes a chaos run started (worker processes, the Temporal server), so an interrupted run
 * can kill them on its way out instead of leaving them running.
 */

const pids = new Set<number>();
let interrupted = false;

/** True once the run was interrupted: nothing may be started any more. */
export function isInterrupted(): boolean {
  return interrupted;
}

export function trackChild(pid: number | undefined): void {
  if (pid !== undefined) pids.add(pid);
}

export function untrackChild(pid: number | undefined): void {
  if (pid !== undefined) pids.delete(pid);
}

/** SIGKILL to every child still tracked; synchronous, for a signal handler. */
export function killTrackedChildren(): number {
  interrupted = true;
  let n = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      n++;
    } catch {
      // already gone
    }
  }
  pids.clear();
  return n;
}

import { parsePort } from '../dashboard/params';
import { startDashboard, type RunningDashboard } from '../dashboard/server';
import type { LocalStack } from '../devenv/local-stack';

/*
 * The dashboard a run serves beside its pools (as cli/session.ts does for the ETH/USDC demo): from
 * the start, read-only unless DASHBOARD_TOKEN turns its pause/resume buttons on. It only watches:
 * a dashboard that cannot start, or its warnings, are reported at the end, never counted as the
 * run's errors.
 */
export interface RunDashboard {
  url: string | null;
  close(): Promise<void>;
}

export async function serveRunDashboard(stack: LocalStack): Promise<RunDashboard> {
  const notes: string[] = [];
  const dashboard: RunningDashboard | undefined = await startDashboard({
    databaseUrl: stack.dashboardUrl,
    client: stack.client,
    namespace: stack.temporal.namespace,
    temporalUiUrl: stack.temporal.uiUrl,
    host: process.env.DASHBOARD_HOST || '127.0.0.1',
    port: parsePort(process.env.DASHBOARD_PORT),
    operatorToken: process.env.DASHBOARD_TOKEN || undefined,
    resultsDir: process.env.BACKTEST_RESULTS_DIR || 'backtest-results',
    log: (line) => notes.push(line),
  }).catch((err: Error) => {
    notes.push(`could not start: ${err.message}`);
    return undefined;
  });
  return {
    url: dashboard?.url ?? null,
    close: async () => {
      await dashboard?.close().catch(() => {});
      if (notes.length) {
        process.stderr.write(
          `Dashboard warnings:\n${[...new Set(notes)]
            .slice(0, 20)
            .map((l) => `  - ${l.split('\n')[0]}`)
            .join('\n')}\n`,
        );
      }
    },
  };
}

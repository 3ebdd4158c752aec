/**
 * Starts the local Temporal dev server from temporal-dev.yaml and keeps it in the foreground.
 *   npm run temporal:dev              start (or say which server already runs)
 *   npm run temporal:dev -- --ensure-cli   only find or build the CLI, then exit
 */
import { NO_CLI_MESSAGE, resolveTemporalCli } from '../devenv/temporal-cli';
import { startTemporalDevServer } from '../devenv/temporal-dev-server';

const log = (l: string) => process.stderr.write(`${l}\n`);

if (process.argv.includes('--ensure-cli')) {
  const started = Date.now();
  const cli = await resolveTemporalCli(log);
  if (!cli) {
    log(NO_CLI_MESSAGE);
    process.exit(1);
  }
  log(`[temporal-cli] ${cli.path} (${cli.source}) in ${Date.now() - started} ms`);
} else {
  const server = await startTemporalDevServer({ reuse: true, log });
  log(
    server.owned
      ? `Temporal dev server ready at ${server.address} (namespace ${server.namespace}); Web UI ${server.uiUrl}. Ctrl-C stops it.`
      : `A Temporal server already listens at ${server.address}; nothing to start. Web UI ${server.uiUrl}.`,
  );
  if (server.owned) {
    const stop = () => void server.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    await new Promise(() => {});
  }
}

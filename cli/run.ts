import { spawn } from 'node:child_process';
import { HELP, parseRunArgs, UsageError, type RunOptions } from './options';

/*
 * `npm start` (= `tsx cli/run.ts`): a live market-making run on embedded defaults. This entry point
 * parses the options and runs the session (cli/session.ts).
 *
 * In an interactive terminal, Ctrl-C is sent to the whole foreground process group, which includes
 * the embedded Postgres this command may start: Postgres would shut down at once and the graceful
 * stop (cancel every resting order, record why) could not reach it. So on a terminal the session
 * runs in a child process of its own process group, and this process relays Ctrl-C to it.
 */

const DETACHED_ENV = 'LPMM_RUN_SESSION';

function relayToDetachedSession(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: 'inherit',
    env: { ...process.env, [DETACHED_ENV]: '1' },
  });
  let lastRelayed = 0;
  const relay = (sig: NodeJS.Signals) => {
    // npm and tsx may relay the same Ctrl-C again: pass one on per press.
    if (Date.now() - lastRelayed < 500) return;
    lastRelayed = Date.now();
    if (child.exitCode === null) child.kill(sig);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, relay);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`error: could not start the run session: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 2 : 1)));
  });
}

async function main(): Promise<number> {
  let opts: RunOptions | 'help';
  try {
    opts = parseRunArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (process.stdin.isTTY && !process.env[DETACHED_ENV] && process.platform !== 'win32')
    return relayToDetachedSession();
  const { runSession } = await import('./session');
  return runSession(opts);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as Error;
    const detail = process.env.LPMM_DEBUG ? (e?.stack ?? String(err)) : (e?.message ?? String(err));
    process.stderr.write(
      `error: ${detail}\n${e instanceof UsageError || process.env.LPMM_DEBUG ? '' : '(set LPMM_DEBUG=1 for the stack trace)\n'}`,
    );
    process.exit(1);
  },
);

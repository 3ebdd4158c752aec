import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { killTrackedChildren } from '../chaos/children';
import {
  CHAOS_HELP,
  checkLocalTargets,
  parseChaosArgs,
  UsageError,
  type ChaosOptions,
} from '../chaos/options';
import { formatSummary } from '../chaos/report';
import { PROJECT_ROOT } from '../devenv/temporal-dev-server';

/*
 * `npm run chaos`: faults against a few live pools, then the invariants (chaos/run.ts). Prints a
 * summary and writes the whole result as JSON; exits 1 when an invariant failed.
 */

function resolveOut(opts: ChaosOptions, startedAt: Date): string {
  const file = opts.out
    ? resolve(opts.out)
    : join(
        PROJECT_ROOT,
        'chaos-results',
        `chaos-${opts.seed}-${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}.json`,
      );
  let isDir = false;
  try {
    isDir = statSync(file).isDirectory();
  } catch {
    // does not exist yet: fine
  }
  if (isDir)
    throw new UsageError(
      `--out ${opts.out} is a directory; give a file path such as ${join(opts.out!, 'chaos.json')}`,
    );
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (err) {
    throw new UsageError(`--out: cannot create the folder ${dirname(file)} (${(err as Error).message})`);
  }
  return file;
}

async function main(): Promise<number> {
  let opts: ChaosOptions | 'help';
  let databaseUrl: string | undefined;
  let out: string;
  const notes: string[] = [];
  try {
    opts = parseChaosArgs(process.argv.slice(2));
    if (opts === 'help') {
      process.stdout.write(`${CHAOS_HELP}\n`);
      return 0;
    }
    const targets = checkLocalTargets(process.env);
    databaseUrl = targets.databaseUrl;
    notes.push(...targets.notes);
    out = resolveOut(opts, new Date());
    // Fail on an unwritable --out now, not after ten minutes of chaos.
    writeFileSync(out, '{"running": true}\n');
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith?.('E')) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
  // Ctrl-C: the worker processes and the Temporal server go at once; an embedded Postgres is shut
  // down by its own exit hook (which then exits); without one, the process exits a moment later.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      const n = killTrackedChildren();
      process.stderr.write(
        `\n${sig}: chaos run interrupted; killed ${n} child process(es). No invariants were checked.\n`,
      );
      setTimeout(() => process.exit(130), 5000);
    });
  }
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  const { runChaos } = await import('../chaos/run');
  const command = `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim();
  const result = await runChaos({
    ...opts,
    databaseUrl,
    command,
    log: (l) => process.stdout.write(`${l}\n`),
  });
  result.notes.unshift(...notes);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\n${formatSummary(result)}\nJSON result: ${out}\n`);
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    killTrackedChildren();
    const e = err as Error;
    process.stderr.write(
      `error: ${process.env.LPMM_DEBUG ? (e?.stack ?? String(err)) : (e?.message ?? String(err))}\n`,
    );
    process.exit(1);
  },
);

import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { UsageError } from '../cli/options';

/*
 * The chaos command's flags and its refusal of anything that is not on this machine: it kills
 * processes, restarts a Temporal server and terminates database connections, so it must never be
 * pointed at a shared or production service by a leftover environment variable.
 */

export { UsageError };

export const CHAOS_HELP = `Usage: npm run chaos -- [options]     (or: npx tsx cli/chaos.ts [options])

Drives a few funded pools with simulated takers while injecting faults on a seeded random
schedule: SIGKILL of the worker process (restarted at once), a second worker started and the first
killed, bursts of terminated database connections, a Temporal server restart, and pause/resume,
config and risk-limit updates through the client. Then stops every pool and checks the invariants
(client order ids, events, stream versions, asset conservation, fills and their events, the saga's
checkpoint, resting orders, workflow tasks) and the recovery time after each fault.

It runs its own Temporal dev server (history in a temporary file, so a restart keeps it) and its
own database, set up with the project's roles: on DATABASE_URL's cluster when that is set (an
administrator's URL: CREATEDB, CREATEROLE, and the right to terminate other sessions; the database
is dropped at the end, or kept when an invariant failed), otherwise on a throw-away embedded
Postgres. Only local addresses are accepted; Ctrl-C kills what the run started.

Options:
  --duration <seconds>   how long faults are injected (default 600, 30 to 3600); the first round
                         injects every fault kind once even when that takes longer
  --pools <N>            number of pools (default 3, 1 to 10)
  --seed <n>             seed of the fault schedule, prices and takers (default 1)
  --out <file>           where the JSON result goes (default chaos-results/chaos-<seed>-<time>.json)
  -h, --help             this help

Exit status: 0 when every invariant held, 1 when one failed, 2 on a usage error.`;

export interface ChaosOptions {
  durationSeconds: number;
  pools: number;
  seed: number;
  /** JSON result file; undefined: the default path, chosen when the run starts. */
  out?: string;
}

function intOption(name: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw.trim()))
    throw new UsageError(
      `--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  const v = Number(raw);
  if (v < min || v > max) throw new UsageError(`--${name} must be from ${min} to ${max}, got ${v}`);
  return v;
}

export function parseChaosArgs(argv: string[]): ChaosOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        pools: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See --help.`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const out = v.out;
  if (out !== undefined && (out.trim() === '' || out.endsWith('/') || out.includes('\0')))
    throw new UsageError(
      `--out must be a file path for the JSON result, e.g. chaos.json; got ${JSON.stringify(out)}`,
    );
  return {
    durationSeconds: intOption('duration', v.duration, 600, 30, 3600),
    pools: intOption('pools', v.pools, 3, 1, 10),
    seed: intOption('seed', v.seed, 1, 0, 2 ** 32 - 1),
    ...(out !== undefined ? { out } : {}),
  };
}

/** True for localhost, 127.0.0.0/8 and ::1 (the name is not resolved: a name is only local by spelling). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * The host the pg driver will connect to for this connection string (its own parser, PGHOST and
 * all), or undefined for a Unix socket, which is local by construction.
 */
function postgresHost(url: string): string | undefined {
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new UsageError(
      `DATABASE_URL must be a postgres:// URL such as postgres://user:pass@127.0.0.1:5432/db`,
    );
  let host: string | undefined;
  try {
    host = new pg.Client({ connectionString: url }).host;
  } catch (err) {
    throw new UsageError(`DATABASE_URL cannot be parsed (${(err as Error).message})`);
  }
  return !host || host.startsWith('/') ? undefined : host;
}

export interface LocalTargets {
  /** DATABASE_URL when set (checked to be local); otherwise the embedded Postgres is used. */
  databaseUrl?: string;
  /** Notes to print: what was set but is not used. */
  notes: string[];
}

/** Refuses non-loopback TEMPORAL_ADDRESS and DATABASE_URL hosts, naming the variable and the host. */
export function checkLocalTargets(env: NodeJS.ProcessEnv): LocalTargets {
  const notes: string[] = [];
  const temporal = env.TEMPORAL_ADDRESS?.trim();
  if (temporal) {
    const idx = temporal.lastIndexOf(':');
    const host = idx > 0 ? temporal.slice(0, idx) : temporal;
    if (!isLoopbackHost(host)) {
      throw new UsageError(
        `TEMPORAL_ADDRESS=${temporal} is not a local address: the chaos command restarts servers and ` +
          'kills processes, so it only runs on this machine. Unset TEMPORAL_ADDRESS (it starts its own dev server).',
      );
    }
    notes.push(
      `TEMPORAL_ADDRESS=${temporal} is not used: the chaos command runs (and restarts) its own Temporal dev server.`,
    );
  }
  const url = env.DATABASE_URL?.trim();
  if (!url) return { notes };
  const host = postgresHost(url);
  if (host !== undefined && !isLoopbackHost(host)) {
    throw new UsageError(
      `DATABASE_URL points at ${host}, which is not a local address: the chaos command terminates database ` +
        'connections, so it only runs against Postgres on this machine (127.0.0.1, ::1, localhost or a Unix socket). ' +
        'Unset DATABASE_URL to use a throw-away embedded Postgres.',
    );
  }
  return { databaseUrl: url, notes };
}

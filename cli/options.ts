import { parseArgs } from 'node:util';
import type { StrategyKind } from '../domain/config';

/* The run command's options: parsed with node:util parseArgs, each checked with a clear message. */

export type FeedSpec =
  { kind: 'sim' } | { kind: 'csv'; path: string } | { kind: 'http'; url: string; pricePath: string };

export class UsageError extends Error {
  override name = 'UsageError';
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function parseFeedSpec(raw: string): FeedSpec {
  if (raw === 'sim') return { kind: 'sim' };
  if (raw.length > 4096 || CONTROL.test(raw)) {
    throw new UsageError(
      `--feed must be at most 4096 characters without control characters, got ${raw.length} characters`,
    );
  }
  if (raw.startsWith('csv:')) {
    const path = raw.slice(4);
    if (!path) throw new UsageError('--feed csv:<path> needs a file path, e.g. --feed csv:prices.csv');
    return { kind: 'csv', path };
  }
  if (raw.startsWith('http:') || raw.startsWith('https:')) {
    const spec = raw.startsWith('http:') && !raw.startsWith('http://') ? raw.slice(5) : raw;
    const hash = spec.lastIndexOf('#');
    if (hash < 0 || hash === spec.length - 1) {
      throw new UsageError(
        `--feed http:<url>#<json.path> needs the JSON path of the price after '#', e.g. --feed 'http:https://api.example.com/ticker#data.price'; got ${JSON.stringify(raw)}`,
      );
    }
    const url = spec.slice(0, hash);
    const pricePath = spec.slice(hash + 1);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new UsageError(
        `--feed http:<url>#<json.path> needs an http:// or https:// URL before '#', got ${JSON.stringify(url)}`,
      );
    }
    if (pricePath.split('.').some((segment) => segment === '')) {
      throw new UsageError(
        `--feed http:<url>#<json.path>: the JSON path ${JSON.stringify(pricePath)} has an empty segment; write it like data.price or result.0.last`,
      );
    }
    return { kind: 'http', url, pricePath };
  }
  throw new UsageError(
    `--feed must be sim, csv:<path> or http:<url>#<json.path>, got ${JSON.stringify(raw)}`,
  );
}

export const STRATEGIES = ['rule_based', 'avellaneda_stoikov', 'glft'] as const;

export const HELP = `Usage: npm start -- [options]     (or: npx tsx cli/run.ts [options])

A live market-making run: demo ETH/USDC pools quoted by Temporal workflows, a price feed, and
simulated takers trading against the quotes. Progress once a second; a report at the end.

Options:
  --duration <seconds>   how long to run (default 120; 0 = until Ctrl-C)
  --pools <N>            number of demo pools, eth-usdc-1 ... eth-usdc-N (default 1); pool 2 and 3
                         get less liquidity (TVL ~40k and ~8k) so the saga's TVL tiers show
  --feed <spec>          sim (default): seeded GBM around 2000 USDC, 3%/h with scheduled spikes
                         csv:<path>: replay "timestamp,price" rows, one per second, looping
                         http:<url>#<json.path>: poll a JSON ticker, e.g.
                           'http:https://api.exchange.example/ticker?pair=ETHUSDC#result.price'
                         csv and http runs use their own pools (eth-usdc-csv-1, eth-usdc-http-1)
  --seed <n>             seed of the simulated prices and takers (default 42)
  --refresh-ms <ms>      market maker refresh interval (default 1000)
  --strategy <kind>      rule_based (default), avellaneda_stoikov or glft
  -h, --help             this help

Environment: TEMPORAL_ADDRESS (use that server instead of the local dev server), DATABASE_URL
(use that Postgres instead of the embedded one in .data/postgres), TASK_QUEUE (default market-making).
The run serves the dashboard and prints its address: DASHBOARD_HOST (default 127.0.0.1),
DASHBOARD_PORT (default: a free port), DASHBOARD_TOKEN (turns its pause/resume buttons on).
Ctrl-C stops the run gracefully (a second Ctrl-C exits at once).`;

export interface RunOptions {
  durationSeconds: number;
  pools: number;
  feed: FeedSpec;
  seed: number;
  refreshMs: number;
  strategy: StrategyKind;
}

function intOption(name: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  if (!/^-?\d+$/.test(raw.trim()))
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const v = Number(raw);
  if (v < min || v > max) throw new UsageError(`--${name} must be from ${min} to ${max}, got ${v}`);
  return v;
}

export function parseRunArgs(argv: string[]): RunOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        pools: { type: 'string' },
        feed: { type: 'string' },
        seed: { type: 'string' },
        'refresh-ms': { type: 'string' },
        strategy: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See --help.`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const strategy = v.strategy ?? 'rule_based';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new UsageError(
      `--strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`,
    );
  }
  return {
    durationSeconds: intOption('duration', v.duration, 120, 0, 7 * 24 * 3600),
    pools: intOption('pools', v.pools, 1, 1, 50),
    feed: parseFeedSpec(v.feed ?? 'sim'),
    seed: intOption('seed', v.seed, 42, 0, 2 ** 32 - 1),
    refreshMs: intOption('refresh-ms', v['refresh-ms'], 1000, 100, 3_600_000),
    strategy: strategy as StrategyKind,
  };
}

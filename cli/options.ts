import { parseArgs } from 'node:util';
import type { StrategyKind } from '../domain/config';
import { LEG_CORRELATIONS, DEFAULT_CORRELATION } from '../domain/desk';
import { examplePairRegistry, parsePairList } from '../domain/pairs';

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

const KNOWN_PAIRS = examplePairRegistry()
  .pairs.map((p) => p.symbol)
  .join(', ');
const DEFAULT_CORRELATIONS_TEXT = Object.entries(LEG_CORRELATIONS)
  .map(([k, v]) => `${k.replace('|', '/')} ${v}`)
  .join(', ');

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
  --pairs <list>         a multi-pair desk instead of the ETH/USDC demo, e.g.
                           --pairs BTC/USDC,ETH/USDC,SOL/USDC,ETH/BTC
                         known pairs: ${KNOWN_PAIRS}; each with its own tick, lot and
                         minimum size. --pools pools per pair (desk-btc-usdc-1 ...), each sized in
                         USDC: ~100k (then ~40k, ~8k), orders worth ~2,000 USDC; the spread policy's
                         TVL tiers (10,000 / 50,000 USDC) and the loss and order limits are converted
                         into each pair's quote asset. Prices: one correlated simulation (a GBM leg
                         per asset in USDC, 3%/h, crosses such as ETH/BTC derived from the legs).
                         Shows the desk's net exposure per asset and its P&L, and a report across
                         pools and pairs at the end. Only with --feed sim.
  --correlation <rho>    the correlation of every two legs with --pairs (default: ${DEFAULT_CORRELATIONS_TEXT}, any other
                         two ${DEFAULT_CORRELATION})
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
  /** A multi-pair desk (cli/desk-session.ts): pair symbols, each known to the example registry. */
  pairs?: string[];
  /** With pairs: one correlation for every two legs instead of the defaults. */
  correlation?: number;
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
        pairs: { type: 'string' },
        correlation: { type: 'string' },
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
  const desk = parseDeskOptions(v.pairs, v.correlation, v.feed);
  const pools = intOption('pools', v.pools, 1, 1, 50);
  if (desk.pairs && desk.pairs.length * pools > 50) {
    throw new UsageError(
      `--pairs with --pools ${pools} makes ${desk.pairs.length * pools} pools; at most 50: lower --pools (pools per pair)`,
    );
  }
  return {
    ...desk,
    durationSeconds: intOption('duration', v.duration, 120, 0, 7 * 24 * 3600),
    pools,
    feed: parseFeedSpec(v.feed ?? 'sim'),
    seed: intOption('seed', v.seed, 42, 0, 2 ** 32 - 1),
    refreshMs: intOption('refresh-ms', v['refresh-ms'], 1000, 100, 3_600_000),
    strategy: strategy as StrategyKind,
  };
}

function parseDeskOptions(
  pairs: string | undefined,
  correlation: string | undefined,
  feed: string | undefined,
): { pairs?: string[]; correlation?: number } {
  if (pairs === undefined) {
    if (correlation !== undefined) throw new UsageError('--correlation applies only with --pairs');
    return {};
  }
  if (feed !== undefined && feed !== 'sim') {
    throw new UsageError(
      `--pairs runs on its own correlated simulation; drop --feed ${JSON.stringify(feed)} (or drop --pairs)`,
    );
  }
  let symbols: string[];
  try {
    symbols = parsePairList(pairs, examplePairRegistry(), '--pairs').map((p) => p.symbol);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (correlation === undefined) return { pairs: symbols };
  const rho = Number(correlation);
  if (correlation.trim() === '' || !Number.isFinite(rho) || rho <= -1 || rho >= 1) {
    throw new UsageError(
      `--correlation must be a number between -1 and 1 (exclusive), got ${JSON.stringify(correlation)}`,
    );
  }
  return { pairs: symbols, correlation: rho };
}

/*
 * The scenario library: markets a strategy should be tried on before it quotes real money, as
 * BacktestSpec factories around one ETH/USDC-like pool (mid ~2000, tick 0.01, lot 0.001, TVL
 * ~100k, one-second steps), and the strategies a tournament runs on each of them.
 *
 * Every scenario is the calm market with one thing changed, so a difference in the results comes
 * from that one thing (cross_pair changes the pair and its scale: the same pool on ETH/BTC, to check
 * that nothing in the strategies assumes a mid of 2000). Scenario time is the run's length (steps x dt): a trend of 3% is 3% over
 * the run whatever its length, and a jump scenario has about three jumps per run.
 */
import { resolve } from 'node:path';
import { SECONDS_PER_YEAR } from '../adapters/price-feed/simulated-gbm';
import type { PoolConfigInput } from '../domain/config';
import { DEFAULT_DESK_SIZING, legCorrelationMatrix, planDeskPool } from '../domain/desk';
import { Big, formatDecimal } from '../domain/money';
import { examplePairRegistry } from '../domain/pairs';
import { loadCsvPrices } from './scenario-paths';
import type { BacktestSpec, FlowSpec, PriceProcessSpec } from './types';

export interface ScenarioOptions {
  steps: number;
  paths: number;
  seed: number;
  /** Seconds per step (default 1). */
  dtSeconds?: number;
}

export type StrategyConfigInput = NonNullable<PoolConfigInput['strategy']>;

/** A scenario before a strategy is chosen: the spec minus the strategy. */
export type ScenarioSpec = Omit<BacktestSpec, 'config'> & { config: Omit<PoolConfigInput, 'strategy'> };

export interface Scenario {
  name: string;
  description: string;
  build(opts: ScenarioOptions): ScenarioSpec;
}

/** ETH's realised volatility is of the order of 60% a year; per second that is ~1.3 bps of mid. */
export const CALM_VOLATILITY = 0.6;

/**
 * Poisson flow in the strategies' units (A per second per level at the mid, k per bps of mid):
 * at the default 15 bps half-spread a level fills about 0.1 times a second, ~6 fills a minute per
 * side on three levels: busy enough for a one-hour run to tell strategies apart, small enough that
 * the inventory walk stays within the pool's reserves.
 */
export const CALM_FLOW = { A: 0.2, k: 0.05, kPer: 'bps' } as const;

/** The ladder and limits every scenario quotes with (the live defaults elsewhere). */
export const BASE_CONFIG: Omit<PoolConfigInput, 'strategy'> = {
  ladder: { levels: 3, levelSpacingBps: '10', baseOrderSize: '0.25', sizeDecay: 0.7 },
  refreshIntervalMs: 1000,
};

const POOL: BacktestSpec['pool'] = {
  s0: '2000',
  tickSize: '0.01',
  lotSize: '0.001',
  minSize: '0.001',
  initialBase: '25',
  initialQuote: '50000',
};

function runYears(o: ScenarioOptions): number {
  return (o.steps * (o.dtSeconds ?? 1)) / SECONDS_PER_YEAR;
}

function checkOptions(o: ScenarioOptions): void {
  const whole = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min)
      throw new RangeError(`${name} must be a whole number >= ${min}, got ${v}`);
  };
  whole('steps', o.steps, 1);
  whole('paths', o.paths, 1);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0)
    throw new RangeError(`seed must be a whole number >= 0, got ${o.seed}`);
  if (o.dtSeconds !== undefined && !(Number.isFinite(o.dtSeconds) && o.dtSeconds > 0))
    throw new RangeError(`dtSeconds must be a positive number, got ${o.dtSeconds}`);
}

function base(
  name: string,
  o: ScenarioOptions,
  price: PriceProcessSpec,
  flow: FlowSpec = { poisson: { ...CALM_FLOW } },
  config: Omit<PoolConfigInput, 'strategy'> = BASE_CONFIG,
): ScenarioSpec {
  checkOptions(o);
  return {
    name,
    config,
    pool: { ...POOL },
    price,
    flow,
    dtSeconds: o.dtSeconds ?? 1,
    steps: o.steps,
    paths: o.paths,
    seed: o.seed,
    latencyMs: 100,
    makerFeeBps: 0,
    hedgeFeeBps: 5,
    // A one-minute markout, the informed takers' horizon, in every scenario so they compare.
    markoutSeconds: 60,
  };
}

const calmPrice = (): PriceProcessSpec => ({ kind: 'gbm', drift: 0, volatility: CALM_VOLATILITY });

/*
 * ETH/BTC quoted from correlated ETH/USDC and BTC/USDC legs (the run command's legs: BTC and ETH
 * at LEG_CORRELATIONS' 0.8): the cross's volatility is sqrt(0.6^2 + 0.5^2 - 2 0.8 0.6 0.5) ~ 36%,
 * its mid ~0.0333 on the example grid of domain/pairs.ts. Every quote-unit amount (order size,
 * TVL tiers, loss and notional limits, the pool's reserves) is the calm pool's USDC value turned
 * into BTC as a desk pool is (domain/desk.ts planDeskPool), so the pool is in the same TVL tier
 * and quotes the same ETH sizes as the calm one instead of reading 50,000 USDC as 50,000 BTC.
 */
const CROSS = { pair: 'ETH/BTC', eth: 2000, btc: 60000, ethVolatility: CALM_VOLATILITY, btcVolatility: 0.5 };

function crossPair(o: ScenarioOptions): ScenarioSpec {
  const pair = examplePairRegistry().get(CROSS.pair);
  const plan = planDeskPool(pair, pair.referencePrice, new Big(CROSS.btc), {
    ...DEFAULT_DESK_SIZING,
    // The calm pool's level-0 order, 0.25 ETH.
    orderValue: new Big(Number(BASE_CONFIG.ladder!.baseOrderSize) * CROSS.eth),
  });
  const spec = base(
    'cross_pair',
    o,
    {
      kind: 'correlated',
      numeraire: 'USDC',
      assets: [
        { asset: 'ETH', initialPrice: CROSS.eth, volatility: CROSS.ethVolatility },
        { asset: 'BTC', initialPrice: CROSS.btc, volatility: CROSS.btcVolatility },
      ],
      correlation: legCorrelationMatrix(['ETH', 'BTC']),
      pair: CROSS.pair,
    },
    { poisson: { ...CALM_FLOW } },
    {
      ...BASE_CONFIG,
      ladder: { ...BASE_CONFIG.ladder, ...plan.config.ladder },
      spreadPolicy: plan.config.spreadPolicy,
      risk: plan.config.risk,
    },
  );
  return {
    ...spec,
    pool: {
      s0: formatDecimal(pair.referencePrice),
      tickSize: formatDecimal(pair.tickSize),
      lotSize: formatDecimal(pair.lotSize),
      minSize: formatDecimal(pair.minSize),
      initialBase: formatDecimal(plan.liquidity.base),
      initialQuote: formatDecimal(plan.liquidity.quote),
    },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'calm',
    description: 'baseline: driftless GBM at 60%/year, balanced Poisson flow',
    build: (o) => base('calm', o, calmPrice()),
  },
  {
    name: 'trend',
    description: 'the mid drifts up 3% over the run: a pool selling into the rise ends short base',
    build: (o) =>
      base('trend', o, { kind: 'gbm', drift: Math.log(1.03) / runYears(o), volatility: CALM_VOLATILITY }),
  },
  {
    name: 'jump',
    description: 'about 3 jumps per run (log size N(-1%, 2%)), with a 1,000 USDC max-loss limit',
    build: (o) =>
      base(
        'jump',
        o,
        {
          kind: 'jump',
          drift: 0,
          volatility: CALM_VOLATILITY,
          jumpsPerYear: 3 / runYears(o),
          jumpMean: -0.01,
          jumpStd: 0.02,
        },
        { poisson: { ...CALM_FLOW } },
        { ...BASE_CONFIG, risk: { maxLoss: '1000' } },
      ),
  },
  {
    name: 'regime_switch',
    description: 'volatility switches between 40%/year (stays ~15 min) and 200%/year (stays ~5 min)',
    build: (o) =>
      base('regime_switch', o, {
        kind: 'regime_switch',
        drift: 0,
        regimes: [
          { volatility: 0.4, leaveRatePerYear: SECONDS_PER_YEAR / 900 },
          { volatility: 2, leaveRatePerYear: SECONDS_PER_YEAR / 300 },
        ],
      }),
  },
  {
    name: 'thin_flow',
    description: 'a tenth of the calm flow: fewer fills, inventory and spread matter less than time',
    build: (o) => base('thin_flow', o, calmPrice(), { poisson: { ...CALM_FLOW, A: CALM_FLOW.A / 10 } }),
  },
  {
    name: 'informed_flow',
    // A minute ahead the mid has moved ~10 bps (sd), so a few percent of the informed arrivals
    // find the quote worth taking, and each such fill loses the move beyond the quote: at the
    // 60 s markout adverse selection per fill is visibly worse than in the calm market.
    description:
      'calm flow plus takers who see the mid 60 s ahead (0.5/s), trading only moves that clear the quote',
    build: (o) =>
      base('informed_flow', o, calmPrice(), {
        poisson: { ...CALM_FLOW },
        informed: { ratePerSecond: 0.5, lookaheadSeconds: 60 },
      }),
  },
  {
    name: 'cross_pair',
    description:
      'ETH/BTC (~0.0333) from correlated ETH and BTC legs (60% and 50%/year, correlation 0.8), the calm pool in BTC',
    build: crossPair,
  },
];

export const SCENARIO_NAMES = SCENARIOS.map((s) => s.name);

/** The name of the scenario that replays a price file (needs the file, so it is not in SCENARIOS). */
export const REPLAY_SCENARIO = 'replay';

/**
 * Recorded prices with the calm flow: the pool starts at the file's first price with the same
 * 25 base units and their value in quote, so its inventory starts balanced whatever the price level.
 * Every path replays the same prices; only the flow differs between paths.
 */
export function replayScenario(file: string): Scenario {
  const path = resolve(file);
  return {
    name: REPLAY_SCENARIO,
    description: `prices replayed from ${file}, calm flow`,
    build: (o) => {
      const first = loadCsvPrices(path).prices[0]!;
      const spec = base(REPLAY_SCENARIO, o, { kind: 'csv', file: path });
      const initialQuote = (Number(POOL.initialBase) * first).toFixed(2);
      return { ...spec, pool: { ...spec.pool, s0: String(first), initialQuote } };
    },
  };
}

/** A library scenario, or the replay one when a price file is given. */
export function scenarioByName(name: string, pricesFile?: string): Scenario {
  if (name === REPLAY_SCENARIO) {
    if (pricesFile === undefined)
      throw new RangeError(`scenario ${REPLAY_SCENARIO} needs a price file: add --prices <file.csv>`);
    return replayScenario(pricesFile);
  }
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s)
    throw new RangeError(
      `unknown scenario ${JSON.stringify(name)}; known: ${[...SCENARIO_NAMES, REPLAY_SCENARIO].join(', ')}`,
    );
  return s;
}

/**
 * The strategies with their live defaults: no explicit gamma or k, so they take whatever the
 * configuration's defaults are (k per bps of mid once the models are price-scale free).
 */
export const STRATEGIES: Readonly<Record<string, StrategyConfigInput>> = {
  rule_based: { kind: 'rule_based' },
  avellaneda_stoikov: { kind: 'avellaneda_stoikov' },
  glft: { kind: 'glft' },
};

export const STRATEGY_NAMES = Object.keys(STRATEGIES);

/** One scenario with one strategy: the spec the engine runs. */
export function withStrategy(
  scenario: ScenarioSpec,
  strategyName: string,
  strategy: StrategyConfigInput,
): BacktestSpec {
  return {
    ...scenario,
    name: `${scenario.name}/${strategyName}`,
    config: { ...scenario.config, strategy },
  };
}

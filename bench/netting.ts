import {
  DEFAULT_NETTING_SCENARIO,
  runNettingScenario,
  type NettingScenarioResult,
} from '../sim/netting-scenario';

/*
 * Issue 13's figure: hedge volume with netting beside per-pool hedging on the same scenario (ten
 * pools over four pairs on correlated prices, sim/netting-scenario.ts), for a few strengths of the
 * flow the pools of an asset share. Pure simulation: no servers; the wall-clock time is reported,
 * not asserted.
 */

export interface NettingRow {
  informedFlow: number;
  wallSeconds: number;
  result: NettingScenarioResult;
}

export function runNettingBench(opts: {
  informedFlows: number[];
  log: (line: string) => void;
}): NettingRow[] {
  return opts.informedFlows.map((informedFlow) => {
    const started = Date.now();
    const result = runNettingScenario({ ...DEFAULT_NETTING_SCENARIO, informedFlow });
    const wallSeconds = (Date.now() - started) / 1000;
    opts.log(
      `[bench] netting, informedFlow ${informedFlow}: per pool ${result.perPool.volumeUsdc} USDC, netted ${result.netted.volumeUsdc} USDC (${wallSeconds.toFixed(1)} s)`,
    );
    return { informedFlow, wallSeconds, result };
  });
}

const usdc = (s: string) => Math.round(Number(s)).toLocaleString('en-US');

/** Summary rows: netted volume against per-pool hedging of the same flow. */
export function nettingRows(rows: NettingRow[]): [string, string, string, string, string, string][] {
  return rows.map(({ informedFlow, result: r }) => [
    'netting',
    `hedge volume, netted across the desk, informedFlow ${informedFlow} (USDC, ${r.netted.orders} orders)`,
    usdc(r.netted.volumeUsdc),
    `per-pool hedging of the same flow (${r.perPool.orders} orders)`,
    usdc(r.perPool.volumeUsdc),
    `${Number(r.ratio).toFixed(2)}x`,
  ]);
}

export function nettingMarkdown(rows: NettingRow[]): string[] {
  const o = rows[0]?.result.options ?? DEFAULT_NETTING_SCENARIO;
  return [
    '## Hedge volume: netted across the desk beside per-pool hedging',
    '',
    `Ten pools over four pairs (3 ETH/USDC, 2 BTC/USDC, 3 SOL/USDC, 2 ETH/BTC), ${o.poolValueUsdc.toLocaleString('en-US')} USDC each, on correlated prices ` +
      `(sim/netting-scenario.ts, seed ${o.seed}), ${o.seconds} s at 1 s steps, a hedge round every ${o.hedgeEverySeconds} s. Both books hedge the same ` +
      'flow path: per pool, each pool hedges its own exposure; netted, the desk sends one order per asset for the net. informedFlow is the part of the flow ' +
      'the pools of a pair share (0: only flow of their own).',
    '',
    '| informedFlow | per-pool: orders | per-pool: volume (USDC) | netted: orders | netted: volume (USDC) | netted / per pool | wall-clock (s) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      ({ informedFlow, wallSeconds, result: r }) =>
        `| ${informedFlow} | ${r.perPool.orders} | ${usdc(r.perPool.volumeUsdc)} | ${r.netted.orders} | ${usdc(r.netted.volumeUsdc)} | ${Number(r.ratio).toFixed(2)} | ${wallSeconds.toFixed(1)} |`,
    ),
  ];
}

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/options';
import { parsePoolConfig } from '../../../domain/config';
import {
  bestPerMetric,
  parseSweepArgs,
  parseTournamentArgs,
  sweepCommand,
  toCsv,
  tournamentCommand,
  moneyDigits,
} from '../../../backtest/commands';
import { strategyMetrics } from '../../../backtest/metrics';
import type { LabRunner } from '../../../backtest/run-spec';
import type { BacktestSpec, PathSeries, PathSummary } from '../../../backtest/types';

/**
 * A stand-in for the engine: summaries that depend only on the spec's seed, strategy settings and
 * path index, so the command's bookkeeping can be checked without simulating a market.
 */
function standIn() {
  const specs: BacktestSpec[] = [];
  const runner: LabRunner = {
    async run(spec, o) {
      specs.push(spec);
      const strategy = parsePoolConfig(spec.config).strategy;
      const edge = strategy.kind === 'rule_based' ? 1 : strategy.kind === 'glft' ? 3 : 2;
      const gamma = 'gamma' in strategy ? strategy.gamma : 0;
      return Array.from({ length: spec.paths }, (_, p) => {
        o?.onProgress?.(p + 1, spec.paths);
        // `as PathSummary`: the engine's summaries carry more fields than the lab reads.
        return {
          path: p,
          pnl: edge * 10 + gamma * 100 + ((spec.seed + p * 7) % 5),
          fees: 0,
          finalInventory: p - 1,
          maxDrawdown: 5 + p,
          fills: 10 * edge,
          volume: edge,
          adverseSelection: -edge,
          stops: spec.name.startsWith('jump') && p === 0 ? ['max_loss'] : [],
          meanSpread: 0.6,
          meanSpreadBps: 3,
          haltedSteps: 0,
          hedges: 0,
          holdPnl: p,
        } as PathSummary;
      });
    },
    async series(spec, paths, points) {
      return paths.map((p): PathSeries => ({
        t: Array.from({ length: points }, (_, i) => i * spec.dtSeconds),
        mid: Array.from({ length: points }, () => 2000 + p),
        bid: Array.from({ length: points }, () => 1999),
        ask: Array.from({ length: points }, () => null),
        equity: Array.from({ length: points }, (_, i) => i * p),
        inventory: Array.from({ length: points }, () => 0),
      }));
    },
    async close() {},
  };
  return { runner, specs };
}

function capture() {
  let text = '';
  return {
    write: (s: string) => {
      text += s;
      return true;
    },
    get text() {
      return text;
    },
  };
}

const now = () => new Date('2026-11-27T20:00:00.000Z');

describe('tournament command', () => {
  it('runs every strategy on every scenario and writes the table, JSON and CSV', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-tournament-'));
    const { runner, specs } = standIn();
    const out = capture();
    const argv = [
      '--scenarios',
      'calm,jump',
      '--paths',
      '3',
      '--steps',
      '50',
      '--seed',
      '9',
      '--out',
      dir,
      '--series-points',
      '5',
    ];
    await tournamentCommand(argv, { runner, out, err: capture(), now });

    expect(specs.map((s) => s.name)).toEqual([
      'calm/rule_based',
      'calm/avellaneda_stoikov',
      'calm/glft',
      'jump/rule_based',
      'jump/avellaneda_stoikov',
      'jump/glft',
    ]);
    // The strategies of a scenario face the same market: same seed, same price process.
    expect(new Set(specs.map((s) => JSON.stringify([s.seed, s.price, s.flow, s.steps, s.paths]))).size).toBe(
      2,
    );
    expect(specs.every((s) => s.seed === 9 && s.steps === 50 && s.paths === 3)).toBe(true);

    expect(readdirSync(dir).sort()).toEqual([
      'tournament-2026-11-27T20-00-00Z-paths.csv',
      'tournament-2026-11-27T20-00-00Z.csv',
      'tournament-2026-11-27T20-00-00Z.json',
    ]);
    const json = JSON.parse(readFileSync(join(dir, 'tournament-2026-11-27T20-00-00Z.json'), 'utf8'));
    expect(json).toMatchObject({
      kind: 'tournament',
      createdAt: '2026-11-27T20:00:00.000Z',
      command: `npm run backtest -- tournament ${argv.join(' ')}`,
      seed: 9,
    });
    expect(json.options.out).toBeUndefined();
    expect(json.metrics).toHaveLength(6);
    const glftJump = json.metrics.find(
      (m: { strategy: string; scenario: string }) => m.strategy === 'glft' && m.scenario === 'jump',
    );
    expect(glftJump).toMatchObject({ paths: 3, meanFills: 30, stopped: 1, stopReasons: { max_loss: 1 } });
    expect(json.pnl.jump.glft).toHaveLength(3);
    expect(json.series.calm.rule_based).toHaveLength(2);
    expect(json.series.calm.rule_based[1].equity).toEqual([0, 1, 2, 3, 4]);
    expect(json.scenarios.map((s: { name: string }) => s.name)).toEqual(['calm', 'jump']);
    expect(json.scenarios[1].flow).toMatch(/^Poisson A=0\.2\/s k=0\.05\/bp$/);

    const csv = readFileSync(join(dir, 'tournament-2026-11-27T20-00-00Z.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(7);
    expect(csv[0]).toMatch(
      /^strategy,scenario,paths,meanPnl,stdPnl,sharpe,maxDrawdown,finalInventoryStd,meanFills,adverseSelection,stopped,/,
    );
    expect(csv.find((l) => l.startsWith('glft,jump'))).toMatch(/max_loss:1/);
    const paths = readFileSync(join(dir, 'tournament-2026-11-27T20-00-00Z-paths.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(paths).toHaveLength(1 + 6 * 3);

    for (const word of [
      'calm',
      'jump',
      'rule_based',
      'avellaneda_stoikov',
      'glft',
      'mean P&L',
      'stopped',
      '1/3',
    ]) {
      expect(out.text).toContain(word);
    }
    expect(out.text).toContain(join(dir, 'tournament-2026-11-27T20-00-00Z.json'));
    // P&L vs hold: P&L less the stand-in's hold P&L of p per path.
    expect(json.pnlVsHold.calm.glft).toEqual(json.pnl.calm.glft.map((x: number, p: number) => x - p));
    expect(glftJump.meanPnlVsHold).toBeCloseTo(glftJump.meanPnl - 1, 12);
    expect(out.text).toMatch(/Distribution of P&L vs hold per path \(USDC\):\njump|calm \(vs hold/);
    expect(out.text).toMatch(/\n {2}glft {17}\|[ ▁▂▃▄▅▆▇█]{24}\|/);
  });

  it('prints help and runs nothing with --help', async () => {
    const { runner, specs } = standIn();
    const out = capture();
    await tournamentCommand(['--help'], { runner, out });
    expect(out.text).toMatch(/^Usage: npm run backtest -- tournament/);
    expect(out.text).toContain('--scenarios <list>');
    expect(specs).toHaveLength(0);
  });

  it('refuses bad flags with what to do', () => {
    expect(() => parseTournamentArgs(['--scenarios', 'calm,crash'])).toThrow(
      /--scenarios: unknown "crash"; choose from calm, trend, jump, regime_switch, thin_flow, informed_flow/,
    );
    expect(() => parseTournamentArgs(['--paths', 'many'])).toThrow(
      /--paths must be a whole number, got "many"/,
    );
    expect(() => parseTournamentArgs(['--paths', '0'])).toThrow(/--paths must be from 1/);
    expect(() => parseTournamentArgs(['--dt=-1'])).toThrow(/--dt values must be positive numbers/);
    expect(() => parseTournamentArgs(['--fast'])).toThrow(UsageError);
    expect(() => parseTournamentArgs(['--fast'])).toThrow(/See --help/);
    expect(() => parseTournamentArgs(['--scenarios', 'calm,replay'])).toThrow(
      /scenario replay needs a price file/,
    );
    expect(parseTournamentArgs(['--prices', 'p.csv'])).toMatchObject({
      prices: 'p.csv',
      scenarios: [
        'calm',
        'trend',
        'jump',
        'regime_switch',
        'thin_flow',
        'informed_flow',
        'cross_pair',
        'replay',
      ],
    });
    expect(() => parseSweepArgs(['--strategy', 'glft', '--scenario', 'calm,jump'])).toThrow(
      /--scenario takes one scenario/,
    );
    const o = parseTournamentArgs(['--paths', '1']);
    expect(o !== 'help' && o.samplePaths).toBe(1);
  });
});

describe('sweep command', () => {
  it('runs the gamma x k grid of a model strategy and names the best setting per metric', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-sweep-'));
    const { runner, specs } = standIn();
    const out = capture();
    await sweepCommand(
      ['--strategy', 'glft', '--gamma', '0.1,1', '--k', '1,2', '--paths', '2', '--steps', '20', '--out', dir],
      { runner, out, err: capture(), now },
    );
    expect(specs.map((s) => parsePoolConfig(s.config).strategy)).toMatchObject([
      { kind: 'glft', gamma: 0.1, k: 1 },
      { kind: 'glft', gamma: 0.1, k: 2 },
      { kind: 'glft', gamma: 1, k: 1 },
      { kind: 'glft', gamma: 1, k: 2 },
    ]);
    const json = JSON.parse(readFileSync(join(dir, 'sweep-2026-11-27T20-00-00Z.json'), 'utf8'));
    expect(json).toMatchObject({ kind: 'sweep', strategy: 'glft', seed: 42, parameters: ['gamma', 'k'] });
    expect(json.results.map((r: { setting: string }) => r.setting)).toEqual([
      'gamma=0.1 k=1',
      'gamma=0.1 k=2',
      'gamma=1 k=1',
      'gamma=1 k=2',
    ]);
    // The stand-in pays 100 x gamma: gamma 1 wins on mean P&L, the first of the tie in grid order.
    const best = Object.fromEntries(
      json.best.map((b: { metric: string; setting: string }) => [b.metric, b.setting]),
    );
    expect(best.meanPnl).toBe('gamma=1 k=1');
    expect(json.best.find((b: { metric: string }) => b.metric === 'meanPnl').tiedWith).toBe('gamma=1 k=2');
    expect(out.text).toContain('Best setting per metric');
    // Stand-in: glft 30 + 100 x gamma + (42 + 7p) % 5, less a hold P&L of p: 132 - 0, 134 - 1.
    expect(json.pnlVsHold['gamma=1 k=2']).toEqual([132, 133]);
    expect(readdirSync(dir).sort()).toEqual([
      'sweep-2026-11-27T20-00-00Z.csv',
      'sweep-2026-11-27T20-00-00Z.json',
    ]);
  });

  it('sweeps the rule-based spread with a spread policy that accepts it', async () => {
    const { runner, specs } = standIn();
    await sweepCommand(
      [
        '--strategy',
        'rule_based',
        '--spread',
        '5,30',
        '--paths',
        '1',
        '--steps',
        '10',
        '--out',
        mkdtempSync(join(tmpdir(), 'lab-sweep-')),
      ],
      {
        runner,
        out: capture(),
        err: capture(),
        now,
      },
    );
    const policies = specs.map((s) => parsePoolConfig(s.config).spreadPolicy);
    expect(policies.map((p) => p.defaultSpreadBps)).toEqual(['5', '30']);
    expect(policies[0]!.minSpreadBps).toBe('5');
  });

  it('defaults the grid to multiples of the live defaults and refuses parameters the strategy lacks', () => {
    const defaults = parsePoolConfig({ strategy: { kind: 'avellaneda_stoikov' } }).strategy as {
      gamma: number;
      k: number;
    };
    const o = parseSweepArgs(['--strategy', 'avellaneda_stoikov']);
    expect(o !== 'help' && o.grid).toEqual({
      gamma: [0.1, 1, 10].map((m) => Number((defaults.gamma * m).toPrecision(12))),
      k: [0.5, 1, 2].map((m) => Number((defaults.k * m).toPrecision(12))),
    });
    expect(() => parseSweepArgs([])).toThrow(
      /--strategy is required: one of rule_based, avellaneda_stoikov, glft/,
    );
    expect(() => parseSweepArgs(['--strategy', 'rule_based', '--gamma', '1'])).toThrow(
      /rule_based has no gamma or k/,
    );
    expect(() => parseSweepArgs(['--strategy', 'glft', '--spread', '10'])).toThrow(
      /--spread is for rule_based/,
    );
    expect(() => parseSweepArgs(['--strategy', 'glft', '--k', '1,x'])).toThrow(
      /--k values must be positive numbers, got "x"/,
    );
    expect(() => parseSweepArgs(['--strategy', 'glft', '--gamma', '1,1'])).toThrow(/lists a value twice/);
  });
});

describe('sweep and CSV helpers', () => {
  it('picks the best per metric in the right direction', () => {
    const row = (setting: string, pnl: number[], inv: number[]) => ({
      setting,
      ...strategyMetrics(
        pnl.map((x, i) => ({
          path: i,
          pnl: x,
          fees: 0,
          finalInventory: inv[i]!,
          maxDrawdown: 10 - x,
          fills: 1,
          volume: 1,
          adverseSelection: 0,
          stops: [],
          meanSpread: 0,
          meanSpreadBps: 0,
          haltedSteps: 0,
          hedges: 0,
        })) as PathSummary[],
        { strategy: 's', scenario: 'c' },
      ),
    });
    const rows = [row('a', [1, 3], [0, 4]), row('b', [4, 5], [1, 1]), row('c', [0, 8], [2, 2])];
    const best = Object.fromEntries(bestPerMetric(rows).map((b) => [b.metric, b.setting]));
    expect(best).toMatchObject({
      meanPnl: 'b',
      stdPnl: 'b',
      maxDrawdown: 'b',
      finalInventoryStd: 'b',
      sharpe: 'b',
    });
    expect(bestPerMetric([row('a', [1, 3], [0, 0]), row('z', [2, 3], [0, 0])])[0]).toMatchObject({
      metric: 'meanPnl',
      setting: 'z',
      tiedWith: 'a',
    });
    // Without hold P&L in the summaries the vs-hold metrics are left out, not ranked on null.
    expect(bestPerMetric(rows).map((b) => b.metric)).not.toContain('meanPnlVsHold');
  });

  it('ranks on P&L vs hold first when the summaries carry it', () => {
    const rows = [
      { setting: 'wide', pnl: [10, 30], hold: [0, 20] },
      { setting: 'tight', pnl: [12, 28], hold: [0, 20] },
    ].map((r) => ({
      setting: r.setting,
      ...strategyMetrics(
        r.pnl.map(
          (x, i) =>
            ({
              path: i,
              pnl: x,
              holdPnl: r.hold[i]!,
              fees: 0,
              finalInventory: 0,
              maxDrawdown: 0,
              fills: 1,
              volume: 1,
              adverseSelection: 0,
              stops: [],
              meanSpread: 0,
              meanSpreadBps: 0,
              haltedSteps: 0,
              hedges: 0,
            }) as PathSummary,
        ),
        { strategy: 's', scenario: 'c' },
      ),
    }));
    const best = bestPerMetric(rows);
    // P&L vs hold: wide 10, 10 (std 0); tight 12, 8 (mean 10, std 2.83): equal means, wide steadier.
    expect(best[0]).toMatchObject({ metric: 'meanPnlVsHold', setting: 'wide', value: 10, tiedWith: 'tight' });
    expect(best.find((b) => b.metric === 'stdPnlVsHold')).toMatchObject({ setting: 'wide', value: 0 });
  });

  it('shows money to about three significant digits, so a P&L in BTC is not 0.00', () => {
    expect(moneyDigits([494.9, -27.5, null])).toBe(2);
    expect(moneyDigits([0.00304, 0.00002])).toBe(5);
    expect(moneyDigits([0, null])).toBe(2);
  });

  it('quotes CSV cells that need it', () => {
    expect(
      toCsv([
        { a: 1, b: 'x,y' },
        { a: 2, c: 'say "hi"' },
      ]),
    ).toBe('a,b,c\n1,"x,y",\n2,,"say ""hi"""\n');
  });
});

describe('usage mistakes on the command line', () => {
  it('are one line on stderr with exit code 2, not a stack trace', async () => {
    const err = capture();
    const before = process.exitCode;
    try {
      await tournamentCommand(['--strategies', 'martingale'], {
        runner: standIn().runner,
        out: capture(),
        err,
      });
      expect(process.exitCode).toBe(2);
      expect(err.text).toMatch(
        /^backtest tournament: --strategies: unknown "martingale"; choose from rule_based/,
      );
      await sweepCommand([], { runner: standIn().runner, out: capture(), err });
      expect(err.text).toMatch(/backtest sweep: --strategy is required/);
    } finally {
      process.exitCode = before;
    }
  });
});

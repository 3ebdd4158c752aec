import { describe, expect, it } from 'vitest';
import { HELP, runSpecFromArgs } from '../../../cli/backtest';
import { DomainValidationError } from '../../../domain/errors';

describe('npm run backtest', () => {
  it('documents every option it accepts', () => {
    const source = HELP;
    for (const flag of [
      '--spec',
      '--strategy',
      '--param',
      '--config',
      '--process',
      '--drift',
      '--vol',
      '--sigma',
      '--s0',
      '--tick',
      '--lot',
      '--min-size',
      '--base',
      '--quote',
      '--flow-a',
      '--flow-k',
      '--k-per',
      '--fill-rule',
      '--informed-rate',
      '--informed-lookahead',
      '--dt',
      '--steps',
      '--paths',
      '--seed',
      '--latency-ms',
      '--maker-fee-bps',
      '--hedge-fee-bps',
      '--markout',
      '--volatility',
      '--inventory',
      '--paper',
      '--threads',
      '--out',
      '--no-progress',
      'tournament',
      'sweep',
    ]) {
      expect(source).toContain(flag);
    }
  });

  it('builds the scenario a command line describes, strategy parameters included', () => {
    const spec = runSpecFromArgs([
      '--strategy',
      'glft',
      '--param',
      'gamma=0.2',
      '--param',
      'k=3',
      '--paths',
      '8',
      '--seed',
      '42',
      '--latency-ms',
      '250',
      '--informed-rate',
      '0.1',
      '--inventory',
      'units',
    ]);
    expect(spec.config.strategy).toEqual({ kind: 'glft', gamma: 0.2, k: 3 });
    expect(spec.paths).toBe(8);
    expect(spec.seed).toBe(42);
    expect(spec.latencyMs).toBe(250);
    expect(spec.flow.informed).toEqual({ ratePerSecond: 0.1, lookaheadSeconds: 5 });
    expect(spec.view?.inventory).toBe('units');
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('runs the decimal reference engine with --exact, the fast engine otherwise', () => {
    expect(runSpecFromArgs(['--exact']).engine).toBe('exact');
    expect(runSpecFromArgs([]).engine).toBeUndefined();
  });

  it('refuses a bad value naming the option and what it must be', () => {
    expect(() => runSpecFromArgs(['--paths', 'ten'])).toThrow(
      '--paths must be a positive integer, got "ten"',
    );
    expect(() => runSpecFromArgs(['--param', 'gamma'])).toThrow(/--param must be KEY=NUMBER/);
    expect(() => runSpecFromArgs(['--k-per', 'tick'])).toThrow('--k-per must be one of bps, price');
    expect(() => runSpecFromArgs(['--param', 'gamma=-1'])).toThrow(DomainValidationError);
  });
});

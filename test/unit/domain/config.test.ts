import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POOL_CONFIG,
  parsePoolConfig,
  mergePoolConfig,
  DomainValidationError,
  parseStoredPoolConfig,
} from '../../../domain';
import { expectFieldError } from './helpers';

describe('parsePoolConfig defaults', () => {
  it('fills the documented defaults', () => {
    const c = parsePoolConfig({});
    expect(c.spreadPolicy).toEqual({
      minSpreadBps: '10',
      maxSpreadBps: '500',
      defaultSpreadBps: '30',
      targetInventoryShare: 0.5,
      imbalanceThreshold: 0.2,
      criticalImbalanceThreshold: 0.4,
      moderateImbalanceMultiplier: 1.25,
      criticalImbalanceMultiplier: 1.5,
      highVolatilityThreshold: 0.05,
      extremeVolatilityThreshold: 0.1,
      highVolatilityMultiplier: 2,
      extremeVolatilityMultiplier: 3,
      volatilityRegimeHysteresis: 0.1,
      imbalanceHysteresis: 0.1,
      tvlHysteresis: 0.1,
      lowTvlThreshold: '10000',
      lowTvlMultiplier: 1.5,
      mediumTvlThreshold: '50000',
      mediumTvlMultiplier: 1.2,
      hysteresis: 0.1,
    });
    expect(c.strategy).toEqual({ kind: 'rule_based', skewFactor: 1, volatilitySpreadFactor: 1 });
    expect(c.ladder).toMatchObject({
      levels: 3,
      levelSpacingBps: '10',
      baseOrderSize: '1',
      sizeDecay: 0.7,
      guardMid: true,
    });
    // No floor of its own: the live spreadPolicy.minSpreadBps is the floor at quote time.
    expect(c.ladder.minSpreadFloorBps).toBeUndefined();
    expect(c.risk).toMatchObject({
      maxInventoryDeviation: 0.45,
      maxLoss: '100000',
      maxVolatility: 0.2,
      maxPriceAgeSeconds: 30,
      cooldownSeconds: 60,
    });
    expect(c.volatility).toMatchObject({ window: 60, ewmaLambda: 0.94, horizonSeconds: 3600 });
    expect(c.refreshIntervalMs).toBe(1000);
    expect(c.quoteTolerance).toBe('2');
    expect(c.priceSource).toBe('reference');
    expect(DEFAULT_POOL_CONFIG).toEqual(c);
  });

  it('is plain JSON that round-trips', () => {
    const c = parsePoolConfig({ strategy: { kind: 'glft', intensity: { A: 2, k: 1.5 } } });
    const again = parsePoolConfig(JSON.parse(JSON.stringify(c)));
    expect(again).toEqual(c);
  });

  it('leaves the ladder spread floor to the live minSpreadBps unless set, and canonicalises decimals', () => {
    const c = parsePoolConfig({ spreadPolicy: { minSpreadBps: '20.0', defaultSpreadBps: '30' } });
    expect(c.spreadPolicy.minSpreadBps).toBe('20');
    expect(c.ladder.minSpreadFloorBps).toBeUndefined();
    expect(parsePoolConfig({ ladder: { minSpreadFloorBps: '0' } }).ladder.minSpreadFloorBps).toBe('0');
    expect(parsePoolConfig({ ladder: { minSpreadFloorBps: '25.0' } }).ladder.minSpreadFloorBps).toBe('25');
  });

  it('reads a floor equal to minSpreadBps (the previous release copied it) as following the minimum', () => {
    const stored = {
      spreadPolicy: { minSpreadBps: '15', defaultSpreadBps: '30' },
      ladder: { minSpreadFloorBps: '15.0' },
    };
    expect(parsePoolConfig(stored).ladder.minSpreadFloorBps).toBeUndefined();
    // Merged onto a configuration still holding the copy (a market maker started before the upgrade).
    const held = {
      ...parsePoolConfig(stored),
      ladder: { ...parsePoolConfig(stored).ladder, minSpreadFloorBps: '15' },
    };
    const raised = mergePoolConfig(held, { spreadPolicy: { minSpreadBps: '40', defaultSpreadBps: '40' } });
    expect(raised.ladder.minSpreadFloorBps).toBeUndefined();
    expect(raised.spreadPolicy.minSpreadBps).toBe('40');
  });

  it('fills strategy defaults per kind', () => {
    expect(parsePoolConfig({ strategy: { kind: 'avellaneda_stoikov' } }).strategy).toEqual({
      kind: 'avellaneda_stoikov',
      parameterUnits: 'mid_relative',
      gamma: 0.002,
      k: 0.1,
      horizon: { type: 'infinite', rollingWindowSeconds: 60 },
    });
    expect(
      parsePoolConfig({
        strategy: { kind: 'avellaneda_stoikov', horizon: { type: 'finite', horizonSeconds: 600 } },
      }).strategy,
    ).toMatchObject({
      horizon: { type: 'finite', horizonSeconds: 600 },
    });
    expect(parsePoolConfig({ strategy: { kind: 'glft' } }).strategy).toEqual({
      kind: 'glft',
      parameterUnits: 'mid_relative',
      gamma: 0.002,
      k: 0.1,
      A: 1,
    });
    expect(parsePoolConfig({ strategy: { kind: 'glft', parameterUnits: 'price' } }).strategy).toEqual({
      kind: 'glft',
      parameterUnits: 'price',
      gamma: 0.1,
      k: 1.5,
      A: 1,
    });
    expect(parsePoolConfig({ strategy: { kind: 'glft', gamma: 0.01 } }).strategy).toMatchObject({
      parameterUnits: 'mid_relative',
      gamma: 0.01,
      k: 0.1,
    });
  });

  it('keeps the price-unit meaning of a model block stored by the previous release (every parameter, no units)', () => {
    const as = {
      kind: 'avellaneda_stoikov',
      gamma: 0.1,
      k: 1.5,
      horizon: { type: 'finite', horizonSeconds: 3600 },
    };
    expect(parseStoredPoolConfig({ strategy: as }).strategy).toEqual({ ...as, parameterUnits: 'price' });
    const glft = { kind: 'glft', gamma: 0.2, k: 3, A: 2, intensity: { A: 1, k: 2 } };
    expect(parseStoredPoolConfig({ strategy: glft }).strategy).toEqual({ ...glft, parameterUnits: 'price' });
    // A workflow of the previous release carries the old form and merges patches onto it.
    const carried = { ...JSON.parse(JSON.stringify(DEFAULT_POOL_CONFIG)), strategy: as };
    expect(mergePoolConfig(carried, { strategy: { k: 2 } }).strategy).toMatchObject({
      parameterUnits: 'price',
      k: 2,
    });
    // New input naming gamma and k without units means the documented default: mid-relative.
    expect(parsePoolConfig({ strategy: as }).strategy).toMatchObject({ parameterUnits: 'mid_relative' });
    // A patch that switches the strategy is new input too.
    expect(
      mergePoolConfig(carried, { strategy: { kind: 'glft', gamma: 0.2, k: 3, A: 2 } }).strategy,
    ).toMatchObject({
      parameterUnits: 'mid_relative',
    });
  });

  it('refuses an unknown parameterUnits', () => {
    expectFieldError(
      () => parsePoolConfig({ strategy: { kind: 'glft', parameterUnits: 'bps' } }),
      'strategy.parameterUnits',
      "'mid_relative'",
    );
  });
});

describe('parsePoolConfig refuses malformed values naming the field path', () => {
  it.each([
    [{ spreadPolicy: { maxSpreadBps: 500 } }, 'spreadPolicy.maxSpreadBps', 'decimal string'],
    [{ spreadPolicy: { maxSpreadBps: '5e2' } }, 'spreadPolicy.maxSpreadBps', 'no exponent'],
    [{ spreadPolicy: { minSpreadBps: '-1' } }, 'spreadPolicy.minSpreadBps', 'negative'],
    [{ spreadPolicy: { minSpreadBps: '0' } }, 'spreadPolicy.minSpreadBps', 'zero'],
    [{ spreadPolicy: { maxSpreadBps: '20000' } }, 'spreadPolicy.maxSpreadBps', 'at most 10000'],
    [{ spreadPolicy: { targetInventoryShare: 1 } }, 'spreadPolicy.targetInventoryShare', 'less than 1'],
    [{ spreadPolicy: { hysteresis: -0.1 } }, 'spreadPolicy.hysteresis', 'negative'],
    [
      { spreadPolicy: { highVolatilityMultiplier: 0.5 } },
      'spreadPolicy.highVolatilityMultiplier',
      'at least 1',
    ],
    [{ spreadPolicy: { lowTvlThreshold: 'lots' } }, 'spreadPolicy.lowTvlThreshold', 'got "lots"'],
    [{ spreadPolicy: { maxSpreadBP: '10' } }, 'spreadPolicy.maxSpreadBP', 'not a known field'],
    [{ strategy: { kind: 'martingale' } }, 'strategy.kind', "'rule_based', 'avellaneda_stoikov' or 'glft'"],
    [{ strategy: { kind: 'glft', gamma: 0 } }, 'strategy.gamma', 'positive'],
    [{ strategy: { kind: 'glft', A: 'one' } }, 'strategy.A', 'got "one"'],
    [
      { strategy: { kind: 'avellaneda_stoikov', horizon: { type: 'forever' } } },
      'strategy.horizon.type',
      "'finite'",
    ],
    [
      { strategy: { kind: 'avellaneda_stoikov', horizon: { type: 'finite', horizonSeconds: 0 } } },
      'strategy.horizon.horizonSeconds',
      'at least 1',
    ],
    [{ ladder: { levels: 0 } }, 'ladder.levels', 'at least 1'],
    [{ ladder: { levels: 11 } }, 'ladder.levels', 'at most 10'],
    [{ ladder: { levels: 2.5 } }, 'ladder.levels', 'integer'],
    [{ ladder: { levels: '3' } }, 'ladder.levels', 'got "3"'],
    [{ ladder: { sizeDecay: 0 } }, 'ladder.sizeDecay', 'greater than 0'],
    [{ ladder: { sizeDecay: 1.01 } }, 'ladder.sizeDecay', 'at most 1'],
    [{ ladder: { baseOrderSize: '0' } }, 'ladder.baseOrderSize', 'zero'],
    [{ ladder: { guardMid: 'yes' } }, 'ladder.guardMid', 'boolean'],
    [{ risk: { maxLoss: '-5' } }, 'risk.maxLoss', 'negative'],
    [{ risk: { maxOrderNotional: 1000 } }, 'risk.maxOrderNotional', 'decimal string'],
    [{ volatility: { method: 'garch' } }, 'volatility.method', "'rolling' or 'ewma'"],
    [{ volatility: { window: 1 } }, 'volatility.window', 'at least 2'],
    [{ refreshIntervalMs: 99 }, 'refreshIntervalMs', 'at least 100'],
    [{ refreshIntervalMs: Number.NaN }, 'refreshIntervalMs', 'got number NaN'],
    [{ priceSource: 'oracle' }, 'priceSource', "must be 'reference' or 'book_mid'"],
  ])('%j -> %s', (input, field, part) => {
    expectFieldError(() => parsePoolConfig(input), field, part);
  });

  it.each([
    [
      { spreadPolicy: { minSpreadBps: '50', maxSpreadBps: '40', defaultSpreadBps: '45' } },
      'spreadPolicy.maxSpreadBps',
      'must be >= minSpreadBps (50)',
    ],
    [
      { spreadPolicy: { defaultSpreadBps: '600' } },
      'spreadPolicy.defaultSpreadBps',
      'within [minSpreadBps, maxSpreadBps] = [10, 500]',
    ],
    [
      { spreadPolicy: { criticalImbalanceThreshold: 0.2 } },
      'spreadPolicy.criticalImbalanceThreshold',
      'greater than imbalanceThreshold (0.2)',
    ],
    [
      { spreadPolicy: { criticalImbalanceMultiplier: 1.1 } },
      'spreadPolicy.criticalImbalanceMultiplier',
      '>= moderateImbalanceMultiplier',
    ],
    [
      { spreadPolicy: { extremeVolatilityThreshold: 0.05 } },
      'spreadPolicy.extremeVolatilityThreshold',
      'greater than highVolatilityThreshold',
    ],
    [
      { spreadPolicy: { extremeVolatilityMultiplier: 1.5 } },
      'spreadPolicy.extremeVolatilityMultiplier',
      '>= highVolatilityMultiplier',
    ],
    [
      { spreadPolicy: { lowTvlThreshold: '50000' } },
      'spreadPolicy.mediumTvlThreshold',
      'greater than lowTvlThreshold (50000)',
    ],
    [{ ladder: { minSpreadFloorBps: '501' } }, 'ladder.minSpreadFloorBps', '<= spreadPolicy.maxSpreadBps'],
  ])('cross-field %j -> %s', (input, field, part) => {
    expectFieldError(() => parsePoolConfig(input), field, part);
  });

  it('refuses a non-object config', () => {
    for (const bad of [null, undefined, 'config', 42, []]) {
      expectFieldError(() => parsePoolConfig(bad), 'config', 'JSON object');
    }
  });

  it('reports every problem, the first one as the field', () => {
    const err = expectFieldError(
      () => parsePoolConfig({ ladder: { levels: 0 }, refreshIntervalMs: 1 }),
      'ladder.levels',
    );
    expect(err.message).toContain('refreshIntervalMs');
  });
});

describe('mergePoolConfig', () => {
  it('changes only what the patch names', () => {
    const merged = mergePoolConfig(DEFAULT_POOL_CONFIG, {
      spreadPolicy: { maxSpreadBps: '800' },
      ladder: { levels: 5 },
    });
    expect(merged.spreadPolicy.maxSpreadBps).toBe('800');
    expect(merged.spreadPolicy.minSpreadBps).toBe('10');
    expect(merged.ladder.levels).toBe(5);
    expect(merged.ladder.sizeDecay).toBe(0.7);
    expect(DEFAULT_POOL_CONFIG.spreadPolicy.maxSpreadBps).toBe('500');
  });

  it('replaces the strategy block when the kind changes and merges it otherwise', () => {
    const as = mergePoolConfig(DEFAULT_POOL_CONFIG, { strategy: { kind: 'avellaneda_stoikov', gamma: 0.2 } });
    expect(as.strategy).toEqual({
      kind: 'avellaneda_stoikov',
      parameterUnits: 'mid_relative',
      gamma: 0.2,
      k: 0.1,
      horizon: { type: 'infinite', rollingWindowSeconds: 60 },
    });
    const tweaked = mergePoolConfig(as, { strategy: { k: 3 } });
    expect(tweaked.strategy).toMatchObject({
      kind: 'avellaneda_stoikov',
      parameterUnits: 'mid_relative',
      gamma: 0.2,
      k: 3,
    });
    const finite = mergePoolConfig(as, { strategy: { horizon: { type: 'finite' } } });
    expect(finite.strategy).toMatchObject({ horizon: { type: 'finite', horizonSeconds: 300 } });
  });

  it('validates the merged whole', () => {
    expectFieldError(
      () => mergePoolConfig(DEFAULT_POOL_CONFIG, { spreadPolicy: { maxSpreadBps: '20' } }),
      'spreadPolicy.defaultSpreadBps',
      '[10, 20]',
    );
    expectFieldError(
      () => mergePoolConfig(DEFAULT_POOL_CONFIG, { spreadPolicy: { maxSpreadBps: '5' } }),
      'spreadPolicy.maxSpreadBps',
      'minSpreadBps (10)',
    );
    expectFieldError(() => mergePoolConfig(DEFAULT_POOL_CONFIG, { ladder: { levels: 99 } }), 'ladder.levels');
    expectFieldError(() => mergePoolConfig(DEFAULT_POOL_CONFIG, 'wider please'), 'patch', 'JSON object');
    expect(() => mergePoolConfig(DEFAULT_POOL_CONFIG, { nonsense: 1 })).toThrow(DomainValidationError);
  });
});

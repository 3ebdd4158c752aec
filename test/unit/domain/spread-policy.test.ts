import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Big,
  DEFAULT_POOL_CONFIG,
  evaluateSpread,
  formatDecimal,
  parsePoolConfig,
  type SpreadEvaluationInput,
  type SpreadPolicy,
} from '../../../domain';
import { expectFieldError } from './helpers';

const policy = DEFAULT_POOL_CONFIG.spreadPolicy;
const calm: SpreadEvaluationInput = {
  currentSpreadBps: new Big(30),
  inventoryShare: new Big('0.5'),
  volatility: 0,
  tvl: new Big(100_000),
  previousVolatilityRegime: 'normal',
};
const evalWith = (patch: Partial<SpreadEvaluationInput>, p: SpreadPolicy = policy) =>
  evaluateSpread({ ...calm, ...patch }, p);
const target = (patch: Partial<SpreadEvaluationInput>, p?: SpreadPolicy) =>
  formatDecimal(evalWith(patch, p).targetSpreadBps);

describe('evaluateSpread thresholds (default 30 bps)', () => {
  it('a calm, deep, balanced pool stays at the default', () => {
    const r = evalWith({});
    expect(formatDecimal(r.targetSpreadBps)).toBe('30');
    expect(r.reasons).toEqual([]);
    expect(r.shouldAdjust).toBe(false);
    expect(r.events).toEqual([]);
    expect(r.imbalance.level).toBe('none');
  });

  it('imbalance: exactly 0.2 is none, just above is moderate (x1.25 = 37.5)', () => {
    expect(target({ inventoryShare: new Big('0.7') })).toBe('30');
    expect(target({ inventoryShare: new Big('0.3') })).toBe('30');
    const above = evalWith({ inventoryShare: new Big('0.7000001') });
    expect(formatDecimal(above.targetSpreadBps)).toBe('37.5');
    expect(above.reasons).toEqual(['inventory_imbalance_moderate']);
    expect(above.imbalance).toMatchObject({ level: 'moderate', recommendedAction: 'monitor' });
    expect(formatDecimal(above.imbalance.value)).toBe('0.2000001');
    expect(target({ inventoryShare: new Big('0.2999999') })).toBe('37.5');
    expect(above.events).toEqual([
      {
        type: 'inventory_imbalance_detected',
        payload: {
          inventoryShare: '0.7000001',
          targetShare: '0.5',
          imbalance: '0.2000001',
          severity: 'moderate',
          recommendedAction: 'monitor',
        },
      },
    ]);
  });

  it('imbalance: exactly 0.4 is moderate, just above is critical (x1.5 = 45) and asks for rebalancing', () => {
    expect(target({ inventoryShare: new Big('0.9') })).toBe('37.5');
    const critical = evalWith({ inventoryShare: new Big('0.9000001') });
    expect(formatDecimal(critical.targetSpreadBps)).toBe('45');
    expect(critical.reasons).toEqual(['inventory_imbalance_critical']);
    expect(critical.imbalance).toMatchObject({ level: 'critical', recommendedAction: 'rebalance' });
    expect(critical.events[0]).toMatchObject({
      type: 'inventory_imbalance_detected',
      payload: { severity: 'critical', recommendedAction: 'rebalance' },
    });
    expect(target({ inventoryShare: new Big('0.0999999') })).toBe('45');
  });

  it('volatility: exactly 5% is normal, just above is high (x2 = 60); exactly 10% high, above extreme (x3 = 90)', () => {
    expect(target({ volatility: 0.05 })).toBe('30');
    const high = evalWith({ volatility: 0.0500001 });
    expect(formatDecimal(high.targetSpreadBps)).toBe('60');
    expect(high.volatilityRegime).toBe('high');
    expect(high.reasons).toEqual(['volatility_high']);
    expect(high.events).toEqual([
      {
        type: 'market_volatility_changed',
        payload: { volatility: 0.0500001, oldRegime: 'normal', newRegime: 'high' },
      },
    ]);
    expect(target({ volatility: 0.1 })).toBe('60');
    const extreme = evalWith({ volatility: 0.1000001 });
    expect(formatDecimal(extreme.targetSpreadBps)).toBe('90');
    expect(extreme.reasons).toEqual(['volatility_extreme']);
  });

  it('records a volatility change only when the regime changes', () => {
    expect(evalWith({ volatility: 0.07, previousVolatilityRegime: 'high' }).events).toEqual([]);
    expect(evalWith({ volatility: 0.01, previousVolatilityRegime: 'extreme' }).events).toEqual([
      {
        type: 'market_volatility_changed',
        payload: { volatility: 0.01, oldRegime: 'extreme', newRegime: 'normal' },
      },
    ]);
  });

  it('records an imbalance only when its level changes, if the previous level is known', () => {
    expect(evalWith({ inventoryShare: new Big('0.75'), previousImbalanceLevel: 'moderate' }).events).toEqual(
      [],
    );
    expect(
      evalWith({ inventoryShare: new Big('0.95'), previousImbalanceLevel: 'moderate' }).events,
    ).toHaveLength(1);
  });

  it('TVL: exactly 50,000 applies nothing, just below is medium (x1.2 = 36); exactly 10,000 medium, below low (x1.5 = 45)', () => {
    expect(target({ tvl: new Big('50000') })).toBe('30');
    expect(target({ tvl: new Big('49999.99') })).toBe('36');
    expect(evalWith({ tvl: new Big('49999.99') }).reasons).toEqual(['tvl_medium']);
    expect(target({ tvl: new Big('10000') })).toBe('36');
    expect(target({ tvl: new Big('9999.99') })).toBe('45');
    expect(evalWith({ tvl: new Big('9999.99') }).reasons).toEqual(['tvl_low']);
  });

  it('multipliers multiply: critical x extreme x low TVL = 30 x 1.5 x 3 x 1.5 = 202.5', () => {
    const r = evalWith({ inventoryShare: new Big('0.05'), volatility: 0.2, tvl: new Big(5000) });
    expect(formatDecimal(r.targetSpreadBps)).toBe('202.5');
    expect(r.reasons).toEqual(['inventory_imbalance_critical', 'volatility_extreme', 'tvl_low']);
  });

  it('clamps to max (and to min as a safety net)', () => {
    const tight = parsePoolConfig({ spreadPolicy: { maxSpreadBps: '150' } }).spreadPolicy;
    const r = evalWith({ inventoryShare: new Big('0.05'), volatility: 0.2, tvl: new Big(5000) }, tight);
    expect(formatDecimal(r.targetSpreadBps)).toBe('150');
    expect(formatDecimal(r.rawSpreadBps)).toBe('202.5');
    expect(r.reasons).toContain('clamped_max');
    // A valid config cannot go below min (multipliers are >= 1); a hand-built policy can.
    const low = { ...policy, defaultSpreadBps: '5' };
    const m = evalWith({}, low);
    expect(formatDecimal(m.targetSpreadBps)).toBe('10');
    expect(m.reasons).toEqual(['clamped_min']);
  });

  it('hysteresis: a change of exactly 10% of the current spread is not made, just above it is', () => {
    // current 30 -> 10% is 3 bps.
    expect(evalWith({}, { ...policy, defaultSpreadBps: '33' }).shouldAdjust).toBe(false);
    expect(evalWith({}, { ...policy, defaultSpreadBps: '33.0001' }).shouldAdjust).toBe(true);
    expect(evalWith({}, { ...policy, defaultSpreadBps: '27' }).shouldAdjust).toBe(false);
    expect(evalWith({}, { ...policy, defaultSpreadBps: '26.9999' }).shouldAdjust).toBe(true);
    // 30 -> 37.5 is a 25% change.
    expect(evalWith({ inventoryShare: new Big('0.8') }).shouldAdjust).toBe(true);
    // From no spread at all any target adjusts.
    expect(evalWith({ currentSpreadBps: new Big(0) }).shouldAdjust).toBe(true);
  });

  it('refuses bad inputs naming the field', () => {
    expectFieldError(() => evalWith({ inventoryShare: new Big('1.1') }), 'inventoryShare', '[0, 1]');
    expectFieldError(() => evalWith({ tvl: new Big('-1') }), 'tvl', 'negative');
    expectFieldError(() => evalWith({ volatility: Number.NaN }), 'volatility', 'finite');
    expectFieldError(() => evalWith({ currentSpreadBps: new Big('-3') }), 'currentSpreadBps', 'negative');
  });

  it('property: the target stays within [min, max] for any market and any valid policy', () => {
    const policyArb = fc
      .record({
        min: fc.integer({ min: 1, max: 100 }),
        extra: fc.integer({ min: 0, max: 400 }),
        pos: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map(({ min, extra, pos }) => {
        const max = min + extra;
        const dflt = Math.round(min + pos * extra);
        return parsePoolConfig({
          spreadPolicy: {
            minSpreadBps: String(min),
            maxSpreadBps: String(max),
            defaultSpreadBps: String(dflt),
          },
        }).spreadPolicy;
      });
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 5000 }),
        (p, shareMillionths, vol, tvl, current) => {
          const r = evaluateSpread(
            {
              currentSpreadBps: new Big(current),
              inventoryShare: new Big(shareMillionths).div(1_000_000),
              volatility: vol,
              tvl: new Big(tvl),
              previousVolatilityRegime: 'normal',
            },
            p,
          );
          expect(r.targetSpreadBps.gte(p.minSpreadBps)).toBe(true);
          expect(r.targetSpreadBps.lte(p.maxSpreadBps)).toBe(true);
          expect(r.rawSpreadBps.gte(p.defaultSpreadBps)).toBe(true);
        },
      ),
    );
  });
});

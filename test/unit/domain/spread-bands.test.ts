import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Big,
  DEFAULT_POOL_CONFIG,
  evaluateSpread,
  formatDecimal,
  parsePoolConfig,
  type ImbalanceLevel,
  type SpreadEvaluation,
  type SpreadEvaluationOptions,
  type SpreadPolicy,
  type TvlTier,
} from '../../../domain';

const policy = DEFAULT_POOL_CONFIG.spreadPolicy;

interface Market {
  share: Big;
  tvl: Big;
}
const market = (share: string | Big, tvl: string | number | Big = 100_000): Market => ({
  share: new Big(share),
  tvl: new Big(tvl),
});

/**
 * Evaluates a sequence of markets as the saga does: each evaluation's tiers are the next one's
 * previous tiers, and the spread moves only when the evaluation says so.
 */
function evaluateSequence(
  markets: readonly Market[],
  p: SpreadPolicy = policy,
  options: SpreadEvaluationOptions = {},
  startSpread = '30',
): SpreadEvaluation[] {
  let current = new Big(startSpread);
  let level: ImbalanceLevel = 'none';
  let tier: TvlTier = 'deep';
  return markets.map((m) => {
    const ev = evaluateSpread(
      {
        currentSpreadBps: current,
        inventoryShare: m.share,
        volatility: 0,
        tvl: m.tvl,
        previousVolatilityRegime: 'normal',
        previousImbalanceLevel: level,
        previousTvlTier: tier,
      },
      p,
      options,
    );
    level = ev.imbalance.level;
    tier = ev.tvlTier;
    if (ev.shouldAdjust) current = ev.targetSpreadBps;
    return ev;
  });
}

const levels = (evs: SpreadEvaluation[]) => evs.map((e) => e.imbalance.level);
const imbalanceEvents = (evs: SpreadEvaluation[]) =>
  evs.flatMap((e) => e.events).filter((e) => e.type === 'inventory_imbalance_detected');

/** A share whose imbalance is `millionths` / 10^6, on either side of the 0.5 target. */
const shareArb = (minMillionths: number, maxMillionths: number) =>
  fc
    .tuple(fc.integer({ min: minMillionths, max: maxMillionths }), fc.boolean())
    .map(([m, above]) => new Big(0.5).plus(new Big(m).div(1_000_000).times(above ? 1 : -1)));

describe('imbalance tiers have an enter/exit band (imbalanceHysteresis, default 0.1)', () => {
  it('a share hovering at 0.70 enters moderate once: one event, one adjustment, no flipping back', () => {
    const hover = ['0.7001', '0.6999', '0.7001', '0.6995', '0.7003', '0.6990'].map((s) => market(s));
    const evs = evaluateSequence(hover);
    expect(levels(evs)).toEqual(Array(6).fill('moderate'));
    expect(imbalanceEvents(evs)).toHaveLength(1);
    expect(evs.map((e) => e.shouldAdjust)).toEqual([true, false, false, false, false, false]);
    expect(evs.map((e) => formatDecimal(e.targetSpreadBps))).toEqual(Array(6).fill('37.5'));
  });

  it('moderate is entered strictly above 0.2 and left at or below 0.18 (0.2 x 0.9)', () => {
    expect(levels(evaluateSequence([market('0.7')]))).toEqual(['none']);
    expect(levels(evaluateSequence([market('0.7000001'), market('0.6800001')]))).toEqual([
      'moderate',
      'moderate',
    ]);
    const left = evaluateSequence([market('0.7000001'), market('0.68')]);
    expect(levels(left)).toEqual(['moderate', 'none']);
    expect(left[1]!.shouldAdjust).toBe(true);
    expect(formatDecimal(left[1]!.targetSpreadBps)).toBe('30');
    // Same on the quote-heavy side.
    expect(levels(evaluateSequence([market('0.2999999'), market('0.3199999'), market('0.32')]))).toEqual([
      'moderate',
      'moderate',
      'none',
    ]);
  });

  it('critical is left at or below 0.36 (0.4 x 0.9), to moderate while above 0.18', () => {
    expect(levels(evaluateSequence([market('0.95'), market('0.8600001'), market('0.86')]))).toEqual([
      'critical',
      'critical',
      'moderate',
    ]);
    expect(levels(evaluateSequence([market('0.95'), market('0.5')]))).toEqual(['critical', 'none']);
  });

  it('0 disables the band: the hovering share flips the level and records an event on every entry', () => {
    const noBand = parsePoolConfig({ spreadPolicy: { imbalanceHysteresis: 0 } }).spreadPolicy;
    const evs = evaluateSequence(
      ['0.7001', '0.6999', '0.7001', '0.6999'].map((s) => market(s)),
      noBand,
    );
    expect(levels(evs)).toEqual(['moderate', 'none', 'moderate', 'none']);
    expect(imbalanceEvents(evs)).toHaveLength(2);
  });

  it('property: with the share oscillating inside the moderate band, the tier, target and events do not change', () => {
    fc.assert(
      fc.property(
        shareArb(200_001, 400_000),
        fc.array(shareArb(180_001, 220_000), { minLength: 1, maxLength: 40 }),
        (entry, hover) => {
          const evs = evaluateSequence([entry, ...hover].map((s) => market(s)));
          expect(new Set(levels(evs))).toEqual(new Set(['moderate']));
          expect(imbalanceEvents(evs)).toHaveLength(1);
          expect(evs.slice(1).every((e) => e.events.length === 0 && !e.shouldAdjust)).toBe(true);
          expect(new Set(evs.map((e) => e.reasons.join()))).toEqual(
            new Set(['inventory_imbalance_moderate']),
          );
        },
      ),
    );
  });

  it('property: with the share oscillating inside the critical band, it stays critical with no new event', () => {
    fc.assert(
      fc.property(
        shareArb(400_001, 500_000),
        fc.array(shareArb(360_001, 440_000), { minLength: 1, maxLength: 40 }),
        (entry, hover) => {
          const evs = evaluateSequence([entry, ...hover].map((s) => market(s)));
          expect(new Set(levels(evs))).toEqual(new Set(['critical']));
          expect(imbalanceEvents(evs)).toHaveLength(1);
          expect(evs.slice(1).every((e) => e.events.length === 0 && !e.shouldAdjust)).toBe(true);
        },
      ),
    );
  });
});

describe('TVL tiers have an enter/exit band (tvlHysteresis, default 0.1)', () => {
  const tiers = (evs: SpreadEvaluation[]) => evs.map((e) => e.tvlTier);

  it('low is entered strictly below 10,000 and left at or above 11,000; medium left at or above 55,000', () => {
    expect(tiers(evaluateSequence([market('0.5', '10000')]))).toEqual(['medium']);
    expect(tiers(evaluateSequence([market('0.5', '9999.99'), market('0.5', '10999.99')]))).toEqual([
      'low',
      'low',
    ]);
    expect(tiers(evaluateSequence([market('0.5', '9999.99'), market('0.5', '11000')]))).toEqual([
      'low',
      'medium',
    ]);
    expect(tiers(evaluateSequence([market('0.5', '49999'), market('0.5', '54999.99')]))).toEqual([
      'medium',
      'medium',
    ]);
    expect(tiers(evaluateSequence([market('0.5', '49999'), market('0.5', '55000')]))).toEqual([
      'medium',
      'deep',
    ]);
    // From low straight past 55,000: no tier to hold.
    expect(tiers(evaluateSequence([market('0.5', '5000'), market('0.5', '60000')]))).toEqual(['low', 'deep']);
  });

  it('property: with TVL oscillating inside the low band, the tier and the spread do not change', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 999_999 }),
        fc.array(fc.integer({ min: 900_000, max: 1_099_999 }), { minLength: 1, maxLength: 40 }),
        (entryCents, hoverCents) => {
          const tvls = [entryCents, ...hoverCents].map((c) => new Big(c).div(100));
          const evs = evaluateSequence(tvls.map((t) => market('0.5', t)));
          expect(new Set(tiers(evs))).toEqual(new Set(['low']));
          expect(evs.slice(1).every((e) => !e.shouldAdjust && e.reasons.join() === 'tvl_low')).toBe(true);
        },
      ),
    );
  });

  it('property: with TVL oscillating inside the medium band, the tier and the spread do not change', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000_000, max: 4_999_999 }),
        fc.array(fc.integer({ min: 4_500_000, max: 5_499_999 }), { minLength: 1, maxLength: 40 }),
        (entryCents, hoverCents) => {
          const tvls = [entryCents, ...hoverCents].map((c) => new Big(c).div(100));
          const evs = evaluateSequence(tvls.map((t) => market('0.5', t)));
          expect(new Set(tiers(evs))).toEqual(new Set(['medium']));
          expect(evs.slice(1).every((e) => !e.shouldAdjust && e.reasons.join() === 'tvl_medium')).toBe(true);
        },
      ),
    );
  });
});

describe('a current spread outside [minSpreadBps, maxSpreadBps] is always corrected', () => {
  const evaluateAt = (current: string, p: SpreadPolicy, options: SpreadEvaluationOptions = {}) =>
    evaluateSpread(
      {
        currentSpreadBps: new Big(current),
        inventoryShare: new Big('0.5'),
        volatility: 0,
        tvl: new Big(100_000),
        previousVolatilityRegime: 'normal',
      },
      p,
      options,
    );

  it('maxSpreadBps lowered to 28 below a current 30: adjusted to 28 though the change is within the 10% deadband', () => {
    const lowered = parsePoolConfig({
      spreadPolicy: { maxSpreadBps: '28', defaultSpreadBps: '28' },
    }).spreadPolicy;
    const r = evaluateAt('30', lowered);
    expect(r.shouldAdjust).toBe(true);
    expect(formatDecimal(r.targetSpreadBps)).toBe('28');
    expect(r.reasons).toEqual(['clamped_max']);
  });

  it('minSpreadBps raised to 11 above a current 10.5: adjusted to 11', () => {
    const raised = parsePoolConfig({
      spreadPolicy: { minSpreadBps: '11', defaultSpreadBps: '11' },
    }).spreadPolicy;
    const r = evaluateAt('10.5', raised);
    expect(r.shouldAdjust).toBe(true);
    expect(formatDecimal(r.targetSpreadBps)).toBe('11');
    expect(r.reasons).toEqual(['clamped_min']);
  });

  it('the v0.1.0 rules (replaying old saga runs) still hold it, as they did', () => {
    const lowered = parsePoolConfig({
      spreadPolicy: { maxSpreadBps: '28', defaultSpreadBps: '28' },
    }).spreadPolicy;
    expect(evaluateAt('30', lowered, { legacy: true }).shouldAdjust).toBe(false);
    // …and have no bands either.
    const evs = evaluateSequence(
      ['0.7001', '0.6999', '0.7001'].map((s) => market(s)),
      policy,
      { legacy: true },
    );
    expect(levels(evs)).toEqual(['moderate', 'none', 'moderate']);
  });

  it('property: out of bounds always adjusts into bounds; within bounds the deadband decides as before', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 400 }),
        fc.boolean(),
        // Near a bound, where the deadband used to hold a spread that is out of bounds.
        fc.integer({ min: 80, max: 120 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (min, extra, nearMin, percent, shareMillionths) => {
          const max = min + extra;
          const p = parsePoolConfig({
            spreadPolicy: {
              minSpreadBps: String(min),
              maxSpreadBps: String(max),
              defaultSpreadBps: String(nearMin ? min : max),
            },
          }).spreadPolicy;
          const current = new Big(nearMin ? min : max).times(percent).div(100);
          const input = {
            currentSpreadBps: current,
            inventoryShare: new Big(shareMillionths).div(1_000_000),
            volatility: 0,
            tvl: new Big(100_000),
            previousVolatilityRegime: 'normal' as const,
          };
          const r = evaluateSpread(input, p);
          if (current.lt(min) || current.gt(max)) {
            expect(r.shouldAdjust).toBe(true);
            expect(r.targetSpreadBps.gte(min) && r.targetSpreadBps.lte(max)).toBe(true);
          } else {
            expect(r.shouldAdjust).toBe(evaluateSpread(input, p, { legacy: true }).shouldAdjust);
          }
        },
      ),
    );
  });
});

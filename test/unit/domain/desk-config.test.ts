import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEDGE_LOT,
  nettingRules,
  parseDeskHedging,
  parseDeskId,
  parseDeskPools,
  parseSupervisorLimits,
  skewedTargetShare,
} from '../../../domain/desk-config';
import { Big } from '../../../domain/money';
import { netHedges } from '../../../domain/netting';

describe("a desk supervisor's settings from plain JSON", () => {
  it('refuses a desk id that could not name a workflow or a stream, naming the field', () => {
    expect(parseDeskId('desk-1')).toBe('desk-1');
    expect(() => parseDeskId('desk/1')).toThrow(/deskId must be 1-48 letters/);
    expect(() => parseDeskId('x'.repeat(49))).toThrow(/deskId/);
  });

  it('keeps each pool once, sorted, and names the bad entry', () => {
    expect(parseDeskPools(['b', 'a', 'b'])).toEqual(['a', 'b']);
    expect(() => parseDeskPools(['a', 'bad id'])).toThrow(/pools\[1\] is not a pool id/);
    expect(() => parseDeskPools('a')).toThrow(/pools must be an array/);
  });

  it("takes 'skew' with a shift strictly between 0 and 0.5, and names a bad shift", () => {
    expect(parseSupervisorLimits({ exposureAction: 'skew' })).toMatchObject({
      exposureAction: 'skew',
      skewShift: 0.1,
    });
    expect(parseSupervisorLimits({ maxNetExposure: { ETH: '50000' } }).exposureAction).toBe('pause');
    expect(parseSupervisorLimits({ exposureAction: 'skew', skewShift: 0.2 }).skewShift).toBe(0.2);
    expect(() => parseSupervisorLimits({ skewShift: 0 })).toThrow(/limits.skewShift must be greater than 0/);
    expect(() => parseSupervisorLimits({ skewShift: 0.5 })).toThrow(/limits.skewShift must be less than 0.5/);
    expect(() => parseSupervisorLimits({ skewShift: '0.1' })).toThrow(
      /limits.skewShift must be a number above 0 and below 0.5/,
    );
  });

  it('a skewed target moves by the shift toward shedding the exposure, and stays a valid share', () => {
    expect(skewedTargetShare(0.5, 'sell_base', 0.1)).toBe(0.4);
    expect(skewedTargetShare(0.5, 'buy_base', 0.1)).toBe(0.6);
    expect(skewedTargetShare(0.3, 'sell_base', 0.1)).toBe(0.2);
    expect(skewedTargetShare(0.1, 'sell_base', 0.3)).toBe(0.05);
    expect(skewedTargetShare(0.9, 'buy_base', 0.49)).toBe(0.95);
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.constantFrom('sell_base' as const, 'buy_base' as const),
        fc.double({ min: 0.0001, max: 0.4999, noNaN: true }),
        (current, favour, shift) => {
          const t = skewedTargetShare(current, favour, shift);
          expect(t).toBeGreaterThan(0);
          expect(t).toBeLessThan(1);
          // Never away from shedding: selling base lowers the target (or holds it at the floor).
          if (favour === 'sell_base') expect(t).toBeLessThanOrEqual(Math.max(current, 0.05));
          else expect(t).toBeGreaterThanOrEqual(Math.min(current, 0.95));
        },
      ),
    );
  });

  it('hedging is off by default, and an unknown field or a bad amount is named', () => {
    expect(parseDeskHedging({})).toMatchObject({ enabled: false, cooldownSeconds: 60, hedgeTo: 'zero' });
    expect(() => parseDeskHedging({ enable: true })).toThrow(/hedging.enable is not a known field/);
    expect(() => parseDeskHedging({ assets: { ETH: { tolerance: 'x' } } })).toThrow(
      /hedging.assets.ETH.tolerance/,
    );
    expect(() => parseDeskHedging({ cooldownSeconds: -1 })).toThrow(
      /hedging.cooldownSeconds must not be negative/,
    );
  });

  it("nets on the venue's grid by default, and per asset where configured", () => {
    const rules = nettingRules(
      parseDeskHedging({ enabled: true, assets: { ETH: { tolerance: '0.5', lotSize: '0.001' } } }),
      'USDC',
    );
    const plan = netHedges(
      [
        { poolId: 'a', asset: 'ETH', quantity: new Big('1.23456') },
        { poolId: 'b', asset: 'ETH', quantity: new Big('-0.1') },
        { poolId: 'c', asset: 'BTC', quantity: new Big('0.123456789') },
        { poolId: 'd', asset: 'SOL', quantity: new Big('0.2') },
        { poolId: 'e', asset: 'SOL', quantity: new Big('-0.2') },
      ],
      rules,
    );
    expect(plan.hedges.map((h) => [h.asset, h.side, h.quantity.toFixed()])).toEqual([
      ['BTC', 'buy', new Big('0.12345678').toFixed()],
      ['ETH', 'buy', '1.134'],
    ]);
    expect(rules.defaults!.lotSize!.toFixed()).toBe(new Big(DEFAULT_HEDGE_LOT).toFixed());
  });
});

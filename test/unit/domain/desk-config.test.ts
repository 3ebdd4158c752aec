import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEDGE_LOT,
  nettingRules,
  parseDeskHedging,
  parseDeskId,
  parseDeskPools,
  parseSupervisorLimits,
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

  it("refuses 'skew', which no market maker carries out yet, and says what to use", () => {
    expect(() => parseSupervisorLimits({ exposureAction: 'skew' })).toThrow(/use 'pause' or 'stop'/);
    expect(parseSupervisorLimits({ maxNetExposure: { ETH: '50000' } }).exposureAction).toBe('pause');
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

import { describe, expect, it } from 'vitest';
import {
  Big,
  DEFAULT_POOL_CONFIG,
  evaluateRisk,
  mostSevere,
  parsePoolConfig,
  type RiskInput,
} from '../../../domain';
import { expectFieldError } from './helpers';

const limits = DEFAULT_POOL_CONFIG.risk; // maxLoss 100000, deviation 0.45, vol 0.2, age 30 s, notional 1000000
const ok: RiskInput = {
  inventoryShare: new Big('0.5'),
  targetShare: 0.5,
  pnl: new Big('-10'),
  volatility: 0.01,
  largestOrderNotional: new Big('2000'),
  priceAgeSeconds: 1,
};
const run = (patch: Partial<RiskInput>) => evaluateRisk({ ...ok, ...patch }, limits);

describe('evaluateRisk', () => {
  it('continues inside every limit', () => {
    expect(run({})).toEqual({ action: 'continue', reasons: [] });
  });

  it('max loss: exactly the limit continues, beyond it stops', () => {
    expect(run({ pnl: new Big('-100000') }).action).toBe('continue');
    expect(run({ pnl: new Big('-100000.01') })).toEqual({
      action: 'stop',
      reasons: [{ limit: 'maxLoss', value: '100000.01', threshold: '100000' }],
    });
    expect(run({ pnl: new Big('500000') }).action).toBe('continue');
  });

  it('inventory deviation beyond the limit flattens', () => {
    expect(run({ inventoryShare: new Big('0.95') }).action).toBe('continue');
    expect(run({ inventoryShare: new Big('0.9501') })).toEqual({
      action: 'flatten',
      reasons: [{ limit: 'maxInventoryDeviation', value: '0.4501', threshold: '0.45' }],
    });
    expect(run({ inventoryShare: new Big('0.0499') }).action).toBe('flatten');
  });

  it('volatility above max and a stale price pause for the cool-down', () => {
    expect(run({ volatility: 0.2 }).action).toBe('continue');
    expect(run({ volatility: 0.21 })).toEqual({
      action: 'pause',
      cooldownSeconds: 60,
      reasons: [{ limit: 'maxVolatility', value: '0.21', threshold: '0.2' }],
    });
    expect(run({ priceAgeSeconds: 30 }).action).toBe('continue');
    expect(run({ priceAgeSeconds: 30.5 })).toMatchObject({
      action: 'pause',
      reasons: [{ limit: 'maxPriceAgeSeconds', value: '30.5', threshold: '30' }],
    });
  });

  it('an oversized order widens (refuse and requote)', () => {
    expect(run({ largestOrderNotional: new Big('1000000') }).action).toBe('continue');
    expect(run({ largestOrderNotional: new Big('1000000.5') })).toEqual({
      action: 'widen',
      reasons: [{ limit: 'maxOrderNotional', value: '1000000.5', threshold: '1000000' }],
    });
  });

  it('takes the most severe action and reports every breach', () => {
    const r = run({
      pnl: new Big('-200000'),
      inventoryShare: new Big('1'),
      volatility: 1,
      priceAgeSeconds: 99,
      largestOrderNotional: new Big('2000000'),
    });
    expect(r.action).toBe('stop');
    expect(r.reasons.map((x) => x.limit)).toEqual([
      'maxLoss',
      'maxInventoryDeviation',
      'maxVolatility',
      'maxPriceAgeSeconds',
      'maxOrderNotional',
    ]);
    expect(run({ inventoryShare: new Big('1'), volatility: 1 }).action).toBe('flatten');
    expect(run({ volatility: 1, largestOrderNotional: new Big('2000000') }).action).toBe('pause');
    expect(mostSevere(['widen', 'continue', 'pause', 'widen'])).toBe('pause');
    expect(mostSevere([])).toBe('continue');
  });

  it('uses the configured limits', () => {
    const tight = parsePoolConfig({ risk: { maxLoss: '5' } }).risk;
    expect(evaluateRisk(ok, tight).action).toBe('stop');
  });

  it('refuses bad inputs naming the field', () => {
    expectFieldError(() => run({ volatility: -1 }), 'volatility');
    expectFieldError(() => run({ priceAgeSeconds: Number.NaN }), 'priceAgeSeconds');
    expectFieldError(() => run({ largestOrderNotional: new Big(-1) }), 'largestOrderNotional');
  });
});

describe('the inventory limit measured from a 30% target (issue 13, item 6)', () => {
  const tight = parsePoolConfig({ risk: { maxInventoryDeviation: 0.15 } }).risk;
  const at = (share: string) =>
    evaluateRisk({ ...ok, inventoryShare: new Big(share), targetShare: 0.3 }, tight).action;
  it('a pool sitting on 30% is within the limit; 50% and 10% are 0.2 away and flatten', () => {
    expect(at('0.3')).toBe('continue');
    expect(at('0.44')).toBe('continue');
    expect(at('0.5')).toBe('flatten');
    expect(at('0.1')).toBe('flatten');
  });
});

import { describe, expect, it } from 'vitest';
import { Big, computePnl, formatDecimal, type PnlInput } from '../../../domain';
import { expectFieldError } from './helpers';

const B = (s: string | number) => new Big(s);

describe('computePnl', () => {
  // Start 10 base + 20000 quote; later +1 base, +2000 quote added. Today: 9 base, 25000 quote, mid 2500, fees 50.
  // hold = (10 + 1) x 2500 + 20000 + 2000 = 49500; current = 9 x 2500 + 25000 = 47500;
  // total = -2000, trade = -2050, return = -2000 / 49500 x 100 = -4.04040404 (8 dp).
  const input: PnlInput = {
    initialBase: B(10),
    initialQuote: B(20000),
    netBaseContributed: B(1),
    netQuoteContributed: B(2000),
    currentBase: B(9),
    currentQuote: B(25000),
    mid: B(2500),
    fees: B(50),
  };

  it("values the hold benchmark at today's mid, hand-computed", () => {
    const r = computePnl(input);
    expect(formatDecimal(r.holdValue)).toBe('49500');
    expect(formatDecimal(r.currentValue)).toBe('47500');
    expect(formatDecimal(r.totalPnl)).toBe('-2000');
    expect(formatDecimal(r.tradePnl)).toBe('-2050');
    expect(formatDecimal(r.fees)).toBe('50');
    expect(formatDecimal(r.returnPct)).toBe('-4.04040404');
  });

  it('adding or removing liquidity is not profit or loss', () => {
    const r = computePnl({
      ...input,
      netBaseContributed: B(-4),
      netQuoteContributed: B(5000),
      currentBase: B(6),
      currentQuote: B(25000),
      fees: B(0),
    });
    expect(formatDecimal(r.totalPnl)).toBe('0');
    expect(formatDecimal(r.returnPct)).toBe('0');
  });

  it('an empty benchmark gives a 0% return rather than dividing by zero', () => {
    const zero = B(0);
    const r = computePnl({
      ...input,
      initialBase: zero,
      initialQuote: zero,
      netBaseContributed: zero,
      netQuoteContributed: zero,
      currentBase: zero,
      currentQuote: zero,
    });
    expect(formatDecimal(r.returnPct)).toBe('0');
  });

  it('refuses bad inputs naming the field', () => {
    expectFieldError(() => computePnl({ ...input, mid: B(0) }), 'mid');
    expectFieldError(() => computePnl({ ...input, currentQuote: B(-1) }), 'currentQuote');
  });
});

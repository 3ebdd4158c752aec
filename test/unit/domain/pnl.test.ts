import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Big, computePnl, formatDecimal, type PnlInput } from '../../../domain';
import { expectFieldError } from './helpers';

const B = (s: string | number) => new Big(s);

describe('computePnl', () => {
  // Start 10 base + 20000 quote (45000 at the mid of 2500 then); later +1 base, +2000 quote added
  // (peak capital 49500). Today: 9 base, 25000 quote, mid 2500; the hedge venue charged 50.
  // hold = (10 + 1) x 2500 + 20000 + 2000 = 49500; current = 9 x 2500 + 25000 = 47500;
  // total = -2000 (fees included); before fees = -1950; return = -2000 / 49500 x 100 = -4.04040404.
  const input: PnlInput = {
    initialBase: B(10),
    initialQuote: B(20000),
    netBaseContributed: B(1),
    netQuoteContributed: B(2000),
    currentBase: B(9),
    currentQuote: B(25000),
    mid: B(2500),
    tradingFeesEarned: B(0),
    hedgeFeesPaid: B(50),
    peakCapital: B(49500),
  };

  it('counts hedge fees paid as a cost, and trading fees earned as income, hand-computed', () => {
    const r = computePnl(input);
    expect(formatDecimal(r.holdValue)).toBe('49500');
    expect(formatDecimal(r.currentValue)).toBe('47500');
    expect(formatDecimal(r.totalPnl)).toBe('-2000');
    expect(formatDecimal(r.feesPaid)).toBe('50');
    expect(formatDecimal(r.fees)).toBe('-50');
    expect(formatDecimal(r.tradePnl)).toBe('-1950');
    expect(formatDecimal(r.returnPct!)).toBe('-4.04040404');

    const earning = computePnl({ ...input, tradingFeesEarned: B(80) });
    expect(formatDecimal(earning.fees)).toBe('30');
    expect(formatDecimal(earning.tradePnl)).toBe('-2030');
  });

  it('after everything is withdrawn (hold value 0) the return is on the peak capital, not 0', () => {
    // Start 10 base + 20000 quote, worth 45000 when contributed; all of it withdrawn; 0.1 base and
    // 300 quote of profit remain. mid 2000: hold 0, current 500, return 500 / 45000.
    const r = computePnl({
      ...input,
      netBaseContributed: B(-10),
      netQuoteContributed: B(-20000),
      currentBase: B('0.1'),
      currentQuote: B(300),
      mid: B(2000),
      hedgeFeesPaid: B(0),
      peakCapital: B(45000),
    });
    expect(formatDecimal(r.holdValue)).toBe('0');
    expect(formatDecimal(r.totalPnl)).toBe('500');
    expect(formatDecimal(r.returnPct!)).toBe('1.11111111');
  });

  it('a negative hold value (more withdrawn than put in) does not flip the sign of the return', () => {
    const r = computePnl({
      ...input,
      netBaseContributed: B(-10),
      netQuoteContributed: B(-25000),
      currentBase: B(0),
      currentQuote: B(100),
      mid: B(2000),
      hedgeFeesPaid: B(0),
      peakCapital: B(45000),
    });
    expect(formatDecimal(r.holdValue)).toBe('-5000');
    expect(formatDecimal(r.totalPnl)).toBe('5100');
    expect(formatDecimal(r.returnPct!)).toBe('11.33333333');
  });

  it('no capital ever at risk, or unknown capital: the return is undefined (null), not 0', () => {
    expect(computePnl({ ...input, peakCapital: B(0) }).returnPct).toBeNull();
    expect(computePnl({ ...input, peakCapital: null }).returnPct).toBeNull();
  });

  it('property: adding or removing liquidity is not profit or loss; more value is a higher return', () => {
    const amount = fc.integer({ min: 0, max: 1_000_000 }).map((n) => B(n).div(100));
    fc.assert(
      fc.property(
        amount,
        amount,
        amount,
        amount,
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (base, quote, addBase, addQuote, midCents, peak) => {
          const mid = B(midCents).div(100);
          const r = computePnl({
            ...input,
            initialBase: base,
            initialQuote: quote,
            netBaseContributed: addBase,
            netQuoteContributed: addQuote,
            currentBase: base.plus(addBase),
            currentQuote: quote.plus(addQuote),
            mid,
            hedgeFeesPaid: B(0),
            peakCapital: B(peak),
          });
          expect(r.totalPnl.eq(0)).toBe(true);
          expect(r.returnPct!.eq(0)).toBe(true);
          const gain = computePnl({
            ...input,
            currentQuote: input.currentQuote.plus(1),
            peakCapital: B(peak),
          });
          expect(gain.returnPct!.gt(computePnl({ ...input, peakCapital: B(peak) }).returnPct!)).toBe(true);
        },
      ),
    );
  });

  it('refuses bad inputs naming the field', () => {
    expectFieldError(() => computePnl({ ...input, mid: B(0) }), 'mid');
    expectFieldError(() => computePnl({ ...input, currentQuote: B(-1) }), 'currentQuote');
    expectFieldError(() => computePnl({ ...input, hedgeFeesPaid: B(-1) }), 'hedgeFeesPaid');
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Big,
  formatDecimal,
  inventoryShare,
  tvl,
  sharesForDeposit,
  withdrawalForShares,
  inventoryDeviationBase,
} from '../../../domain';
import { expectFieldError } from './helpers';

const B = (s: string | number) => new Big(s);

describe('inventory share and TVL', () => {
  it('is value based', () => {
    // 10 ETH at 2000 = 20000 USDC of base value against 20000 USDC: balanced.
    expect(formatDecimal(inventoryShare(B(10), B(20000), B(2000)))).toBe('0.5');
    // 15 ETH x 2000 = 30000 of 50000 total.
    expect(formatDecimal(inventoryShare(B(15), B(20000), B(2000)))).toBe('0.6');
    expect(formatDecimal(inventoryShare(B(0), B(5), B(2000)))).toBe('0');
    expect(formatDecimal(inventoryShare(B(1), B(0), B(2000)))).toBe('1');
    expect(formatDecimal(tvl(B(15), B(20000), B(2000)))).toBe('50000');
  });

  it('defines the empty pool as balanced', () => {
    expect(formatDecimal(inventoryShare(B(0), B(0), B(2000)))).toBe('0.5');
  });

  it('measures the base deviation from target', () => {
    // tvl 50000, target 0.5 -> 25000 of base value = 12.5 ETH; holding 15 -> +2.5.
    expect(formatDecimal(inventoryDeviationBase(B(15), B(20000), B(2000), B('0.5')))).toBe('2.5');
  });

  it('refuses negative reserves and a non-positive mid', () => {
    expectFieldError(() => inventoryShare(B(-1), B(1), B(1)), 'reserveBase', 'negative');
    expectFieldError(() => inventoryShare(B(1), B(-1), B(1)), 'reserveQuote', 'negative');
    expectFieldError(() => inventoryShare(B(1), B(1), B(0)), 'mid', 'positive');
  });

  it('property: share stays in [0, 1]', () => {
    const amount = fc.integer({ min: 0, max: 10 ** 9 }).map((n) => B(n).div(1000));
    const mid = fc.integer({ min: 1, max: 10 ** 9 }).map((n) => B(n).div(1000));
    fc.assert(
      fc.property(amount, amount, mid, (base, quote, m) => {
        const share = inventoryShare(base, quote, m);
        expect(share.gte(0) && share.lte(1)).toBe(true);
      }),
    );
  });
});

describe('LP shares', () => {
  it('mints sqrt(base x quote) on the first deposit', () => {
    const r = sharesForDeposit({
      reserveBase: B(0),
      reserveQuote: B(0),
      totalShares: B(0),
      base: B(4),
      quote: B(9),
    });
    expect(formatDecimal(r.sharesMinted)).toBe('6');
    expect(formatDecimal(r.baseTaken)).toBe('4');
    expect(formatDecimal(r.quoteTaken)).toBe('9');
  });

  it('takes only the proportional amounts on later deposits', () => {
    // ratios: base 1/10 = 0.1, quote 3000/20000 = 0.15 -> 0.1 decides.
    const r = sharesForDeposit({
      reserveBase: B(10),
      reserveQuote: B(20000),
      totalShares: B(100),
      base: B(1),
      quote: B(3000),
    });
    expect(formatDecimal(r.sharesMinted)).toBe('10');
    expect(formatDecimal(r.baseTaken)).toBe('1');
    expect(formatDecimal(r.quoteTaken)).toBe('2000');
    expect(formatDecimal(r.quoteRefund)).toBe('1000');
    expect(formatDecimal(r.baseRefund)).toBe('0');
  });

  it('rounds shares down and the amounts taken up', () => {
    // 1 share of 3 outstanding; 1/3 of reserves with 2 asset decimals.
    const r = sharesForDeposit({
      reserveBase: B(3),
      reserveQuote: B(1),
      totalShares: B(3),
      base: B(1),
      quote: B(1),
      assetDecimals: 2,
    });
    expect(formatDecimal(r.sharesMinted)).toBe('1');
    expect(formatDecimal(r.baseTaken)).toBe('1');
    expect(formatDecimal(r.quoteTaken)).toBe('0.34');
  });

  it('pays withdrawals pro rata, rounded down', () => {
    const w = withdrawalForShares({
      reserveBase: B(10),
      reserveQuote: B(20000),
      totalShares: B(100),
      shares: B(10),
    });
    expect(formatDecimal(w.base)).toBe('1');
    expect(formatDecimal(w.quote)).toBe('2000');
    const third = withdrawalForShares({
      reserveBase: B(1),
      reserveQuote: B(1),
      totalShares: B(3),
      shares: B(1),
      assetDecimals: 2,
    });
    expect(formatDecimal(third.base)).toBe('0.33');
    const all = withdrawalForShares({
      reserveBase: B(1),
      reserveQuote: B(2),
      totalShares: B(3),
      shares: B(3),
    });
    expect(formatDecimal(all.base)).toBe('1');
    expect(formatDecimal(all.quote)).toBe('2');
  });

  it('refuses bad amounts naming the field', () => {
    expectFieldError(
      () =>
        sharesForDeposit({
          reserveBase: B(0),
          reserveQuote: B(0),
          totalShares: B(0),
          base: B(0),
          quote: B(1),
        }),
      'base',
      'positive',
    );
    expectFieldError(
      () =>
        sharesForDeposit({
          reserveBase: B(1),
          reserveQuote: B(1),
          totalShares: B(1),
          base: B(-1),
          quote: B(1),
        }),
      'base',
      'negative',
    );
    // A deposit into a funded pool names the asset that is too small to mint a share.
    const funded = { reserveBase: B(10), reserveQuote: B(20000), totalShares: B(100) };
    expectFieldError(() => sharesForDeposit({ ...funded, base: B(1), quote: B(0) }), 'quote', 'too small');
    expectFieldError(() => sharesForDeposit({ ...funded, base: B(0), quote: B(2000) }), 'base', 'too small');
    expectFieldError(
      () => sharesForDeposit({ ...funded, base: B(1), quote: B('0.000000000000000001') }),
      'quote',
      'too small',
    );
    expectFieldError(
      () => withdrawalForShares({ reserveBase: B(1), reserveQuote: B(1), totalShares: B(1), shares: B(2) }),
      'shares',
      'must not exceed',
    );
    expectFieldError(
      () => withdrawalForShares({ reserveBase: B(1), reserveQuote: B(1), totalShares: B(1), shares: B(0) }),
      'shares',
      'positive',
    );
    expectFieldError(
      () =>
        sharesForDeposit({
          reserveBase: B(1),
          reserveQuote: B(1),
          totalShares: B(0),
          base: B(1),
          quote: B(1),
        }),
      'totalShares',
    );
  });

  const amount = (min: number, max: number) => fc.integer({ min, max }).map((n) => B(n).div(10 ** 6));

  it('property: a deposit never gives the LP more than it paid, and never dilutes existing LPs', () => {
    fc.assert(
      fc.property(
        amount(1, 10 ** 12),
        amount(1, 10 ** 12),
        amount(1, 10 ** 12),
        amount(0, 10 ** 12),
        amount(0, 10 ** 12),
        amount(1, 10 ** 7),
        (rb, rq, ts, b, q, mid) => {
          let r;
          try {
            r = sharesForDeposit({
              reserveBase: rb,
              reserveQuote: rq,
              totalShares: ts,
              base: b,
              quote: q,
              assetDecimals: 6,
            });
          } catch {
            return; // too small to mint a share: refused, nothing moved
          }
          expect(r.baseTaken.lte(b) && r.quoteTaken.lte(q)).toBe(true);
          const total = ts.plus(r.sharesMinted);
          const newBase = rb.plus(r.baseTaken);
          const newQuote = rq.plus(r.quoteTaken);
          // Claim of the new LP on each asset never exceeds what it put in.
          expect(newBase.times(r.sharesMinted).div(total).lte(r.baseTaken)).toBe(true);
          expect(newQuote.times(r.sharesMinted).div(total).lte(r.quoteTaken)).toBe(true);
          // Existing LPs' value per share at any mid does not fall.
          const before = rb.times(mid).plus(rq).div(ts);
          const after = newBase.times(mid).plus(newQuote).div(total);
          expect(after.gte(before.minus('1e-30'))).toBe(true);
          // Withdrawing the minted shares straight away returns no more than was taken.
          const w = withdrawalForShares({
            reserveBase: newBase,
            reserveQuote: newQuote,
            totalShares: total,
            shares: r.sharesMinted,
            assetDecimals: 6,
          });
          expect(w.base.lte(r.baseTaken) && w.quote.lte(r.quoteTaken)).toBe(true);
        },
      ),
    );
  });

  it('property: withdrawals never pay out more than the pro-rata claim', () => {
    fc.assert(
      fc.property(
        amount(0, 10 ** 12),
        amount(0, 10 ** 12),
        amount(1, 10 ** 12),
        fc.double({ min: 0.000001, max: 1, noNaN: true }),
        (rb, rq, ts, f) => {
          const shares = ts.times(f.toFixed(6)).round(6, Big.roundDown);
          if (shares.lte(0)) return;
          const w = withdrawalForShares({
            reserveBase: rb,
            reserveQuote: rq,
            totalShares: ts,
            shares,
            assetDecimals: 6,
          });
          expect(w.base.lte(rb.times(shares).div(ts))).toBe(true);
          expect(w.quote.lte(rq.times(shares).div(ts))).toBe(true);
          expect(w.base.gte(0) && w.quote.gte(0)).toBe(true);
        },
      ),
    );
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Big,
  parseDecimal,
  parseDecimalLoose,
  formatDecimal,
  roundPriceToTick,
  roundQtyToLot,
  isOnGrid,
  notional,
  modelNumberToBig,
  decimalPlaces,
} from '../../../domain';
import { expectFieldError } from './helpers';

describe('parseDecimal', () => {
  it('accepts plain decimal strings and normalises them', () => {
    expect(formatDecimal(parseDecimal('12.50', 'price'))).toBe('12.5');
    expect(formatDecimal(parseDecimal('0', 'qty'))).toBe('0');
    expect(formatDecimal(parseDecimal('-3.25', 'pnl', { allowNegative: true }))).toBe('-3.25');
    expect(formatDecimal(parseDecimal('-0', 'pnl', { allowNegative: true }))).toBe('0');
    expect(formatDecimal(parseDecimal('123456789012345678901234567890.123456789', 'big'))).toBe(
      '123456789012345678901234567890.123456789',
    );
  });

  it.each([
    [12.5, 'got number 12.5'],
    [Number.NaN, 'got number NaN'],
    [null, 'got null'],
    [undefined, 'got undefined'],
    [{}, 'got an object'],
    [['1'], 'got an array'],
    ['', 'empty string'],
    ['   ', 'empty string'],
    ['NaN', 'got "NaN"'],
    ['Infinity', 'got "Infinity"'],
    ['-Infinity', 'got "-Infinity"'],
    ['1e5', 'no exponent'],
    ['1E-3', 'no exponent'],
    ['+1', "no '+'"],
    ['0x10', 'got "0x10"'],
    [' 1', 'no spaces'],
    ['1 ', 'no spaces'],
    ['1.', 'got "1."'],
    ['.5', 'got ".5"'],
    ['1,000', 'got "1,000"'],
    ['1.2.3', 'got "1.2.3"'],
    ['12abc', 'got "12abc"'],
  ])('refuses %j naming the field', (value, part) => {
    expectFieldError(() => parseDecimal(value, 'order.price'), 'order.price', part);
  });

  it('refuses a sign where it is not allowed and zero when asked to', () => {
    expectFieldError(() => parseDecimal('-1', 'quantity'), 'quantity', 'must not be negative');
    expectFieldError(
      () => parseDecimal('0', 'quantity', { allowZero: false }),
      'quantity',
      'must not be zero',
    );
    expectFieldError(() => parseDecimal('0.000', 'quantity', { allowZero: false }), 'quantity', 'positive');
  });

  it('refuses more decimals than allowed', () => {
    expect(formatDecimal(parseDecimal('1.23', 'price', { maxDecimals: 2 }))).toBe('1.23');
    // Trailing zeros are not significant decimals.
    expect(formatDecimal(parseDecimal('1.2300', 'price', { maxDecimals: 2 }))).toBe('1.23');
    expectFieldError(() => parseDecimal('1.234', 'price', { maxDecimals: 2 }), 'price', 'at most 2 allowed');
  });

  it('refuses absurdly long strings', () => {
    expectFieldError(() => parseDecimal('1'.repeat(101), 'amount'), 'amount', 'at most 100 characters');
  });

  it('parseDecimalLoose also takes finite numbers via their shortest string', () => {
    expect(formatDecimal(parseDecimalLoose(0.1, 'x'))).toBe('0.1');
    expect(formatDecimal(parseDecimalLoose(1e21, 'x'))).toBe('1000000000000000000000');
    expect(formatDecimal(parseDecimalLoose('2.5', 'x'))).toBe('2.5');
    expectFieldError(() => parseDecimalLoose(Number.POSITIVE_INFINITY, 'sim.price'), 'sim.price', 'finite');
    expectFieldError(() => parseDecimalLoose(Number.NaN, 'sim.price'), 'sim.price', 'finite');
    expectFieldError(() => parseDecimalLoose(-1, 'sim.price'), 'sim.price', 'negative');
  });
});

describe('formatDecimal', () => {
  it('never uses exponent notation', () => {
    expect(formatDecimal(new Big('1e-9'))).toBe('0.000000001');
    expect(formatDecimal(new Big('1e21'))).toBe('1000000000000000000000');
    expect(formatDecimal(new Big('1.5e-30'))).toBe('0.0000000000000000000000000000015');
    expect(new Big('1e-9').toString()).toBe('0.000000001');
  });

  it('strips trailing zeros', () => {
    expect(formatDecimal(new Big('2.000'))).toBe('2');
    expect(formatDecimal(new Big('100'))).toBe('100');
  });

  it('round-trips through parseDecimal for any decimal', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.integer({ min: 0, max: 25 }),
        (digits, scale) => {
          const b = new Big(digits.toString()).div(new Big(10).pow(scale));
          const s = formatDecimal(b);
          expect(s).not.toMatch(/e/i);
          expect(parseDecimal(s, 'x', { allowNegative: true }).eq(b)).toBe(true);
        },
      ),
    );
  });
});

describe('tick and lot rounding', () => {
  it('rounds bids down and asks up', () => {
    const tick = new Big('0.05');
    expect(formatDecimal(roundPriceToTick(new Big('100.07'), tick, 'bid'))).toBe('100.05');
    expect(formatDecimal(roundPriceToTick(new Big('100.07'), tick, 'ask'))).toBe('100.1');
    expect(formatDecimal(roundPriceToTick(new Big('100.05'), tick, 'bid'))).toBe('100.05');
    expect(formatDecimal(roundPriceToTick(new Big('100.05'), tick, 'ask'))).toBe('100.05');
  });

  it('rounds quantities down to the lot', () => {
    expect(formatDecimal(roundQtyToLot(new Big('1.2399'), new Big('0.01')))).toBe('1.23');
    expect(formatDecimal(roundQtyToLot(new Big('0.009'), new Big('0.01')))).toBe('0');
  });

  it('keeps 0.1 + 0.2 exactly 0.3 on a 0.1 grid', () => {
    const sum = new Big('0.1').plus('0.2');
    expect(formatDecimal(sum)).toBe('0.3');
    expect(isOnGrid(sum, new Big('0.1'))).toBe(true);
    expect(formatDecimal(roundPriceToTick(sum, new Big('0.1'), 'bid'))).toBe('0.3');
    expect(formatDecimal(roundPriceToTick(sum, new Big('0.1'), 'ask'))).toBe('0.3');
    // The float version is not on the grid, which is exactly why the domain refuses numbers.
    expect(isOnGrid(parseDecimalLoose(0.1 + 0.2, 'x'), new Big('0.1'))).toBe(false);
  });

  it('refuses a zero or negative step', () => {
    expectFieldError(() => roundPriceToTick(new Big(1), new Big(0), 'bid'), 'tickSize', 'positive');
    expectFieldError(() => roundQtyToLot(new Big(1), new Big('-0.1')), 'lotSize', 'positive');
    expectFieldError(() => isOnGrid(new Big(1), new Big(0)), 'step');
  });

  it('notional is exact', () => {
    expect(formatDecimal(notional(new Big('0.1'), new Big('3')))).toBe('0.3');
  });

  it('property: rounded prices bracket the input, sit on the grid and are within one tick', () => {
    const ticks = ['0.01', '0.05', '0.1', '0.25', '1', '0.0001'];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom(...ticks),
        (n, scale, t) => {
          const price = new Big(n).div(new Big(10).pow(scale));
          const tick = new Big(t);
          const bid = roundPriceToTick(price, tick, 'bid');
          const ask = roundPriceToTick(price, tick, 'ask');
          expect(bid.lte(price) && ask.gte(price)).toBe(true);
          expect(isOnGrid(bid, tick) && isOnGrid(ask, tick)).toBe(true);
          expect(price.minus(bid).lt(tick) && ask.minus(price).lt(tick)).toBe(true);
        },
      ),
    );
  });
});

describe('modelNumberToBig', () => {
  it('keeps 15 significant digits and refuses non-finite values', () => {
    expect(formatDecimal(modelNumberToBig(Math.log(2), 'x'))).toBe('0.693147180559945');
    expect(formatDecimal(modelNumberToBig(1e-12 / 3, 'x'))).toBe('0.000000000000333333333333333');
    expect(decimalPlaces(new Big('1.250'))).toBe(2);
    expectFieldError(() => modelNumberToBig(Math.log(-1), 'halfSpread'), 'halfSpread', 'finite');
  });
});

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../adapters/price-feed/simulated-gbm';
import {
  arrivalIntensity,
  crossingSide,
  drawSize,
  flowIntensity,
  INFORMED_OWNER,
  NOISE_OWNER,
  poissonSample,
  quoteDistanceBps,
  TakerPopulation,
  type MarketView,
  type TakerOrder,
  type TakerSubmitResult,
} from '../../../sim/takers';
import { Big } from '../../../domain/money';

const rules = { lotSize: '0.0001', minSize: '0.001' };
const params = { arrivalRate: 4, decayPerBps: 0.05, informedShare: 0.2, meanSize: '0.1', maxSize: '1' };

/** A book quoted `halfSpreadBps` either side of 2000. */
function view(halfSpreadBps: number, nextReference: string | null = null): MarketView {
  const off = new Big(2000).times(halfSpreadBps).div(10_000);
  return {
    reference: '2000',
    bestBid: new Big(2000).minus(off).toFixed(2),
    bestAsk: new Big(2000).plus(off).toFixed(2),
    nextReference,
  };
}

function population(
  seed: number,
  submit?: (o: TakerOrder) => Promise<TakerSubmitResult>,
  overrides: Partial<typeof params> = {},
) {
  return new TakerPopulation({
    poolId: 'p1',
    rng: mulberry32(seed),
    params: { ...params, ...overrides },
    rules,
    idPrefix: 'test',
    submit: submit ?? (async () => ({ fills: [] })),
  });
}

describe('taker intensity', () => {
  it('falls exponentially with the distance of the best quote from the reference', () => {
    expect(arrivalIntensity(0, 4, 0.05)).toBe(4);
    expect(arrivalIntensity(10, 4, 0.05)).toBeCloseTo(4 * Math.exp(-0.5), 12);
    const rates = [0, 5, 15, 30, 60, 120].map((d) => arrivalIntensity(d, 4, 0.05));
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeLessThan(rates[i - 1]!);
    // A quote through the reference attracts no more than A.
    expect(arrivalIntensity(-20, 4, 0.05)).toBe(4);
  });

  it('measures distance on the side a taker trades against', () => {
    expect(quoteDistanceBps('buy', '2000', '2003')).toBeCloseTo(15, 9);
    expect(quoteDistanceBps('sell', '2000', '1997')).toBeCloseTo(15, 9);
    expect(quoteDistanceBps('buy', '2000', '1999')).toBeCloseTo(-5, 9);
  });

  it('draws fewer arrivals against wide quotes than against tight ones', () => {
    const count = (halfSpread: number) => {
      const p = population(7);
      let n = 0;
      for (let i = 0; i < 2000; i++) n += p.plan(view(halfSpread), 0.2).length;
      return n;
    };
    const tight = count(5);
    const wide = count(40);
    // Expected 2 sides x 2000 steps x 0.2 s x lambda: 800 x 4e^-0.25 = ~2492 at 5 bps, 800 x 4e^-2 = ~433 at 40 bps.
    expect(tight).toBeGreaterThan(2350);
    expect(tight).toBeLessThan(2640);
    expect(wide).toBeGreaterThan(370);
    expect(wide).toBeLessThan(500);
  });

  it('sends nothing to a side without a quote', () => {
    const p = population(3);
    const orders = Array.from({ length: 500 }, () => p.plan({ ...view(5), bestAsk: null }, 0.2)).flat();
    expect(orders.length).toBeGreaterThan(0);
    expect(orders.every((o) => o.side === 'sell' || o.informed)).toBe(true);
    expect(orders.filter((o) => o.side === 'buy')).toHaveLength(0);
  });
});

describe('taker reproducibility', () => {
  it('gives the same arrivals, sides, sizes and prices for the same seed and market', () => {
    const a = population(42);
    const b = population(42);
    const views = Array.from({ length: 300 }, (_, i) => view(5 + (i % 20), i % 3 === 0 ? '2001' : '1999'));
    const planA = views.map((v) => a.plan(v, 0.25));
    const planB = views.map((v) => b.plan(v, 0.25));
    expect(planA).toEqual(planB);
    expect(planA.flat().length).toBeGreaterThan(100);
    const other = population(43);
    expect(views.map((v) => other.plan(v, 0.25))).not.toEqual(planA);
  });

  it('samples Poisson counts with the right mean', () => {
    const rng = mulberry32(1);
    for (const mean of [0.3, 2, 50]) {
      let sum = 0;
      const n = 20_000;
      for (let i = 0; i < n; i++) sum += poissonSample(mean, rng);
      expect(sum / n).toBeCloseTo(mean, mean < 1 ? 1 : 0);
    }
    expect(poissonSample(0, rng)).toBe(0);
  });

  it('sizes orders on the lot grid within [minSize, maxSize]', () => {
    const rng = mulberry32(9);
    for (let i = 0; i < 2000; i++) {
      const s = drawSize(rng, params, rules);
      expect(s.mod(rules.lotSize).eq(0)).toBe(true);
      expect(s.gte(rules.minSize) && s.lte(params.maxSize)).toBe(true);
    }
  });
});

describe('informed flow', () => {
  it('is the configured share of orders and always trades in the direction of the next move', () => {
    const p = population(11);
    const orders = [];
    for (let i = 0; i < 3000; i++) {
      const up = i % 2 === 0;
      // Quotes 10 bps either side of 2000 (1998 / 2002); the next reference clears them by 1.
      for (const o of p.plan(view(10, up ? '2003' : '1997'), 0.2)) orders.push({ ...o, up });
    }
    const informed = orders.filter((o) => o.informed);
    const share = informed.length / orders.length;
    expect(orders.length).toBeGreaterThan(2000);
    expect(share).toBeGreaterThan(0.17);
    expect(share).toBeLessThan(0.23);
    expect(informed.every((o) => o.side === (o.up ? 'buy' : 'sell'))).toBe(true);
    expect(informed.every((o) => o.owner === INFORMED_OWNER)).toBe(true);
    expect(orders.filter((o) => !o.informed).every((o) => o.owner === NOISE_OWNER)).toBe(true);
  });

  it('stays out when the price will not move, and trades as noise when the next price is unknown', () => {
    const flat = population(5, undefined, { informedShare: 1 });
    const none = Array.from({ length: 500 }, () => flat.plan(view(5, '2000'), 0.2)).flat();
    expect(none).toHaveLength(0);
    const unknown = population(5, undefined, { informedShare: 1 });
    const noise = Array.from({ length: 500 }, () => unknown.plan(view(5, null), 0.2)).flat();
    expect(noise.length).toBeGreaterThan(0);
    expect(noise.every((o) => !o.informed)).toBe(true);
  });
});

describe('submitting', () => {
  it('sends IOC orders at the best quote with unique client order ids and tallies fills and errors', async () => {
    const sent: TakerOrder[] = [];
    let calls = 0;
    const p = population(21, async (o) => {
      sent.push(o);
      calls++;
      if (calls % 10 === 0) throw new Error('pool is busy');
      return { fills: [{ price: o.price, quantity: o.quantity }] };
    });
    for (let i = 0; i < 200; i++) await p.step(view(8, '2001'), 0.2);
    const v = view(8);
    expect(sent.length).toBeGreaterThan(50);
    expect(new Set(sent.map((o) => o.clientOrderId)).size).toBe(sent.length);
    for (const o of sent) {
      expect(o.type).toBe('ioc');
      expect(o.price).toBe(o.side === 'buy' ? v.bestAsk : v.bestBid);
      expect(Object.keys(o).sort()).toEqual([
        'clientOrderId',
        'owner',
        'poolId',
        'price',
        'quantity',
        'side',
        'type',
      ]);
    }
    const s = p.stats();
    expect(s.orders).toBe(sent.length);
    expect(s.errors).toBe(Math.floor(sent.length / 10));
    expect(s.lastError).toBe('pool is busy');
    expect(s.fills).toBe(sent.length - s.errors);
    const bought = sent
      .filter((o, i) => o.side === 'buy' && (i + 1) % 10 !== 0)
      .reduce((a, o) => a.plus(o.quantity), new Big(0));
    expect(new Big(s.boughtBase).eq(bought)).toBe(true);
  });
});

describe('informed flow only trades a move that clears the quote (defect 9)', () => {
  const allInformed = (seed: number) => population(seed, undefined, { informedShare: 1 });
  const planMany = (seed: number, v: MarketView) => {
    const p = allInformed(seed);
    return Array.from({ length: 400 }, () => p.plan(v, 0.2)).flat();
  };

  it('stays out when the next reference moves but stays inside the quotes', () => {
    // Quotes at 1998 / 2002: moves to 2001, 1999, and exactly onto the quotes pay nothing to take.
    for (const next of ['2001', '1999', '2002', '1998', '2001.99', '1998.01']) {
      expect(planMany(3, view(10, next)), `next reference ${next}`).toHaveLength(0);
    }
  });

  it('lifts the ask only when the next reference is above it, hits the bid only when below it', () => {
    const up = planMany(4, view(10, '2002.01'));
    expect(up.length).toBeGreaterThan(50);
    expect(up.every((o) => o.informed && o.side === 'buy' && o.price === '2002.00')).toBe(true);
    const down = planMany(4, view(10, '1997.99'));
    expect(down.length).toBeGreaterThan(50);
    expect(down.every((o) => o.informed && o.side === 'sell' && o.price === '1998.00')).toBe(true);
  });

  it('does not buy into a missing ask or sell into a missing bid', () => {
    expect(planMany(6, { ...view(10, '2010'), bestAsk: null })).toHaveLength(0);
    expect(planMany(6, { ...view(10, '1990'), bestBid: null })).toHaveLength(0);
    expect(crossingSide({ ...view(10, '2010'), bestBid: null })).toBe('buy');
    expect(crossingSide(view(10, null))).toBeNull();
  });
});

describe('taker units match the strategies (defect 9)', () => {
  it("states A per second per side and k per basis point of mid, the strategies' units", () => {
    expect(flowIntensity({ arrivalRate: 4, decayPerBps: 0.03 })).toEqual({ A: 4, k: 0.03, kPer: 'bps' });
  });

  it('faces the same intensity for a quote the same bps away at any price level', () => {
    const { A, k } = flowIntensity(params);
    for (const mid of ['1', '2000', '60000']) {
      const p = population(1);
      const off = new Big(mid).times(12).div(10_000);
      const lambda = p.intensities({
        reference: mid,
        bestBid: new Big(mid).minus(off).toString(),
        bestAsk: new Big(mid).plus(off).toString(),
        nextReference: null,
      });
      expect(lambda.buy).toBeCloseTo(A * Math.exp(-k * 12), 9);
      expect(lambda.sell).toBeCloseTo(A * Math.exp(-k * 12), 9);
    }
  });
});

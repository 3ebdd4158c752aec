import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Big, formatDecimal, isOnGrid } from '../../../domain/money';
import {
  hedgeRequestsFromView,
  hedgeVolumeValue,
  netHedges,
  perPoolHedges,
  type HedgeRequest,
  type NettingRules,
} from '../../../domain/netting';
import { computePortfolio, type PoolPosition } from '../../../domain/portfolio';
import { buildPriceGraph } from '../../../domain/price-graph';
import { expectFieldError } from './helpers';

const b = (s: string | number) => new Big(s);
const req = (poolId: string, asset: string, q: string | number): HedgeRequest => ({
  poolId,
  asset,
  quantity: b(q),
});
const rules: NettingRules = {
  numeraire: 'USDC',
  assets: {
    ETH: { tolerance: b('0.5'), lotSize: b('0.001'), minSize: b('0.01') },
    BTC: { lotSize: b('0.00001') },
  },
};
const sum = (xs: Big[]) => xs.reduce((s, x) => s.plus(x), b(0));

describe('netHedges', () => {
  it('two pools with opposite exposure produce no hedge', () => {
    const plan = netHedges([req('a', 'ETH', 3), req('b', 'ETH', -3)], rules);
    expect(plan.hedges).toEqual([]);
    expect(formatDecimal(plan.residual.get('ETH')!)).toBe('0');
    expect(formatDecimal(plan.requestedVolume.get('ETH')!)).toBe('6');
  });

  it('sends one order per asset for what is left beyond the tolerance, on the lot grid', () => {
    const plan = netHedges(
      [
        req('a', 'ETH', '2.3456'),
        req('b', 'ETH', '-0.5'),
        req('c', 'ETH', '1'),
        req('d', 'BTC', '-0.0123456'),
        req('e', 'USDC', 5000),
      ],
      rules,
    );
    expect(
      plan.hedges.map((h) => ({
        ...h,
        quantity: formatDecimal(h.quantity),
        net: formatDecimal(h.net),
        gross: formatDecimal(h.gross),
      })),
    ).toEqual([
      {
        asset: 'BTC',
        side: 'sell',
        quantity: '0.01234',
        net: '-0.0123456',
        gross: '0.0123456',
        pools: ['d'],
      },
      {
        asset: 'ETH',
        side: 'buy',
        quantity: '2.845',
        net: '2.8456',
        gross: '3.8456',
        pools: ['a', 'b', 'c'],
      },
    ]);
    // The numeraire is cash: never hedged.
    expect(plan.requestedVolume.has('USDC')).toBe(false);
  });

  it('leaves a net within the tolerance, or below the minimum size, alone', () => {
    expect(netHedges([req('a', 'ETH', '0.5')], rules).hedges).toEqual([]);
    expect(
      netHedges([req('a', 'ETH', '0.3'), req('b', 'ETH', '0.3')], {
        ...rules,
        assets: { ETH: { tolerance: b('0.5'), minSize: b(1) } },
      }).hedges,
    ).toEqual([]);
  });

  it("'band_edge' hedges only back to the band's edge", () => {
    const plan = netHedges([req('a', 'ETH', '2.3456')], { ...rules, hedgeTo: 'band_edge' });
    expect(formatDecimal(plan.hedges[0]!.quantity)).toBe('1.846');
    expect(formatDecimal(plan.residual.get('ETH')!)).toBe('0.4996');
  });

  it('an asset called "constructor" takes the default rules, not a member of Object', () => {
    const plan = netHedges([req('a', 'constructor', '1.2345')], {
      numeraire: 'USDC',
      defaults: { lotSize: b('0.1') },
    });
    expect(plan.hedges.map((h) => formatDecimal(h.quantity))).toEqual(['1.2']);
  });

  it('refuses bad requests and rules, naming the field', () => {
    expectFieldError(() => netHedges([req('a', 'ETH/USDC', 1)], rules), 'requests[0].asset');
    expectFieldError(() => netHedges([req('bad id', 'ETH', 1)], rules), 'requests[0].poolId');
    expectFieldError(
      () => netHedges([req('a', 'ETH', 1)], { numeraire: 'USDC', defaults: { lotSize: b(0) } }),
      'rules.assets.ETH.lotSize',
      'positive',
    );
  });
});

describe('netHedges: properties', () => {
  const asset = fc.constantFrom('ETH', 'BTC', 'SOL');
  const qty = fc.integer({ min: -50_000, max: 50_000 }).map((n) => b(n).div(1000));
  const requests = fc.array(
    fc.record({ poolId: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5'), asset, quantity: qty }),
    { maxLength: 25 },
  );
  const assetRules = fc.record(
    {
      tolerance: fc.integer({ min: 0, max: 3000 }).map((n) => b(n).div(1000)),
      lotSize: fc.constantFrom('0.001', '0.01', '0.1', '1').map(b),
      minSize: fc.constantFrom('0.001', '0.01', '1').map(b),
    },
    { requiredKeys: [] },
  );
  const netting = fc.record({
    defaults: assetRules,
    hedgeTo: fc.constantFrom('zero' as const, 'band_edge' as const),
  });

  it('the netted volume never exceeds the sum of the per-pool requests, and never overshoots the net', () => {
    fc.assert(
      fc.property(requests, netting, (rs, n) => {
        const plan = netHedges(rs, { numeraire: 'USDC', ...n });
        for (const [a, gross] of plan.requestedVolume) {
          const netted = plan.nettedVolume.get(a)!;
          expect(netted.lte(gross)).toBe(true);
          const net = sum(rs.filter((r) => r.asset === a).map((r) => r.quantity));
          expect(netted.lte(net.abs())).toBe(true);
          // What is left has the net's sign (or is zero) and lies within the tolerance or a lot.
          const left = plan.residual.get(a)!;
          expect(left.times(net).gte(0)).toBe(true);
          const tol = n.defaults.tolerance ?? b(0);
          const lot = n.defaults.lotSize ?? b(0);
          const min = n.defaults.minSize ?? b(0);
          if (!netted.eq(0)) expect(left.abs().lte(tol.gt(lot) ? tol : lot)).toBe(true);
          else {
            // Nothing sent: the net is within the tolerance, or under a lot, or what it would send is under the minimum.
            const abs = net.abs();
            expect(abs.lte(tol) || abs.lt(lot) || abs.lt(min.plus(lot)) || abs.lt(tol.plus(min))).toBe(true);
          }
          if (!netted.eq(0) && n.defaults.lotSize) expect(isOnGrid(netted, n.defaults.lotSize)).toBe(true);
        }
      }),
    );
  });

  it('opposite equal requests net to zero, whatever else is asked', () => {
    fc.assert(
      fc.property(requests, netting, (rs, n) => {
        const mirrored = [
          ...rs,
          ...rs.map((r) => ({ ...r, poolId: `m${r.poolId}`, quantity: r.quantity.times(-1) })),
        ];
        const plan = netHedges(mirrored, { numeraire: 'USDC', ...n });
        expect(plan.hedges).toEqual([]);
        for (const left of plan.residual.values()) expect(left.eq(0)).toBe(true);
      }),
    );
  });

  it('with no tolerance and requests on the lot grid, the net position after hedging equals per-pool hedging', () => {
    fc.assert(
      fc.property(requests, fc.constantFrom('0.001', '0.01').map(b), (raw, lot) => {
        // Quantities on the lot grid, each at least the minimum size (one lot): per-pool hedging then
        // trades each request in full, and both ways leave the desk flat.
        const rs = raw
          .filter((r) => !r.quantity.eq(0))
          .map((r) => ({ ...r, quantity: r.quantity.div(lot).round(0, Big.roundDown).times(lot) }));
        const r: NettingRules = { numeraire: 'USDC', defaults: { lotSize: lot, minSize: lot } };
        const signed = (plans: ReturnType<typeof netHedges>[]) => {
          const byAsset = new Map<string, Big>();
          for (const p of plans)
            for (const h of p.hedges)
              byAsset.set(
                h.asset,
                (byAsset.get(h.asset) ?? b(0)).plus(h.side === 'buy' ? h.quantity : h.quantity.times(-1)),
              );
          return byAsset;
        };
        const netted = signed([netHedges(rs, r)]);
        const perPool = signed(perPoolHedges(rs, r));
        for (const a of new Set([...netted.keys(), ...perPool.keys()])) {
          expect((netted.get(a) ?? b(0)).eq(perPool.get(a) ?? b(0))).toBe(true);
        }
      }),
    );
  });

  it('does not depend on the order of the requests', () => {
    fc.assert(
      fc.property(requests, netting, fc.nat(), (rs, n, k) => {
        const cut = rs.length === 0 ? 0 : k % rs.length;
        const shuffled = [...rs.slice(cut), ...rs.slice(0, cut)].reverse();
        expect(netHedges(shuffled, { numeraire: 'USDC', ...n })).toEqual(
          netHedges(rs, { numeraire: 'USDC', ...n }),
        );
      }),
      { numRuns: 50 },
    );
  });
});

describe('netting a portfolio', () => {
  it('pools on ETH/USDC and ETH/BTC long and short ETH: netting sends a fraction of per-pool hedging', () => {
    const prices = [
      { pair: 'ETH/USDC', price: b(2000) },
      { pair: 'BTC/USDC', price: b(60000) },
      { pair: 'ETH/BTC', price: b('0.033333') },
    ];
    const pool = (
      poolId: string,
      pair: string,
      base: number,
      price: string,
      shift: number,
    ): PoolPosition => ({
      poolId,
      pair,
      reserveBase: b(base + shift),
      reserveQuote: b(base - shift).times(price),
      initialBase: b(base),
      initialQuote: b(base).times(price),
      target: { kind: 'share', share: b('0.5') },
    });
    const view = computePortfolio({
      numeraire: 'USDC',
      prices,
      pools: [
        pool('eth-usdc-long', 'ETH/USDC', 50, '2000', 3),
        pool('eth-usdc-short', 'ETH/USDC', 50, '2000', -2),
        pool('eth-btc-short', 'ETH/BTC', 60, '0.033333', -1),
        pool('btc-usdc-long', 'BTC/USDC', 2, '60000', 0.05),
      ],
    });
    const requests = hedgeRequestsFromView(view);
    const r: NettingRules = {
      numeraire: 'USDC',
      assets: { ETH: { lotSize: b('0.0001') }, BTC: { lotSize: b('0.00001') } },
    };
    const graph = buildPriceGraph(prices);
    const netted = netHedges(requests, r);
    // ETH: +3 - 2 - 1 = 0. BTC: the ETH/BTC pool is long 0.033333 BTC, the BTC/USDC pool 0.05.
    expect(netted.hedges.map((h) => `${h.side} ${formatDecimal(h.quantity)} ${h.asset}`)).toEqual([
      'sell 0.08333 BTC',
    ]);
    const nettedValue = hedgeVolumeValue([netted], graph, 'USDC');
    const perPoolValue = hedgeVolumeValue(perPoolHedges(requests, r), graph, 'USDC');
    expect(formatDecimal(nettedValue)).toBe('4999.8');
    expect(formatDecimal(perPoolValue)).toBe('16999.8');
  });
});

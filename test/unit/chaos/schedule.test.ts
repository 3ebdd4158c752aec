import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, FaultSchedule, type PlannedFault } from '../../../chaos/schedule';
import { DEFAULT_POOL_CONFIG, mergePoolConfig } from '../../../domain/config';

const plan = (seed: number, pools: number, n: number, gapMs: [number, number] = [2000, 6000]) => {
  const s = new FaultSchedule({ seed, pools, gapMs });
  return Array.from({ length: n }, () => s.next());
};

const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const pools = fc.integer({ min: 1, max: 10 });

describe('the chaos fault schedule', () => {
  it('is the same sequence for the same seed, and another for another seed', () => {
    fc.assert(
      fc.property(seed, pools, (s, p) => {
        expect(plan(s, p, 40)).toEqual(plan(s, p, 40));
      }),
    );
    expect(plan(1, 3, 40)).not.toEqual(plan(2, 3, 40));
  });

  it('injects every fault kind once in its first round, in a seeded order', () => {
    fc.assert(
      fc.property(seed, pools, (s, p) => {
        const first = plan(s, p, FAULT_KINDS.length).map((f) => f.params.kind);
        expect([...first].sort()).toEqual([...FAULT_KINDS].sort());
      }),
    );
    const orders = new Set(
      [1, 2, 3, 4, 5].map((s) =>
        plan(s, 3, FAULT_KINDS.length)
          .map((f) => f.params.kind)
          .join(),
      ),
    );
    expect(orders.size).toBeGreaterThan(1);
  });

  it('keeps every kind coming after the first round, kills most often', () => {
    const kinds = plan(7, 3, 2000)
      .slice(FAULT_KINDS.length)
      .map((f) => f.params.kind);
    const count = (k: string) => kinds.filter((x) => x === k).length;
    for (const k of FAULT_KINDS) expect(count(k)).toBeGreaterThan(0);
    for (const k of FAULT_KINDS)
      if (k !== 'worker-sigkill') expect(count('worker-sigkill')).toBeGreaterThan(count(k));
  });

  it('draws gaps within the range, pools that exist and parameters within their bounds', () => {
    fc.assert(
      fc.property(
        seed,
        pools,
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        (s, p, a, b) => {
          const gap: [number, number] = [Math.min(a, b), Math.max(a, b)];
          plan(s, p, 60, gap).forEach((f: PlannedFault, i) => {
            expect(f.seq).toBe(i + 1);
            expect(f.gapMs).toBeGreaterThanOrEqual(gap[0]);
            expect(f.gapMs).toBeLessThanOrEqual(gap[1]);
            const q = f.params;
            if ('poolIndex' in q) {
              expect(q.poolIndex).toBeGreaterThanOrEqual(0);
              expect(q.poolIndex).toBeLessThan(p);
            }
            if (q.kind === 'db-terminate') {
              expect(q.rounds).toBeGreaterThanOrEqual(2);
              expect(q.intervalMs).toBeGreaterThan(0);
            }
            if (q.kind === 'worker-sigkill') expect(q.restartDelayMs).toBeLessThanOrEqual(3000);
            if (q.kind === 'temporal-restart') expect(q.downMs).toBeLessThanOrEqual(3000);
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('sends only updates the pool configuration accepts, with risk limits no tighter than the defaults', () => {
    fc.assert(
      fc.property(seed, (s) => {
        for (const f of plan(s, 3, 80)) {
          const q = f.params;
          if (q.kind === 'config-update')
            expect(() => mergePoolConfig(DEFAULT_POOL_CONFIG, q.patch)).not.toThrow();
          if (q.kind === 'risk-limits-update') {
            const risk = mergePoolConfig(DEFAULT_POOL_CONFIG, { risk: q.limits }).risk;
            const d = DEFAULT_POOL_CONFIG.risk;
            expect(Number(risk.maxLoss)).toBeGreaterThanOrEqual(Number(d.maxLoss));
            expect(risk.maxInventoryDeviation).toBeGreaterThanOrEqual(d.maxInventoryDeviation);
            expect(risk.maxVolatility).toBeGreaterThanOrEqual(d.maxVolatility);
            expect(risk.maxPriceAgeSeconds).toBeGreaterThanOrEqual(d.maxPriceAgeSeconds);
            expect(Object.keys(q.limits).length).toBeGreaterThanOrEqual(1);
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a pool count or a gap range that cannot be scheduled', () => {
    expect(() => new FaultSchedule({ seed: 1, pools: 0, gapMs: [0, 1] })).toThrow(/pools/);
    expect(() => new FaultSchedule({ seed: 1, pools: 1, gapMs: [5, 1] })).toThrow(/gapMs/);
    expect(() => new FaultSchedule({ seed: 1, pools: 1, gapMs: [-1, 1] })).toThrow(/gapMs/);
  });
});

import { describe, expect, it } from 'vitest';
import type { FaultRecord } from '../../../chaos/faults';
import { faultInvariants, summarizeByKind } from '../../../chaos/report';
import { FAULT_KINDS, type FaultKind } from '../../../chaos/schedule';

let seq = 0;
function fault(kind: FaultKind, recoveryMs: number | null, over: Partial<FaultRecord> = {}): FaultRecord {
  return {
    seq: ++seq,
    kind,
    params: { kind: 'worker-failover' },
    injectedAtMs: 0,
    restoredAtMs: 0,
    pools: ['p1'],
    detail: '',
    checks: {},
    metrics: {},
    recovery: { measured: true, recoveryMs, perPool: { p1: recoveryMs }, excluded: {} },
    error: null,
    ...over,
  };
}
const everyKindOnce = () => FAULT_KINDS.map((k) => fault(k, 1000));
const byName = (faults: FaultRecord[]) =>
  Object.fromEntries(
    faultInvariants(faults, 60_000).map((i) => [i.name.split(':')[0]!.split(' ').slice(0, 3).join(' '), i]),
  );

describe('chaos result: faults by kind', () => {
  it('gives the median and max recovery per kind and counts what could not be measured', () => {
    const faults = [
      fault('worker-sigkill', 4000),
      fault('worker-sigkill', 6000),
      fault('worker-sigkill', 5000),
      fault('worker-sigkill', null, {
        recovery: { measured: false, recoveryMs: null, perPool: {}, excluded: { p1: 'risk pause' } },
      }),
      fault('db-terminate', null, { error: 'could not connect', recovery: null }),
    ];
    const kinds = Object.fromEntries(summarizeByKind(faults).map((k) => [k.kind, k]));
    expect(kinds['worker-sigkill']).toMatchObject({
      injected: 4,
      recovered: 3,
      unmeasured: 1,
      failed: 0,
      recoveryMs: { median: 5000, max: 6000, samples: [4000, 5000, 6000] },
    });
    expect(kinds['db-terminate']).toMatchObject({
      injected: 1,
      recovered: 0,
      failed: 1,
      recoveryMs: { median: null },
    });
    expect(kinds['temporal-restart']!.injected).toBe(0);
  });
});

describe('chaos result: invariants about the faults', () => {
  it('all hold when every kind was injected, recovered and its checks passed', () => {
    expect(faultInvariants(everyKindOnce(), 60_000).every((i) => i.pass)).toBe(true);
  });

  it('fails when a kind was never injected, naming it', () => {
    const inv = byName(everyKindOnce().filter((f) => f.kind !== 'temporal-restart'))['every fault kind'];
    expect(inv!.pass).toBe(false);
    expect(inv!.detail).toMatch(/never carried out: temporal-restart/);
  });

  it('fails when a fault could not be carried out', () => {
    const faults = [
      ...everyKindOnce(),
      fault('worker-failover', null, { error: 'worker did not poll', recovery: null }),
    ];
    expect(byName(faults)['every fault kind']!.pass).toBe(false);
  });

  it('fails when the pools did not quote again after a fault', () => {
    const inv = byName([...everyKindOnce(), fault('db-terminate', null)])['every fault recovered'];
    expect(inv!.pass).toBe(false);
    expect(inv!.violations).toHaveLength(1);
  });

  it('does not count a fault whose pools all halted themselves as unrecovered', () => {
    const halted = fault('worker-sigkill', null, {
      recovery: { measured: false, recoveryMs: null, perPool: { p1: null }, excluded: { p1: 'risk pause' } },
    });
    expect(byName([...everyKindOnce(), halted])['every fault recovered']!.pass).toBe(true);
  });

  it('fails when a pause left quotes resting or an update was not applied', () => {
    const bad = fault('pause-resume', 1000, {
      checks: { pauseEmptiedBook: { pass: false, detail: '2 quotes still open' } },
    });
    const inv = byName([...everyKindOnce(), bad])['every pause emptied'];
    expect(inv!.pass).toBe(false);
    expect(JSON.stringify(inv!.violations)).toMatch(/2 quotes still open/);
  });
});

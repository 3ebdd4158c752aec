import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BPS_LIMITS, AMOUNT_LIMITS } from '../../domain/money';
import { marketMakerWorkflowId, spreadSagaWorkflowId } from '../../workflows/definitions';
import { MARKET_MAKER_START, SPREAD_SAGA_START, type StartInputSpec } from '../../workflows/input-rules';
import {
  expectFieldRefusal,
  expectNoFailedWorkflowTask,
  refusalOf,
  settledSnapshot,
  startQuietPool,
  tableSnapshot,
  type TableSnapshot,
} from '../helpers/boundaries';
import {
  CONFIG_LEAVES,
  hostileDecimal,
  hostileIdentifier,
  hostileInteger,
  hostileName,
  hostilePoolId,
  hostileReason,
  nest,
  notAString,
  pick,
  protoObject,
  unknownKey,
} from '../helpers/hostile';
import { createFundedPool, useMarketHarness, waitFor } from '../helpers/market';

/*
 * Property-based sweep of every boundary a caller can reach, against the real Temporal server and
 * Postgres: the client library, workflow start inputs, signals and updates. Each run sends one
 * hostile value in one field and asserts that it is refused naming that field, that no table
 * changed (row counts and a digest of every row), and that no workflow task failed. Runs are
 * bounded (the unit sweep runs the same rules hundreds of times without servers).
 */

const AMOUNT = { ...AMOUNT_LIMITS, allowZero: false };
const BPS = { ...BPS_LIMITS, allowZero: false, max: 10_000 };

/** The field a refusal named, whatever its shape: a client error, a workflow or update failure. */
function refusedField(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e instanceof ApplicationFailure) {
      expect(e.type, e.message).toBe('ValidationError');
      expect(e.nonRetryable, e.message).toBe(true);
      return (e.details as Array<{ field?: string }> | undefined)?.[0]?.field;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function named(message: string, field: string): boolean {
  return message.includes(field) || message.includes(JSON.stringify(field));
}

describe('property sweep of every boundary, against Temporal and Postgres', () => {
  const m = useMarketHarness('sweep');
  let quiet: string;
  let idle: string;

  beforeAll(async () => {
    quiet = (await startQuietPool(m.client, m.db)).poolId;
    // Created and funded, never started: start inputs are tried on it; alice's order waits for cancels.
    idle = (await createFundedPool(m.client)).poolId;
    await m.client.submitOrder({
      poolId: idle,

      clientOrderId: 'resting',
      side: 'buy',
      type: 'limit',
      price: '1000',
      quantity: '0.1',
    });
    // The quiet market maker's first cycles are done: from here on only a refused command could write.
    await settledSnapshot(m.db);
  });
  afterAll(async () => {
    await m.client.stopPool(quiet, 'sweep done').catch(() => undefined);
  });

  /** Each run compares every table with the snapshot taken just before it. */
  const unchanged = async (what: string, before: TableSnapshot) =>
    expect(await tableSnapshot(m.db), `${what}: nothing may be written`).toEqual(before);

  it('the client library refuses every hostile field by name and writes nothing', async () => {
    type Call = { what: string; field: string; call: () => Promise<unknown> };
    const newPool = () => ({
      poolId: `sweep-${randomBytes(4).toString('hex')}`,
      baseAsset: 'ETH',
      quoteAsset: 'USDC',
      tickSize: '0.01',
      lotSize: '0.001',
      minSize: '0.01',
      priceFeed: 'feed-sweep',
    });
    const deposit = () => ({
      poolId: idle,

      base: '1',
      quote: '2000',
      requestId: 'sweep',
    });
    const withdrawal = () => ({ poolId: idle, shares: '1', requestId: 'sweep' });
    const order = () => ({
      poolId: idle,

      clientOrderId: 'sweep',
      side: 'sell',
      type: 'limit',
      price: '5000',
      quantity: '0.1',
    });
    const cancel = () => ({ poolId: idle, clientOrderId: 'resting' });
    const startOptions = [...MARKET_MAKER_START.integers, ...SPREAD_SAGA_START.integers].filter(
      ([f]) => f !== 'coalesceMs',
    );
    const c = m.client;
    const calls: fc.Arbitrary<Call> = fc.oneof(
      pick<string, unknown>([
        ['poolId', hostilePoolId],
        ['baseAsset', hostileName],
        ['quoteAsset', hostileName],
        ['priceFeed', hostileName],
        ['tickSize', hostileDecimal(AMOUNT)],
        ['lotSize', hostileDecimal(AMOUNT)],
        ['minSize', hostileDecimal(AMOUNT)],
        // spreadBps is optional: left out (undefined or null), the pool's default spread is taken, no refusal.
        ['spreadBps', hostileDecimal(BPS).filter((v) => v !== undefined && v !== null)],
      ]).map(([field, v]) => ({
        what: `createPool ${field}`,
        field,
        call: () => c.createPool({ ...newPool(), [field]: v } as never),
      })),
      pick(CONFIG_LEAVES).map(([field, v]) => ({
        what: `createPool config.${field}`,
        field,
        call: () => c.createPool({ ...newPool(), config: nest(field, v) }),
      })),
      pick<string, unknown>([
        ['poolId', hostilePoolId],
        ['base', hostileDecimal(AMOUNT)],
        ['quote', hostileDecimal(AMOUNT)],
        ['requestId', hostileIdentifier(200)],
      ]).map(([field, v]) => ({
        what: `addLiquidity ${field}`,
        field,
        call: () => c.addLiquidity({ ...deposit(), [field]: v } as never),
      })),
      pick<string, unknown>([
        ['poolId', hostilePoolId],
        ['shares', hostileDecimal(AMOUNT)],
        ['requestId', hostileIdentifier(200)],
      ]).map(([field, v]) => ({
        what: `removeLiquidity ${field}`,
        field,
        call: () => c.removeLiquidity({ ...withdrawal(), [field]: v } as never),
      })),
      pick<string, unknown>([
        ['poolId', hostilePoolId],
        ['clientOrderId', hostileIdentifier()],
        ['side', fc.oneof(notAString, fc.constantFrom('BUY', 'bid', ''))],
        ['price', hostileDecimal(AMOUNT)],
        ['quantity', hostileDecimal(AMOUNT)],
      ]).map(([field, v]) => ({
        what: `submitOrder ${field}`,
        field,
        call: () => c.submitOrder({ ...order(), [field]: v } as never),
      })),
      pick<string, unknown>([
        ['poolId', hostilePoolId],
        ['orderId', hostileIdentifier()],
        ['clientOrderId', hostileIdentifier()],
        ['reason', hostileReason],
      ]).map(([field, v]) => ({
        what: `cancelOrder ${field}`,
        field,
        call: () => c.cancelOrder({ ...cancel(), [field]: v } as never),
      })),
      hostileReason.map((v) => ({
        what: 'pause reason',
        field: 'reason',
        call: () => c.pause(quiet, v as string),
      })),
      hostileReason.map((v) => ({
        what: 'stopPool reason',
        field: 'reason',
        call: () => c.stopPool(quiet, v as string),
      })),
      hostilePoolId.map((v) => ({ what: 'pause poolId', field: 'poolId', call: () => c.pause(v as string) })),
      pick(CONFIG_LEAVES).map(([field, v]) => ({
        what: `updateConfig ${field}`,
        field,
        call: () => c.updateConfig(quiet, nest(field, v)),
      })),
      pick(CONFIG_LEAVES.filter(([f]) => f.startsWith('risk.'))).map(([field, v]) => ({
        what: `setRiskLimits ${field}`,
        field,
        call: () => c.setRiskLimits(quiet, { [field.slice(5)]: v }),
      })),
      hostilePoolId.map((v) => ({
        what: 'startPool poolId',
        field: 'poolId',
        call: () => c.startPool(v as string),
      })),
      fc
        .constantFrom(...startOptions)
        .chain(([field, min, max]) => hostileInteger(min, max).map((v) => [field, v] as const))
        .map(([field, v]) => ({
          what: `startPool ${field}`,
          field,
          call: () => c.startPool(idle, { [field]: v }),
        })),
      unknownKey(startOptions.map(([f]) => f)).map((key) => ({
        what: `startPool option ${key}`,
        field: key,
        call: () => c.startPool(idle, JSON.parse(`{${JSON.stringify(key)}: 1000}`)),
      })),
    );
    await fc.assert(
      fc.asyncProperty(calls, async ({ what, field, call }) => {
        const before = await tableSnapshot(m.db);
        expectFieldRefusal(await refusalOf(call), field, what);
        await unchanged(what, before);
      }),
      { numRuns: 100 },
    );
  });

  describe.each<[string, StartInputSpec, (poolId: string) => string]>([
    ['MarketMakerWorkflow', MARKET_MAKER_START, marketMakerWorkflowId],
    ['SpreadManagementSaga', SPREAD_SAGA_START, spreadSagaWorkflowId],
  ])('%s start inputs', (_type, spec, idFor) => {
    it('any hostile start input fails the workflow at once, naming the field; no task fails, nothing is written', async () => {
      const stray = () => `sweep-${randomBytes(4).toString('hex')}`;
      const known = ['poolId', 'carried', ...spec.integers.map(([f]) => f)];
      const cases = fc.oneof(
        fc
          .oneof(notAString, fc.string())
          .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
          .map((input) => ({ input, workflowId: stray(), field: 'input' })),
        hostilePoolId.map((poolId) => ({ input: { poolId }, workflowId: stray(), field: 'poolId' })),
        fc
          .constantFrom(...spec.integers)
          .chain(([field, min, max]) => hostileInteger(min, max).map((v) => [field, v] as const))
          .map(([field, v]) => ({ input: { poolId: idle, [field]: v }, workflowId: idFor(idle), field })),
        fc.tuple(unknownKey(known), fc.jsonValue({ maxDepth: 2 })).map(([key, v]) => ({
          input: JSON.parse(
            `{"poolId":${JSON.stringify(idle)},${JSON.stringify(key)}:${JSON.stringify(v ?? null)}}`,
          ),
          workflowId: idFor(idle),
          field: key,
        })),
        fc.jsonValue({ maxDepth: 2 }).map((carried) => ({
          input: { poolId: idle, carried: carried ?? protoObject() },
          workflowId: idFor(idle),
          field: 'carried',
        })),
        // A second market maker or saga on a running pool, under an id of the caller's choosing.
        fc
          .constantFrom(idle, quiet)
          .map((poolId) => ({ input: { poolId }, workflowId: stray(), field: 'workflowId' })),
      );
      await fc.assert(
        fc.asyncProperty(cases, async ({ input, workflowId, field }) => {
          const before = await tableSnapshot(m.db);
          const what = `${spec.workflow} ${workflowId} ${JSON.stringify(input)?.slice(0, 200)}`;
          const handle = await m.temporal.client.workflow.start(spec.workflow, {
            taskQueue: m.temporal.taskQueue,
            workflowId,
            args: [input],
          });
          try {
            const err = await handle.result().then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(err, what).toBeInstanceOf(WorkflowFailedError);
            const message = String((err as WorkflowFailedError).cause?.message);
            expect(refusedField(err), `${what}: ${message}`).toBe(field);
            expect(named(message, field), `${what}: ${message}`).toBe(true);
            await expectNoFailedWorkflowTask(handle);
          } finally {
            await handle.terminate('sweep cleanup').catch(() => undefined);
          }
          await unchanged(what, before);
        }),
        { numRuns: 50 },
      );
    });
  });

  it('pause and stop signals with hostile payloads are refused and shown in the status; resume with any payload changes nothing', async () => {
    const handle = m.client.marketMaker(quiet);
    type Case = { signal: string; payload: unknown; field: string | null };
    const cases: fc.Arbitrary<Case> = fc.oneof(
      fc.constantFrom('pause', 'stop').chain((signal) =>
        fc.oneof(
          hostileReason.map((reason) => ({
            signal,
            payload: { reason } as unknown,
            field: 'reason' as string | null,
          })),
          fc
            .oneof(notAString, fc.string())
            // NaN and the infinities travel as JSON null, which means "no payload": a plain pause.
            .filter((v) => JSON.stringify(v) !== 'null' && (typeof v !== 'object' || Array.isArray(v)))
            .map((payload) => ({ signal, payload, field: 'payload' })),
          fc.tuple(unknownKey(['reason']), fc.jsonValue({ maxDepth: 1 })).map(([key, v]) => ({
            signal,
            payload: JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(v ?? null)}}`) as unknown,
            field: key,
          })),
        ),
      ),
      fc.anything({ maxDepth: 2 }).map((payload) => ({ signal: 'resume', payload, field: null })),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ signal, payload, field }) => {
        const before = await tableSnapshot(m.db);
        const probe = `probe-${++n}`;
        const what = `${signal} ${JSON.stringify(payload)?.slice(0, 200)}`;
        const runBefore = (await handle.describe()).runId;
        await handle.signal(signal, payload);
        await handle.signal(probe);
        const status = await waitFor(`${probe} in the status`, async () => {
          const s = await m.client.status(quiet);
          return s.rejectedSignals.includes(probe) ? s : undefined;
        });
        const entries = status.rejectedSignals;
        const refusal = entries[entries.indexOf(probe) - 1];
        // The refusals list belongs to a run: when the market maker continued as new between the
        // signal and the probe, the refusal is in the previous run's list (the snapshot still holds).
        const sameRun = (await handle.describe()).runId === runBefore;
        // Not refused: whatever precedes the probe (another case's refusal or probe) is not this one's.
        if (sameRun && field === null) {
          expect(refusal?.startsWith(`${signal}: `) ?? false, `${what}: ${refusal}`).toBe(false);
        }
        if (sameRun && field !== null) {
          expect(refusal, what).toMatch(new RegExp(`^${signal}: `));
          expect(named(refusal!, field), `${what}: ${refusal}`).toBe(true);
        }
        expect(status.state, what).toBe('quoting');
        await unchanged(what, before);
      }),
      { numRuns: 50 },
    );
    await expectNoFailedWorkflowTask(handle, { allRuns: true });
  });

  it('updateConfig and setRiskLimits with hostile payloads are rejected naming the field; the workflow runs on', async () => {
    const handle: WorkflowHandle = m.client.marketMaker(quiet);
    type Case = { update: string; payload: unknown; field: string };
    const cases: fc.Arbitrary<Case> = fc.oneof(
      pick(CONFIG_LEAVES).map(([field, v]) => ({ update: 'updateConfig', payload: nest(field, v), field })),
      pick(CONFIG_LEAVES.filter(([f]) => f.startsWith('risk.'))).map(([field, v]) => ({
        update: 'setRiskLimits',
        payload: { [field.slice(5)]: v },
        field,
      })),
      fc
        .oneof(notAString, fc.string())
        .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
        .map((payload) => ({ update: 'updateConfig', payload, field: 'patch' })),
      fc
        .tuple(
          fc.constantFrom('', 'risk.', 'ladder.', 'quoting.'),
          fc.constantFrom('__proto__', 'constructor', 'prototype'),
        )
        .map(([section, key]) => ({
          update: 'updateConfig',
          payload: section
            ? { [section.slice(0, -1)]: protoObject({ maxLoss: '1' }) }
            : JSON.parse(`{${JSON.stringify(key)}: {"refreshIntervalMs": 100}}`),
          field: section ? `${section}__proto__` : key,
        })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ update, payload, field }) => {
        const before = await tableSnapshot(m.db);
        const what = `${update} ${JSON.stringify(payload)?.slice(0, 200)}`;
        const err = await handle.executeUpdate(update, { args: [payload] }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, what).toBeInstanceOf(WorkflowUpdateFailedError);
        const message = String((err as WorkflowUpdateFailedError).cause?.message);
        expect(refusedField(err), `${what}: ${message}`).toBe(field);
        expect(named(message, field), `${what}: ${message}`).toBe(true);
        await unchanged(what, before);
      }),
      { numRuns: 60 },
    );
    await expectNoFailedWorkflowTask(handle);
    expect((await m.client.status(quiet)).state).toBe('quoting');
  });
});

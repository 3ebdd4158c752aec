import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStream } from '../../db/event-store';
import { createSmokeActivities } from '../fixtures/smoke-activities';
import { smokeWorkflow } from '../fixtures/smoke-workflow';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { connectTemporal, createTestWorker, type TemporalTestContext } from '../helpers/temporal';

describe('smoke: a workflow on the real dev server writes to real Postgres through a real worker', () => {
  let t: TestDatabase;
  let temporal: TemporalTestContext;
  beforeAll(async () => {
    t = await createTestDatabase();
    temporal = await connectTemporal('smoke');
  });
  afterAll(async () => {
    await temporal.close();
    await t.drop();
  });

  it('runs the activity once and the event lands in the events table', async () => {
    const worker = await createTestWorker(temporal, {
      workflowsPath: fileURLToPath(new URL('../fixtures/smoke-workflow.ts', import.meta.url)),
      activities: createSmokeActivities(t.db),
    });
    const version = await worker.runUntil(
      temporal.client.workflow.execute(smokeWorkflow, {
        taskQueue: temporal.taskQueue,
        workflowId: `smoke-${temporal.taskQueue}`,
        args: ['eth-usdc'],
      }),
    );
    expect(version).toBe(1);
    const events = await readStream(t.db, 'smoke-eth-usdc');
    expect(events.map((e) => [e.type, e.payload.reason])).toEqual([['market_maker_paused', 'smoke test']]);
    expect(events[0]!.eventId).toMatch(/^smoke-smoke-[0-9a-f]+\//);
  });
});

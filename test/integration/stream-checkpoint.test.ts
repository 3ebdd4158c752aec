import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/connection';
import { appendToStream } from '../../db/event-store';
import { readPastCheckpoint, storedStreamCheckpoint } from '../../db/stream-checkpoint';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

/** The spread saga's durable checkpoint: forward only, each event handed over once, however readers race. */
describe('a per-stream checkpoint in Postgres', () => {
  let t: TestDatabase;
  /** The worker's login, which the saga's reads run as. */
  let worker: Db;
  beforeAll(async () => {
    t = await createTestDatabase();
    worker = createDb(t.urls.worker, { maxConnections: 10 });
  });
  afterAll(async () => {
    await worker?.destroy();
    await t?.drop();
  });

  async function streamOf(n: number, name: string) {
    await appendToStream(
      worker,
      name,
      'any',
      Array.from({ length: n }, (_, i) => ({
        eventId: `${name}/${i}`,
        type: 'market_maker_resumed' as const,
        payload: { poolId: 'p', reason: `r${i}` },
      })),
    );
  }

  it('readers racing from a rewound checkpoint are handed each event once, and every count stays exact', async () => {
    await streamOf(200, 'race');
    // Eight readers, each as if rewound to 0 (a reset, a fresh start, a zombie run), paging by 7.
    const handed: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        let after = 0;
        for (;;) {
          const page = await readPastCheckpoint(worker, {
            subscriber: 'saga/race',
            streamId: 'race',
            afterVersion: after,
            limit: 7,
          });
          // Whatever was skipped plus what was read covers exactly the range moved over.
          const counted = Object.values(page.counts).reduce((a, b) => a + b, 0);
          expect(counted).toBe(page.lastVersion - after);
          handed.push(page.read);
          after = page.lastVersion;
          if (page.read === 0) return;
        }
      }),
    );
    expect(handed.reduce((a, b) => a + b, 0)).toBe(200);
    expect(await storedStreamCheckpoint(t.db, 'saga/race')).toBe(200);
  });

  it('the database refuses to move a stream checkpoint backwards', async () => {
    await streamOf(3, 'back');
    await readPastCheckpoint(worker, {
      subscriber: 'saga/back',
      streamId: 'back',
      afterVersion: 0,
      limit: 10,
    });
    await expect(
      sql`update checkpoints set stream_version = 1 where subscriber = 'saga/back'`.execute(t.db),
    ).rejects.toThrow(/may only move forward/);
    expect(await storedStreamCheckpoint(t.db, 'saga/back')).toBe(3);
  });

  it('refuses a bad position or page size, naming it', async () => {
    await expect(
      readPastCheckpoint(worker, { subscriber: 's', streamId: 'x', afterVersion: -1, limit: 10 }),
    ).rejects.toThrow(/afterVersion/);
    await expect(
      readPastCheckpoint(worker, { subscriber: 's', streamId: 'x', afterVersion: 0, limit: 0 }),
    ).rejects.toThrow(/limit/);
  });
});

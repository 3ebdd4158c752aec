import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendToStream,
  checkpointOf,
  ConcurrencyError,
  IdempotencyConflictError,
  readAll,
  readStream,
  START_OF_LOG,
  type GlobalCheckpoint,
} from '../../db/event-store';
import { EventValidationError, type NewEvent } from '../../domain/events';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

const paused = (id: string, reason = 'test'): NewEvent => ({
  eventId: id,
  type: 'market_maker_paused',
  payload: { poolId: 'eth-usdc', reason },
});

describe('event store on real Postgres', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ maxConnections: 30 });
  });
  afterAll(() => t.drop());

  it('a repeated append succeeds and writes nothing; a partial overlap is refused', async () => {
    const batch = [paused('a-1'), paused('a-2')];
    expect(await appendToStream(t.db, 's-idem', 'no_stream', batch)).toEqual({ version: 2, written: 2 });
    // The retry still carries its original expected version: idempotency wins over the version check.
    expect(await appendToStream(t.db, 's-idem', 'no_stream', batch)).toEqual({ version: 2, written: 0 });
    await expect(appendToStream(t.db, 's-idem', 2, [paused('a-2'), paused('a-3')])).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
    const stored = await readStream(t.db, 's-idem');
    expect(stored.map((e) => [e.eventId, e.streamVersion])).toEqual([
      ['a-1', 1],
      ['a-2', 2],
    ]);
  });

  it('two writers at the same expected version: exactly one wins', async () => {
    await appendToStream(t.db, 's-race', 'no_stream', [paused('r-0')]);
    const results = await Promise.allSettled(
      [1, 2].map((w) =>
        t.db.transaction().execute(async (trx) => {
          await appendToStream(trx, 's-race', 1, [paused(`r-w${w}`)]);
          // Hold the transaction open so both writers overlap.
          await sql`select pg_sleep(0.2)`.execute(trx);
        }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConcurrencyError);
    expect((await readStream(t.db, 's-race')).map((e) => e.streamVersion)).toEqual([1, 2]);
  });

  it('a stale expected version is refused with a message that says what to do', async () => {
    await appendToStream(t.db, 's-stale', 'no_stream', [paused('st-1'), paused('st-2')]);
    await expect(appendToStream(t.db, 's-stale', 1, [paused('st-3')])).rejects.toThrow(
      /at version 2 but the writer expected 1.*Reload/,
    );
  });

  it('refuses unknown types and bad payloads, naming the field, and writes nothing', async () => {
    await expect(
      appendToStream(t.db, 's-bad', 'any', [
        { eventId: 'b-1', type: 'pool_exploded' as never, payload: {} as never },
      ]),
    ).rejects.toThrow(/Unknown event type "pool_exploded"/);
    await expect(
      appendToStream(t.db, 's-bad', 'any', [
        {
          eventId: 'b-2',
          type: 'spread_adjusted',
          payload: { poolId: 'p', oldSpreadBps: '30', newSpreadBps: 'wide', reasons: [] },
        },
      ]),
    ).rejects.toThrow(/field "newSpreadBps"/);
    await expect(
      appendToStream(t.db, 's-bad', 'any', [
        {
          eventId: 'b-3',
          type: 'market_maker_paused',
          payload: { poolId: 'p', reason: 'x', colour: 'red' } as never,
        },
      ]),
    ).rejects.toBeInstanceOf(EventValidationError);
    expect(await readStream(t.db, 's-bad')).toEqual([]);
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE on events, and the app role may only read and insert', async () => {
    await appendToStream(t.db, 's-immutable', 'any', [paused('im-1')]);
    await expect(sql`update events set type = 'x' where event_id = 'im-1'`.execute(t.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from events where event_id = 'im-1'`.execute(t.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`truncate events`.execute(t.db)).rejects.toThrow(/append-only/);
    // Neither the worker nor a client may rewrite events, and neither owns the table (so neither can
    // disable the trigger); the first release's lpmm_app role holds nothing any more.
    for (const role of ['lpmm_worker', 'lpmm_client', 'lpmm_app']) {
      const as = (stmt: ReturnType<typeof sql>) =>
        t.db.transaction().execute(async (trx) => {
          await sql`set local role ${sql.id(role)}`.execute(trx);
          await stmt.execute(trx);
        });
      await expect(as(sql`update events set type = 'x'`), role).rejects.toThrow(/permission denied/);
      await expect(as(sql`delete from events`), role).rejects.toThrow(/permission denied/);
      await expect(as(sql`alter table events disable trigger events_no_update_delete`), role).rejects.toThrow(
        /must be owner/,
      );
      if (role !== 'lpmm_app')
        await expect(as(sql`select count(*) from events`), role).resolves.toBeUndefined();
    }
    expect((await readStream(t.db, 's-immutable')).map((e) => e.type)).toEqual(['market_maker_paused']);
  });

  it('a global reader polling while 8 writers append sees every event exactly once, in a stable order', async () => {
    const writers = 8;
    const perWriter = 40;
    const seen: string[] = [];
    let checkpoint: GlobalCheckpoint = START_OF_LOG;
    let writing = true;

    const poll = async () => {
      const batch = await readAll(t.db, checkpoint, 500);
      for (const e of batch) if (e.streamId.startsWith('w-')) seen.push(e.eventId);
      if (batch.length) checkpoint = checkpointOf(batch[batch.length - 1]!);
    };
    const reader = (async () => {
      while (writing) {
        await poll();
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        (async () => {
          for (let i = 0; i < perWriter; i++) {
            await t.db.transaction().execute(async (trx) => {
              await appendToStream(trx, `w-${w}`, i === 0 ? 'no_stream' : i, [paused(`w${w}-${i}`)]);
              // Random commit delays make transactions commit out of position order.
              if (Math.random() < 0.3) await sql`select pg_sleep(${Math.random() * 0.02})`.execute(trx);
            });
          }
        })(),
      ),
    );
    writing = false;
    await reader;
    await poll();

    expect(seen).toHaveLength(writers * perWriter);
    expect(new Set(seen).size).toBe(writers * perWriter);
    // Per stream the order is the stream order.
    for (let w = 0; w < writers; w++) {
      const mine = seen.filter((id) => id.startsWith(`w${w}-`));
      expect(mine).toEqual(Array.from({ length: perWriter }, (_, i) => `w${w}-${i}`));
    }
    // A second full read gives the same order: the order is stable.
    const again = (await readAll(t.db, START_OF_LOG, 100_000)).filter((e) => e.streamId.startsWith('w-'));
    expect(again.map((e) => e.eventId)).toEqual(seen);
  });
});

import { sql, type Kysely } from 'kysely';

/**
 * What the dashboard reads (issue 12). Its role, `lpmm_dashboard`, already may SELECT every table it
 * shows (migrations 0003 and 0004) and logs in read-only (`default_transaction_read_only`), so no
 * grant is added here.
 *
 * Its pages ask "this pool's events between two times", and a stream is otherwise indexed by
 * version only: a 15-minute window of a market maker that has run for a day would read the whole
 * stream. One more btree entry per appended event buys windows that read only their own rows
 * (bench/dashboard.ts measures the rows each page load and live update reads).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index events_stream_time on events (stream_id, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index events_stream_time`.execute(db);
}

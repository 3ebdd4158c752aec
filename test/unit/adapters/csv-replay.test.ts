import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvFormatError, CsvReplayFeed, parseCsvTicks } from '../../../adapters/price-feed/csv-replay';

const T0 = Date.parse('2024-01-01T00:00:00Z');

function errorOf(csv: string): CsvFormatError {
  try {
    parseCsvTicks(csv, 'prices.csv');
  } catch (err) {
    expect(err).toBeInstanceOf(CsvFormatError);
    return err as CsvFormatError;
  }
  throw new Error('expected a CsvFormatError');
}

async function drain(feed: CsvReplayFeed, max = 100) {
  const out = [];
  for (let i = 0; i < max; i++) {
    const t = await feed.next();
    if (t === null) break;
    out.push(t);
  }
  return out;
}

describe('parseCsvTicks', () => {
  it('reads ISO-8601 and epoch-ms rows, with or without a header, skipping blanks and comments, CRLF or LF', () => {
    const rows = [
      { line: 3, observedAtMs: T0, price: '2000.5' },
      { line: 5, observedAtMs: T0 + 1000, price: '2001' },
      { line: 6, observedAtMs: T0 + 2000, price: '1999.25' },
    ];
    const body = `# exported from the venue\r\n2024-01-01T00:00:00Z,2000.50\r\n\r\n${T0 + 1000},2001\r\n2024-01-01T02:00:02+02:00,"1999.25"\r\n`;
    expect(parseCsvTicks(`timestamp,price\r\n${body}`)).toEqual(rows);
    expect(parseCsvTicks(`\n${body.replace(/\r/g, '')}`)).toEqual(rows);
    expect(parseCsvTicks('2024-01-01T00:00:00.250Z,1')).toEqual([
      { line: 1, observedAtMs: T0 + 250, price: '1' },
    ]);
  });

  it.each([
    [
      'a bad price',
      'timestamp,price\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01Z,abc',
      3,
      /price must be a positive decimal string/,
    ],
    ['a negative price', '2024-01-01T00:00:00Z,-5', 1, /price must not be negative, got "-5"/],
    ['a zero price', '2024-01-01T00:00:00Z,0', 1, /price must not be zero/],
    [
      'a missing field',
      'timestamp,price\n2024-01-01T00:00:00Z',
      2,
      /has 1 fields .*expected "timestamp,price"/,
    ],
    ['an extra field', '2024-01-01T00:00:00Z,1,2', 1, /has 3 fields/],
    ['a zone-less time', '2024-01-01T00:00:00,1', 1, /has no time zone; add "Z"/],
    ['an impossible date', '2024-02-30T00:00:00Z,1', 1, /not a real calendar date/],
    ['a garbage time', 'yesterday 5pm,1', 1, /neither ISO-8601 .* nor epoch milliseconds/],
    ['epoch seconds', '1704067200,1', 1, /looks like epoch seconds, not milliseconds; multiply it by 1000/],
    [
      'an out-of-order row',
      `${T0},1\n${T0 + 5},1\n${T0 + 5},2`,
      3,
      /not after the previous row's \(line 2\); sort the file by time/,
    ],
    ['no data rows', 'timestamp,price\n\n', 3, /contains no data rows/],
  ])('names the line and the problem for %s', (_label, csv, line, message) => {
    const err = errorOf(csv);
    expect(err.line).toBe(line);
    expect(err.message).toMatch(new RegExp(`^prices\\.csv line ${line}: `));
    expect(err.message).toMatch(message);
  });
});

describe('CsvReplayFeed', () => {
  const csv = `timestamp,price\n${T0},10\n${T0 + 1000},11\n${T0 + 3000},12\n`;

  it('yields rows in order, then null', async () => {
    const feed = new CsvReplayFeed({ name: 'replay', csv });
    expect(await drain(feed)).toEqual([
      { feed: 'replay', price: '10', observedAtMs: T0 },
      { feed: 'replay', price: '11', observedAtMs: T0 + 1000 },
      { feed: 'replay', price: '12', observedAtMs: T0 + 3000 },
    ]);
    expect(await feed.next()).toBeNull();
  });

  it('loops with each pass shifted by span plus last gap, so timestamps keep increasing', async () => {
    const feed = new CsvReplayFeed({ name: 'replay', csv, loop: true });
    const ticks = await drain(feed, 7);
    expect(ticks.map((t) => t.observedAtMs - T0)).toEqual([0, 1000, 3000, 5000, 6000, 8000, 10000]);
    expect(ticks.map((t) => t.price)).toEqual(['10', '11', '12', '10', '11', '12', '10']);
  });

  it('rebases timestamps to the clock at the first tick, keeping the gaps', async () => {
    const feed = new CsvReplayFeed({ name: 'replay', csv, timestamps: 'rebase', clock: () => 5_000_000 });
    expect((await drain(feed)).map((t) => t.observedAtMs)).toEqual([5_000_000, 5_001_000, 5_003_000]);
  });

  it('reads a file and names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'csv-replay-'));
    try {
      const good = join(dir, 'good.csv');
      const bad = join(dir, 'bad.csv');
      await writeFile(good, csv);
      await writeFile(bad, `${T0},10\n${T0 + 1},ten\n`);
      expect((await CsvReplayFeed.fromFile(good, { name: 'f' })).rowCount).toBe(3);
      await expect(CsvReplayFeed.fromFile(bad, { name: 'f' })).rejects.toThrow(
        `${bad} line 2: price must be`,
      );
      await expect(CsvReplayFeed.fromFile(join(dir, 'missing.csv'), { name: 'f' })).rejects.toThrow(
        /cannot read price CSV .*missing\.csv for feed "f".*check the path/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { readFile } from 'node:fs/promises';
import { DomainValidationError } from '../../domain/errors';
import { formatDecimal, parseDecimal } from '../../domain/money';
import type { Clock, PriceFeed, PriceTick } from './port';

export interface CsvPriceRow {
  /** 1-based line in the source, kept so later checks can still point at the line. */
  line: number;
  observedAtMs: number;
  price: string;
}

/** A CSV line could not be read as a tick; `line` is 1-based as in any editor. */
export class CsvFormatError extends Error {
  readonly source: string;
  readonly line: number;

  constructor(source: string, line: number, problem: string) {
    super(`${source} line ${line}: ${problem}`);
    this.name = 'CsvFormatError';
    this.source = source;
    this.line = line;
  }
}

const EXPECTED =
  'expected "timestamp,price" with an ISO-8601 time (with Z or an offset) or epoch milliseconds, and a positive decimal price';
const EPOCH_MS_RE = /^\d+$/;
// Date.parse alone is too lenient: it accepts zone-less local times and rolls 2024-02-30 into March.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;
// Epoch milliseconds before 1973 are almost certainly epoch seconds pasted by mistake.
const MIN_PLAUSIBLE_EPOCH_MS = 100_000_000_000;
const HEADER_FIELD_RE = /^[A-Za-z_][A-Za-z0-9_ ()-]*$/;

function unquote(field: string): string {
  const f = field.trim();
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).trim() : f;
}

function parseTimestamp(raw: string): number | string {
  if (EPOCH_MS_RE.test(raw)) {
    const ms = Number(raw);
    if (!Number.isSafeInteger(ms))
      return `timestamp ${JSON.stringify(raw)} is too large for epoch milliseconds`;
    if (ms < MIN_PLAUSIBLE_EPOCH_MS) {
      return `timestamp ${raw} looks like epoch seconds, not milliseconds; multiply it by 1000`;
    }
    return ms;
  }
  const m = ISO_RE.exec(raw);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(raw)) {
      return `timestamp ${JSON.stringify(raw)} has no time zone; add "Z" or an offset such as "+00:00" so it is not read as local time`;
    }
    return `timestamp ${JSON.stringify(raw)} is neither ISO-8601 (e.g. 2024-01-01T00:00:00Z) nor epoch milliseconds`;
  }
  const [, y, mo, d, h, mi, s] = m;
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (
    Number(mo) < 1 ||
    Number(mo) > 12 ||
    Number(d) < 1 ||
    Number(d) > daysInMonth ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s ?? 0) > 59
  ) {
    return `timestamp ${JSON.stringify(raw)} is not a real calendar date and time`;
  }
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? `timestamp ${JSON.stringify(raw)} could not be parsed as ISO-8601` : ms;
}

/**
 * Parses `timestamp,price` lines. Blank lines and lines starting with '#' are skipped; the first
 * content line is a header when every field is a plain word. Rows must be in strictly increasing
 * time, because (feed, observed_at) is unique in price_ticks and a replay must be in order.
 */
export function parseCsvTicks(text: string, source = 'CSV'): CsvPriceRow[] {
  const rows: CsvPriceRow[] = [];
  const lines = text.split(/\r?\n/);
  let sawContent = false;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(',').map(unquote);
    if (!sawContent) {
      sawContent = true;
      if (fields.every((f) => HEADER_FIELD_RE.test(f))) {
        if (fields.length !== 2) {
          throw new CsvFormatError(source, lineNo, `header has ${fields.length} columns, ${EXPECTED}`);
        }
        continue;
      }
    }
    if (fields.length !== 2) {
      throw new CsvFormatError(
        source,
        lineNo,
        `has ${fields.length} fields (${JSON.stringify(line.slice(0, 60))}), ${EXPECTED}`,
      );
    }
    const ts = parseTimestamp(fields[0]!);
    if (typeof ts === 'string') throw new CsvFormatError(source, lineNo, ts);
    let price: string;
    try {
      price = formatDecimal(parseDecimal(fields[1]!, 'price', { allowZero: false }));
    } catch (err) {
      throw new CsvFormatError(source, lineNo, (err as Error).message);
    }
    const prev = rows[rows.length - 1];
    if (prev && ts <= prev.observedAtMs) {
      throw new CsvFormatError(
        source,
        lineNo,
        `timestamp ${fields[0]} is not after the previous row's (line ${prev.line}); sort the file by time and remove duplicate timestamps`,
      );
    }
    rows.push({ line: lineNo, observedAtMs: ts, price });
  }
  if (rows.length === 0) {
    throw new CsvFormatError(source, lines.length, `contains no data rows; ${EXPECTED}`);
  }
  return rows;
}

export interface CsvReplayOptions {
  name: string;
  /** CSV text; use CsvReplayFeed.fromFile to read a file. */
  csv: string;
  /** Shown in error messages, e.g. the file path. */
  source?: string;
  /**
   * After the last row start again from the first. Each pass is shifted forward by the file's
   * span plus its last gap, so timestamps keep increasing and a loop never collides with
   * (feed, observed_at) rows stored on an earlier pass.
   */
  loop?: boolean;
  /**
   * 'original' (default) emits the file's timestamps; 'rebase' shifts them so the first row is
   * observed at the clock's time of the first next(), keeping the gaps: a historical file then
   * looks live to the stale-price risk limit.
   */
  timestamps?: 'original' | 'rebase';
  clock?: Clock;
}

/** Replays rows in order, one per next(), as fast as it is polled; null once exhausted (unless looping). */
export class CsvReplayFeed implements PriceFeed {
  readonly name: string;
  private readonly rows: CsvPriceRow[];
  private readonly loop: boolean;
  private readonly rebase: boolean;
  private readonly clock: Clock;
  private readonly passSpanMs: number;
  private index = 0;
  private pass = 0;
  private offsetMs: number | null = null;

  constructor(opts: CsvReplayOptions) {
    if (opts.name.trim() === '')
      throw new DomainValidationError('name', 'name must be a non-empty feed name');
    this.name = opts.name;
    this.rows = parseCsvTicks(opts.csv, opts.source ?? `CSV for feed "${opts.name}"`);
    this.loop = opts.loop ?? false;
    this.rebase = (opts.timestamps ?? 'original') === 'rebase';
    this.clock = opts.clock ?? Date.now;
    const first = this.rows[0]!.observedAtMs;
    const last = this.rows[this.rows.length - 1]!.observedAtMs;
    const lastGap = this.rows.length > 1 ? last - this.rows[this.rows.length - 2]!.observedAtMs : 1000;
    this.passSpanMs = last - first + lastGap;
  }

  static async fromFile(
    path: string,
    opts: Omit<CsvReplayOptions, 'csv' | 'source'>,
  ): Promise<CsvReplayFeed> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(
        `cannot read price CSV ${path} for feed "${opts.name}": ${(err as Error).message}; check the path`,
        { cause: err },
      );
    }
    return new CsvReplayFeed({ ...opts, csv: text, source: path });
  }

  get rowCount(): number {
    return this.rows.length;
  }

  async next(): Promise<PriceTick | null> {
    if (this.index >= this.rows.length) {
      if (!this.loop) return null;
      this.index = 0;
      this.pass++;
    }
    if (this.offsetMs === null) {
      this.offsetMs = this.rebase ? this.clock() - this.rows[0]!.observedAtMs : 0;
    }
    const row = this.rows[this.index++]!;
    return {
      feed: this.name,
      price: row.price,
      observedAtMs: row.observedAtMs + this.offsetMs + this.pass * this.passSpanMs,
    };
  }
}

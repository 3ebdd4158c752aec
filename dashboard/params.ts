import { POOL_ID } from '../domain/text';

/*
 * Query parameters of the dashboard's pages and API. Anything a browser can type into the address
 * bar is checked here, and a bad value becomes a 400 that says what was wrong and what is accepted.
 */

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status: 400 | 401 | 404 | 405 | 409 | 422 = 400,
  ) {
    super(message);
  }
}

export const WINDOWS: Record<string, number> = {
  '5m': 5 * 60_000,
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '6h': 6 * 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
};
export const DEFAULT_WINDOW = '15m';
/** The longest range a page may ask for: the charts thin it out, but the queries still read it. */
export const MAX_RANGE_MS = WINDOWS['7d']!;

export interface TimeRange {
  fromMs: number;
  toMs: number;
  /** The named window when the range was given as one ("live": its end follows the clock). */
  window: string | null;
}

function parseInstant(raw: string, field: string): number {
  const ms = /^\d{10,16}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw new BadRequest(
      `${field} must be an ISO 8601 time (2026-01-31T12:00:00Z) or epoch milliseconds, got "${raw.slice(0, 60)}"`,
    );
  }
  return ms;
}

/** `window=15m`, or `from` (and optionally `to`, default now) as ISO times or epoch milliseconds. */
export function parseTimeRange(q: URLSearchParams, nowMs: number): TimeRange {
  const window = q.get('window');
  const from = q.get('from');
  const to = q.get('to');
  if (window !== null && (from !== null || to !== null)) {
    throw new BadRequest('give either window or from/to, not both');
  }
  if (from === null && to !== null) throw new BadRequest('to needs a from');
  if (from === null) {
    const name = window ?? DEFAULT_WINDOW;
    const span = WINDOWS[name];
    if (span === undefined) {
      throw new BadRequest(
        `window must be one of ${Object.keys(WINDOWS).join(', ')}, got "${name.slice(0, 40)}"`,
      );
    }
    return { fromMs: nowMs - span, toMs: nowMs, window: name };
  }
  const fromMs = parseInstant(from, 'from');
  const toMs = to === null ? nowMs : parseInstant(to, 'to');
  if (fromMs >= toMs) {
    throw new BadRequest(
      `from must be before to (got from ${new Date(fromMs).toISOString()}, to ${new Date(toMs).toISOString()})`,
    );
  }
  if (toMs - fromMs > MAX_RANGE_MS) {
    throw new BadRequest('the time range may span at most 7 days; narrow from/to');
  }
  return { fromMs, toMs, window: null };
}

export function parsePoolParam(raw: string): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new BadRequest('the pool id in the address is not valid percent-encoding');
  }
  // The client library's rule: anything else cannot name a pool.
  if (!POOL_ID.test(id)) {
    throw new BadRequest(
      `a pool id is 1-64 letters, digits, _ . - starting with a letter or digit, got "${id.slice(0, 70)}"`,
    );
  }
  return id;
}

/** Results file names: plain names inside the results folder, never a path out of it. */
export function parseResultsFileParam(raw: string): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new BadRequest('the file name in the address is not valid percent-encoding');
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.json$/.test(name) || name.includes('..')) {
    throw new BadRequest(
      `a results file is a plain .json name inside the results folder, got "${name.slice(0, 80)}"`,
    );
  }
  return name;
}

/** DASHBOARD_PORT and --port: 0 (or unset) picks any free port. */
export function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`the dashboard port must be an integer 0-65535 (0: any free port), got "${raw}"`);
  }
  return n;
}

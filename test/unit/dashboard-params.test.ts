import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BadRequest,
  MAX_RANGE_MS,
  WINDOWS,
  parsePoolParam,
  parseResultsFileParam,
  parseTimeRange,
} from '../../dashboard/params';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const q = (s: string) => new URLSearchParams(s);

describe('dashboard query parameters', () => {
  it('a named window ends now and spans its length; none means the last 15 minutes', () => {
    expect(parseTimeRange(q(''), NOW)).toEqual({ fromMs: NOW - WINDOWS['15m']!, toMs: NOW, window: '15m' });
    expect(parseTimeRange(q('window=6h'), NOW)).toEqual({
      fromMs: NOW - 6 * 3600_000,
      toMs: NOW,
      window: '6h',
    });
  });

  it('any from before to, at most 7 days apart, is taken as given (ISO or epoch ms)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: NOW }),
        fc.integer({ min: 1, max: MAX_RANGE_MS }),
        (from, span) => {
          const to = from + span;
          const iso = parseTimeRange(
            q(`from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`),
            NOW,
          );
          expect(iso).toEqual({ fromMs: from, toMs: to, window: null });
        },
      ),
    );
    expect(parseTimeRange(q(`from=${NOW - 3600_000}`), NOW)).toEqual({
      fromMs: NOW - 3600_000,
      toMs: NOW,
      window: null,
    });
  });

  it('refuses a backwards, empty, too long or unreadable range with a 400 saying what is accepted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1e12, max: NOW }),
        fc.integer({ min: 0, max: MAX_RANGE_MS }),
        (to, back) => {
          expect(() => parseTimeRange(q(`from=${to + back}&to=${to}`), NOW)).toThrow(
            /from must be before to/,
          );
        },
      ),
      { numRuns: 50 },
    );
    const bad: Array<[string, RegExp]> = [
      ['window=2y', /window must be one of 5m, 15m, 1h, 6h, 24h, 7d/],
      ['from=yesterday', /from must be an ISO 8601 time/],
      ['from=2026-01-01T00:00:00Z&to=nope', /to must be an ISO 8601 time/],
      ['to=2026-01-01T00:00:00Z', /to needs a from/],
      ['window=1h&from=2026-01-01T00:00:00Z', /either window or from\/to/],
      ['from=2026-01-01T00:00:00Z&to=2026-01-09T00:00:00Z', /at most 7 days/],
    ];
    for (const [query, message] of bad) {
      expect(() => parseTimeRange(q(query), NOW), query).toThrow(message);
      try {
        parseTimeRange(q(query), NOW);
      } catch (err) {
        expect((err as BadRequest).status).toBe(400);
      }
    }
  });

  it('pool ids follow the client library rule; results files stay inside their folder', () => {
    expect(parsePoolParam('eth-usdc-1')).toBe('eth-usdc-1');
    expect(parsePoolParam('eth%2Dusdc')).toBe('eth-usdc');
    for (const raw of ['', '-x', 'a b', '%E0%A4%A', 'x'.repeat(65), '..%2Fetc']) {
      expect(() => parsePoolParam(raw), raw).toThrow(BadRequest);
    }
    expect(parseResultsFileParam('tournament-2026.json')).toBe('tournament-2026.json');
    for (const raw of ['..%2Fpackage.json', '%2Fetc%2Fpasswd.json', 'a.txt', '.hidden.json', 'a..json']) {
      expect(() => parseResultsFileParam(raw), raw).toThrow(BadRequest);
    }
  });
});

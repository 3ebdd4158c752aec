import { describe, expect, it } from 'vitest';
import { TickBook } from '../../../db/tick-book';

const tick = (t: number, price = String(2000 + t)) => ({ price, observedAtMs: t });

describe("TickBook (a worker keeps its feeds' recent ticks from notifications)", () => {
  it('answers nothing until notifications are known to arrive (a gap would go unnoticed)', () => {
    const book = new TickBook();
    book.load('f', [tick(1), tick(2)], 2);
    expect(book.recent('f', 2)).toBeUndefined();
    book.enabled = true;
    expect(book.recent('f', 2)).toBeUndefined();
    book.load('f', [tick(1), tick(2)], 2);
    expect(book.recent('f', 2)).toEqual([tick(1), tick(2)]);
  });

  it('keeps the latest ticks in time order, however they arrive, up to the loaded depth', () => {
    const book = new TickBook();
    book.enabled = true;
    book.load('f', [tick(1), tick(2), tick(3)], 3);
    book.add('f', tick(5));
    book.add('f', tick(4)); // late
    book.add('f', tick(5)); // repeated
    expect(book.recent('f', 3)).toEqual([tick(3), tick(4), tick(5)]);
    // Deeper than loaded: the caller must read the table.
    expect(book.recent('f', 4)).toBeUndefined();
    // A feed nobody loaded is not tracked.
    book.add('g', tick(1));
    expect(book.recent('g', 1)).toBeUndefined();
  });

  it('keeps ticks that arrived while a load was running, and forgets everything when cleared', () => {
    const book = new TickBook();
    book.enabled = true;
    // Notified before the feed's first load finished: merged into it.
    book.add('g', tick(9));
    book.load('g', [tick(7), tick(8)], 3);
    expect(book.recent('g', 3)).toEqual([tick(7), tick(8), tick(9)]);
    book.load('f', [tick(1)], 3);
    book.add('f', tick(3));
    book.load('f', [tick(1), tick(2)], 3);
    expect(book.recent('f', 3)).toEqual([tick(1), tick(2), tick(3)]);
    book.clear();
    expect(book.recent('f', 1)).toBeUndefined();
  });
});

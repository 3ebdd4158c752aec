import type { PriceFeed, PriceTick } from '../adapters/price-feed/port';

/**
 * Wraps a feed so the simulation knows the next price before the market does: each tick is held
 * back for one poll and published on the next, while `upcoming()` shows the held tick to informed
 * takers. With `lookahead: false` ticks pass straight through (a live feed has no future to show).
 */
export class LookaheadFeed implements PriceFeed {
  readonly name: string;
  private pending: PriceTick | null = null;
  private published: PriceTick | null;

  constructor(
    private readonly inner: PriceFeed,
    private readonly opts: { lookahead: boolean; lastPublished?: PriceTick | null } = { lookahead: true },
  ) {
    this.name = inner.name;
    this.published = opts.lastPublished ?? null;
  }

  async next(): Promise<PriceTick | null> {
    const tick = await this.inner.next();
    if (tick === null) return null;
    if (!this.opts.lookahead) {
      this.published = tick;
      return tick;
    }
    const out = this.pending;
    this.pending = tick;
    if (out) this.published = out;
    return out;
  }

  /** The newest price handed to the market. */
  current(): string | null {
    return this.published?.price ?? null;
  }

  /** The price the market will see next; null without lookahead or before the first tick. */
  upcoming(): string | null {
    return this.opts.lookahead ? (this.pending?.price ?? null) : null;
  }
}

import {
  Big,
  HALF,
  ONE_BASIS_POINT,
  ceilToStep,
  floorToStep,
  ratioToBig,
  truncatedQuotient,
} from '../../money';
import { inventoryShare } from '../../pool';
import { inventorySizeFactors } from '../ladder';
import type { ModelOutput } from '../model-core';
import { modelQuoteToPrices, tidy } from '../pipeline';
import type { ModelQuote, QuoteInput } from '../types';
import { capModelWidth, maxWidth, resolveMinSpreadFloorBps } from '../width-limits';
import { toDecimalQuoteInput } from './bridge';
import type { DecimalGrid } from './grid';
import type { FastMarket, FastQuoteInput, FastQuoterConfig, FastQuoterStats } from './types';

/** What a quoter fixes once that its decimal decisions need. */
export interface ExactSetup {
  config: FastQuoterConfig;
  market: FastMarket;
  tick: DecimalGrid;
  lot: DecimalGrid;
  spacingBps: Big;
  /** baseOrderSize x sizeDecay^i per level. */
  levelSize: readonly Big[];
  maxNotional: Big | undefined;
  counts: FastQuoterStats['exactValues'];
}

/**
 * The decimal side of one fast quote: each method decides one value exactly as the decimal
 * pipeline does, with its own helpers, on the decimals the call's doubles stand for. Decimal
 * values are built on first use and kept until the next call (`reset`).
 */
export class ExactDecisions {
  /** Whether the current call needed any decimal decision. */
  used = false;
  private fast!: FastQuoteInput;
  private model!: ModelOutput;
  private dInput: QuoteInput | undefined;
  private dMid: Big | undefined;
  private dSpacing: Big | undefined;
  private dQuote: { quote: ModelQuote; capped: boolean } | undefined;
  private dFactors: { bid: Big; ask: Big } | undefined;

  constructor(private readonly s: ExactSetup) {}

  reset(fast: FastQuoteInput, model: ModelOutput): void {
    this.fast = fast;
    this.model = model;
    this.used = false;
    this.dInput = this.dMid = this.dSpacing = this.dQuote = this.dFactors = undefined;
  }

  input(): QuoteInput {
    return (this.dInput ??= toDecimalQuoteInput(this.s.config, this.s.market, this.fast));
  }

  private mid(): Big {
    return (this.dMid ??= new Big(this.fast.mid));
  }

  private spacing(): Big {
    return (this.dSpacing ??= this.mid().times(this.s.spacingBps).times(ONE_BASIS_POINT));
  }

  /** runPipeline's level-0 quote: converted, cut to 20 decimals, width-capped. */
  quote(): { quote: ModelQuote; capped: boolean } {
    return (this.dQuote ??= capModelWidth(tidy(modelQuoteToPrices(this.model, this.mid())), this.input()));
  }

  /** buildRawLadder's level i, rounded as finalizeQuotes step 1 does, in ticks. */
  bidTicks(i: number): number {
    this.mark('prices');
    const price = this.mid().minus(this.quote().quote.bidDepth).minus(this.spacing().times(i));
    return this.s.tick.slowIndex(floorToStep(price, this.s.tick.big));
  }
  askTicks(i: number): number {
    this.mark('prices');
    const price = this.mid().plus(this.quote().quote.askDepth).plus(this.spacing().times(i));
    return this.s.tick.slowIndex(ceilToStep(price, this.s.tick.big));
  }

  /** inventorySizeFactors on inventoryPosition's share and deviation. */
  factors(): { bid: Big; ask: Big } {
    if (this.dFactors) return this.dFactors;
    this.mark('sizes');
    const { fast } = this;
    const share = inventoryShare(new Big(fast.reserveBase), new Big(fast.reserveQuote), this.mid());
    const shareDeviation = share.minus(ratioToBig(fast.targetInventoryShare, 'targetInventoryShare'));
    return (this.dFactors = inventorySizeFactors(
      // q is not read by inventorySizeFactors.
      { share, shareDeviation, q: 0 },
      fast.targetInventoryShare,
      this.s.config.ladder.inventorySizeShape,
    ));
  }

  /** Level i's size rounded down to the lot, in lots. */
  lots(i: number, side: 'bid' | 'ask'): number {
    this.mark('sizes');
    const size = this.s.levelSize[i]!.times(this.factors()[side]);
    return this.s.lot.slowIndex(floorToStep(size, this.s.lot.big));
  }

  /** finalizeQuotes step 3 on the touch (bid, ask in ticks): the new touch, or undefined if kept. */
  spreadFloor(b: number, a: number): [number, number] | undefined {
    this.mark('spreadFloor');
    const { tick } = this.s;
    const bid = new Big(b).times(tick.big);
    const ask = new Big(a).times(tick.big);
    const minWidth = this.mid().times(resolveMinSpreadFloorBps(this.input())).times(ONE_BASIS_POINT);
    const width = ask.minus(bid);
    if (!(width.lt(minWidth) || width.lte(0))) return undefined;
    const center = bid.plus(ask).times(HALF);
    const half = minWidth.times(HALF);
    const nb = floorToStep(center.minus(half), tick.big);
    let na = ceilToStep(center.plus(half), tick.big);
    if (na.lte(nb)) na = nb.plus(tick.big);
    return [tick.slowIndex(nb), tick.slowIndex(na)];
  }

  /** Whether a touch w ticks wide is wider than maxSpreadBps of mid. */
  widerThanCap(w: number): boolean {
    this.mark('spreadCap');
    return new Big(w).times(this.s.tick.big).gt(maxWidth(this.input())!);
  }

  /** The widest grid width within maxSpreadBps of mid, in ticks. */
  capGridWidth(): number {
    this.mark('spreadCap');
    return this.s.tick.slowIndex(floorToStep(maxWidth(this.input())!, this.s.tick.big));
  }

  /** price x size > maxOrderNotional for p ticks and s lots. */
  overNotional(p: number, s: number): boolean {
    this.mark('notional');
    const { tick, lot } = this.s;
    return new Big(p).times(tick.big).times(new Big(s).times(lot.big)).gt(this.s.maxNotional!);
  }

  /** floor(maxOrderNotional / (price x lot)) lots at p ticks. */
  notionalLots(p: number): number {
    this.mark('notional');
    const { tick, lot } = this.s;
    return truncatedQuotient(this.s.maxNotional!, new Big(p).times(tick.big).times(lot.big)).toNumber();
  }

  private mark(kind: keyof FastQuoterStats['exactValues']): void {
    this.used = true;
    this.s.counts[kind]++;
  }
}

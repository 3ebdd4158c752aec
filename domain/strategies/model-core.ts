import type { ParameterUnits } from '../config';

/**
 * The seam between the price models and the two ways of turning their output into orders (the
 * decimal pipeline and the fast quoter in `fast/`). A model is a plain-number function of a
 * `ModelState`; both paths build that state with `modelState` from the same doubles, so a model
 * returns bit-identical numbers on both and the paths can only differ in the ladder arithmetic
 * after it, which the fast quoter decides exactly.
 */
export interface ModelState {
  /** Mid as a double (the nearest double to the decimal mid). */
  s: number;
  /** Base held beyond the target, in units of `ladder.baseOrderSize` (the q of A-S and GLFT). */
  q: number;
  /** Value share held in base, and share minus target (positive when long base). */
  share: number;
  shareDeviation: number;
  /** Relative volatility per `volatilityHorizonSeconds`. */
  volatility: number;
  volatilityHorizonSeconds: number;
  /** The pool's current spread from the spread policy. */
  spreadBps: number;
  timeRemainingSeconds: number | undefined;
  /** The caller's clock (ms since the epoch), for the finite-horizon session. */
  nowMs: number | undefined;
  /** Fitted intensity, k per basis point of mid. */
  intensity: { A: number; k: number } | undefined;
}

/**
 * What every model returns. Distances are in `units`: basis points of mid ('mid_relative') or
 * quote units ('price'); level-0 bid = mid - bidDepth, ask = mid + askDepth.
 */
export interface ModelOutput {
  units: ParameterUnits;
  /** mid - reservation price. */
  reservationOffset: number;
  /**
   * Set by models whose depths are offset +/- halfSpread: their prices are built from the two
   * converted terms (see modelQuoteToPrices), not from the depths below.
   */
  halfSpread?: number;
  bidDepth: number;
  askDepth: number;
  /** Intermediates for logs and the backtester (sigma, tau, ...). */
  model: Record<string, number>;
}

/**
 * A model writes its output into `out` (every field, `model` keys included) and returns it: the
 * fast quoter passes one object for all its quotes so quoting allocates nothing per call; the
 * decimal pipeline passes a fresh one (`newModelOutput`) per quote.
 */
export type ModelCore = (state: ModelState, out: ModelOutput) => ModelOutput;

export function newModelOutput(): ModelOutput {
  return {
    units: 'mid_relative',
    reservationOffset: 0,
    halfSpread: undefined,
    bidDepth: 0,
    askDepth: 0,
    model: {},
  };
}

/** Doubles of the quote input a model reads (decimal inputs are converted with `Big#toNumber`). */
export interface ModelStateInput {
  mid: number;
  reserveBase: number;
  reserveQuote: number;
  targetInventoryShare: number;
  spreadBps: number;
  volatility: number;
  volatilityHorizonSeconds: number;
  timeRemainingSeconds?: number | undefined;
  nowMs?: number | undefined;
  intensity?: { A: number; k: number } | undefined;
  /** Inventory target in base units (QuoteInput.targetBase). */
  targetBase?: number | undefined;
}

/**
 * Inventory as a model sees it, in doubles: share = base x mid / tvl (0.5 for an empty pool, as
 * `inventoryShare`); q = (base - target base) / baseOrderSize, the target base being `targetBase`
 * when given, else the base worth the target share of the tvl.
 */
export function inventoryNumbers(
  base: number,
  quote: number,
  mid: number,
  target: number,
  orderSize: number,
  targetBase?: number,
): { share: number; q: number } {
  const out = { share: 0, q: 0 };
  writeInventoryNumbers(out, base, quote, mid, target, orderSize, targetBase);
  return out;
}

function writeInventoryNumbers(
  out: { share: number; q: number },
  base: number,
  quote: number,
  mid: number,
  target: number,
  orderSize: number,
  targetBase: number | undefined,
): void {
  const value = base * mid;
  const total = value + quote;
  out.share = total === 0 ? 0.5 : value / total;
  out.q = (base - (targetBase ?? (target * total) / mid)) / orderSize;
}

/** The state a model reads, in a new object (see `writeModelState`). */
export function modelState(x: ModelStateInput, baseOrderSize: number): ModelState {
  return writeModelState(newModelState(), x, baseOrderSize);
}

export function newModelState(): ModelState {
  return {
    s: 0,
    q: 0,
    share: 0,
    shareDeviation: 0,
    volatility: 0,
    volatilityHorizonSeconds: 0,
    spreadBps: 0,
    timeRemainingSeconds: undefined,
    nowMs: undefined,
    intensity: undefined,
  };
}

/** Fills `st` from the input's doubles and returns it (the fast quoter reuses one state). */
export function writeModelState(st: ModelState, x: ModelStateInput, baseOrderSize: number): ModelState {
  writeInventoryNumbers(
    st,
    x.reserveBase,
    x.reserveQuote,
    x.mid,
    x.targetInventoryShare,
    baseOrderSize,
    x.targetBase,
  );
  st.s = x.mid;
  st.shareDeviation = st.share - x.targetInventoryShare;
  st.volatility = x.volatility;
  st.volatilityHorizonSeconds = x.volatilityHorizonSeconds;
  st.spreadBps = x.spreadBps;
  st.timeRemainingSeconds = x.timeRemainingSeconds;
  st.nowMs = x.nowMs;
  st.intensity = x.intensity;
  return st;
}

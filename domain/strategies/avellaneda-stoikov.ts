import type { AvellanedaStoikovConfig } from '../config';
import { kFromBps, midInModelUnits, modelSigma } from './units';
import type { ModelCore } from './model-core';
import { decimalPriceModel, runPipeline, type PriceModel } from './pipeline';
import type { QuoteStrategy } from './types';

/** Inputs of the A-S formulas, all distances in one unit (a bp of mid, or a quote unit: see units.ts). */
export interface AvellanedaStoikovParams {
  /** Mid price s (10,000 when the unit is a basis point of mid). */
  s: number;
  /** Inventory beyond target in units of the base order size. */
  q: number;
  /** Risk aversion per (distance unit x order size). */
  gamma: number;
  /** Price volatility in distance units per sqrt(second). */
  sigma: number;
  /** T - t in seconds. */
  tau: number;
  /** Order-book liquidity k of lambda(d) = A exp(-k d), per distance unit. */
  k: number;
}

export interface AvellanedaStoikovResult {
  reservationOffset: number;
  reservationPrice: number;
  spread: number;
  /** Level-0 distances from the mid: bid = s - bidDepth, ask = s + askDepth. */
  bidDepth: number;
  askDepth: number;
}

/**
 * Avellaneda & Stoikov (2008): r = s - q gamma sigma^2 tau,
 * total spread = gamma sigma^2 tau + (2 / gamma) ln(1 + gamma / k). Plain numbers so the formula
 * can be checked by hand and shared by the decimal pipeline and the float fast path.
 */
export function avellanedaStoikov(p: AvellanedaStoikovParams): AvellanedaStoikovResult {
  return writeAvellanedaStoikov(p, newResult());
}

function newResult(): AvellanedaStoikovResult {
  return { reservationOffset: 0, reservationPrice: 0, spread: 0, bidDepth: 0, askDepth: 0 };
}

/**
 * `avellanedaStoikov` into a caller-owned result. The liquidity term (2 / gamma) ln(1 + gamma / k)
 * depends on gamma and k only: kept for the last pair seen, so a configured k pays for the log once.
 */
function writeAvellanedaStoikov(
  p: AvellanedaStoikovParams,
  r: AvellanedaStoikovResult,
  memo?: { gamma: number; k: number; term: number },
): AvellanedaStoikovResult {
  const inventoryRisk = p.gamma * p.sigma * p.sigma * p.tau;
  const reservationOffset = p.q * inventoryRisk;
  let term: number;
  if (memo !== undefined && memo.gamma === p.gamma && memo.k === p.k) {
    term = memo.term;
  } else {
    term = (2 / p.gamma) * Math.log(1 + p.gamma / p.k);
    if (memo !== undefined) {
      memo.gamma = p.gamma;
      memo.k = p.k;
      memo.term = term;
    }
  }
  const spread = inventoryRisk + term;
  r.reservationOffset = reservationOffset;
  r.reservationPrice = p.s - reservationOffset;
  r.spread = spread;
  r.bidDepth = reservationOffset + spread / 2;
  r.askDepth = spread / 2 - reservationOffset;
  return r;
}

/**
 * T - t of a finite-horizon session. Sessions are aligned to UTC multiples of the horizon (an
 * hour-long horizon starts a session on every full hour) and roll over: the result lies in
 * (0, horizon], falls one for one with the clock and jumps back to the horizon at each boundary.
 * `nowMs` is the caller's clock: the activity's live, the simulated time in a backtest.
 */
export function sessionTimeRemainingSeconds(horizonSeconds: number, nowMs: number): number {
  const horizonMs = Math.round(horizonSeconds * 1000);
  const intoSession = ((nowMs % horizonMs) + horizonMs) % horizonMs;
  return (horizonMs - intoSession) / 1000;
}

/**
 * T - t: the finite form counts down the session (an explicit input.timeRemainingSeconds first,
 * else from input.nowMs; neither means the session just started), clamped to the horizon. The
 * infinite form uses a constant rolling window, the usual practical stand-in for the stationary
 * solution.
 */
export function avellanedaStoikovTau(
  cfg: AvellanedaStoikovConfig,
  input: { timeRemainingSeconds?: number | undefined; nowMs?: number | undefined },
): number {
  if (cfg.horizon.type === 'infinite') return cfg.horizon.rollingWindowSeconds;
  const horizon = cfg.horizon.horizonSeconds;
  const remaining =
    input.timeRemainingSeconds ??
    (input.nowMs !== undefined ? sessionTimeRemainingSeconds(horizon, input.nowMs) : horizon);
  return Math.min(Math.max(remaining, 0), horizon);
}

export function avellanedaStoikovCore(cfg: AvellanedaStoikovConfig): ModelCore {
  const units = cfg.parameterUnits;
  // Scratch for one call at a time: a core runs to completion before the next call.
  const p: AvellanedaStoikovParams = { s: 0, q: 0, gamma: cfg.gamma, sigma: 0, tau: 0, k: 0 };
  const r = newResult();
  const memo = { gamma: NaN, k: NaN, term: NaN };
  return (st, out) => {
    const sigma = modelSigma(units, st.volatility, st.volatilityHorizonSeconds, st.s);
    const tau = avellanedaStoikovTau(cfg, st);
    const k = st.intensity ? kFromBps(units, st.intensity.k, st.s) : cfg.k;
    p.s = midInModelUnits(units, st.s);
    p.q = st.q;
    p.sigma = sigma;
    p.tau = tau;
    p.k = k;
    writeAvellanedaStoikov(p, r, memo);
    out.units = units;
    out.reservationOffset = r.reservationOffset;
    out.halfSpread = r.spread / 2;
    out.bidDepth = r.bidDepth;
    out.askDepth = r.askDepth;
    const m = out.model;
    m.sigma = sigma;
    m.tau = tau;
    m.gamma = cfg.gamma;
    m.k = k;
    m.spread = r.spread;
    return out;
  };
}

export function avellanedaStoikovModel(cfg: AvellanedaStoikovConfig): PriceModel {
  return decimalPriceModel(avellanedaStoikovCore(cfg));
}

export function avellanedaStoikovStrategy(cfg: AvellanedaStoikovConfig): QuoteStrategy {
  const model = avellanedaStoikovModel(cfg);
  return { kind: 'avellaneda_stoikov', compute: (input) => runPipeline('avellaneda_stoikov', model, input) };
}

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
  const inventoryRisk = p.gamma * p.sigma * p.sigma * p.tau;
  const reservationOffset = p.q * inventoryRisk;
  const spread = inventoryRisk + (2 / p.gamma) * Math.log(1 + p.gamma / p.k);
  return {
    reservationOffset,
    reservationPrice: p.s - reservationOffset,
    spread,
    bidDepth: reservationOffset + spread / 2,
    askDepth: spread / 2 - reservationOffset,
  };
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
  return (st) => {
    const sigma = modelSigma(units, st.volatility, st.volatilityHorizonSeconds, st.s);
    const tau = avellanedaStoikovTau(cfg, st);
    const k = st.intensity ? kFromBps(units, st.intensity.k, st.s) : cfg.k;
    const r = avellanedaStoikov({
      s: midInModelUnits(units, st.s),
      q: st.q,
      gamma: cfg.gamma,
      sigma,
      tau,
      k,
    });
    return {
      units,
      reservationOffset: r.reservationOffset,
      halfSpread: r.spread / 2,
      bidDepth: r.bidDepth,
      askDepth: r.askDepth,
      model: { sigma, tau, gamma: cfg.gamma, k, spread: r.spread },
    };
  };
}

export function avellanedaStoikovModel(cfg: AvellanedaStoikovConfig): PriceModel {
  return decimalPriceModel(avellanedaStoikovCore(cfg));
}

export function avellanedaStoikovStrategy(cfg: AvellanedaStoikovConfig): QuoteStrategy {
  const model = avellanedaStoikovModel(cfg);
  return { kind: 'avellaneda_stoikov', compute: (input) => runPipeline('avellaneda_stoikov', model, input) };
}

import type { AvellanedaStoikovConfig } from '../config';
import { absoluteSigmaPerSecond } from './inventory';
import type { ModelCore } from './model-core';
import { decimalPriceModel, runPipeline, type PriceModel } from './pipeline';
import type { QuoteStrategy } from './types';

export interface AvellanedaStoikovParams {
  /** Mid price s (quote units). */
  s: number;
  /** Inventory beyond target in units of the base order size. */
  q: number;
  /** Risk aversion per unit of q. */
  gamma: number;
  /** Absolute price volatility, quote units per sqrt(second). */
  sigma: number;
  /** T - t in seconds. */
  tau: number;
  /** Order-book liquidity k of lambda(d) = A exp(-k d), per quote unit of distance. */
  k: number;
}

/**
 * Avellaneda & Stoikov (2008): r = s - q gamma sigma^2 tau,
 * total spread = gamma sigma^2 tau + (2 / gamma) ln(1 + gamma / k). Plain numbers so the
 * formula can be checked by hand; both quoting paths derive prices from it (see model-core.ts).
 */
export function avellanedaStoikov(p: AvellanedaStoikovParams): {
  reservationOffset: number;
  reservationPrice: number;
  spread: number;
} {
  const inventoryRisk = p.gamma * p.sigma * p.sigma * p.tau;
  const reservationOffset = p.q * inventoryRisk;
  const spread = inventoryRisk + (2 / p.gamma) * Math.log(1 + p.gamma / p.k);
  return { reservationOffset, reservationPrice: p.s - reservationOffset, spread };
}

/**
 * T - t: the finite form counts down the session (timeRemainingSeconds, clamped to the
 * configured horizon; missing means the session just started). The infinite form uses a constant
 * rolling window, the usual practical stand-in for the stationary solution.
 */
export function avellanedaStoikovTau(
  cfg: AvellanedaStoikovConfig,
  input: { timeRemainingSeconds?: number | undefined },
): number {
  if (cfg.horizon.type === 'infinite') return cfg.horizon.rollingWindowSeconds;
  const remaining = input.timeRemainingSeconds ?? cfg.horizon.horizonSeconds;
  return Math.min(Math.max(remaining, 0), cfg.horizon.horizonSeconds);
}

export function avellanedaStoikovCore(cfg: AvellanedaStoikovConfig): ModelCore {
  return (st) => {
    const sigma = absoluteSigmaPerSecond(st);
    const tau = avellanedaStoikovTau(cfg, st);
    const k = st.intensity?.k ?? cfg.k;
    const { reservationOffset, spread } = avellanedaStoikov({
      s: st.s,
      q: st.q,
      gamma: cfg.gamma,
      sigma,
      tau,
      k,
    });
    const half = spread / 2;
    return {
      reservationOffset,
      bidDepth: reservationOffset + half,
      askDepth: half - reservationOffset,
      model: { sigma, tau, gamma: cfg.gamma, k, spread },
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

import { DomainValidationError } from '../errors';
import type { GlftConfig } from '../config';
import { kFromBps, modelSigma } from './units';
import type { ModelCore } from './model-core';
import { decimalPriceModel, runPipeline, type PriceModel } from './pipeline';
import type { QuoteStrategy } from './types';

/**
 * Guéant-Lehalle-Fernandez-Tapia closed-form approximation (infinite horizon):
 * c1 = (1/gamma) ln(1 + gamma/k), c2 = sqrt( gamma / (2 A k) * (1 + gamma/k)^(1 + k/gamma) ).
 * gamma and k per distance unit (a bp of mid, or a quote unit), A per second.
 */
export function glftCoefficients(gamma: number, k: number, A: number): { c1: number; c2: number } {
  for (const [name, v] of [
    ['gamma', gamma],
    ['k', k],
    ['A', A],
  ] as const) {
    if (!(Number.isFinite(v) && v > 0))
      throw new DomainValidationError(name, `${name} must be a positive finite number, got ${v}`);
  }
  const ratio = gamma / k;
  const c1 = Math.log(1 + ratio) / gamma;
  const c2 = Math.sqrt((gamma / (2 * A * k)) * Math.pow(1 + ratio, 1 + k / gamma));
  return { c1, c2 };
}

/**
 * Optimal depths from mid with q in units of the base order size (the same q as
 * Avellaneda-Stoikov): bid = c1 + ((2q + 1) / 2) c2 sigma, ask = c1 - ((2q - 1) / 2) c2 sigma,
 * sigma in distance units per sqrt(second); the depths come out in the same unit.
 */
export function glftDepths(
  c1: number,
  c2: number,
  q: number,
  sigma: number,
): { bidDepth: number; askDepth: number } {
  return writeGlftDepths({ bidDepth: 0, askDepth: 0 }, c1, c2, q, sigma);
}

/** `glftDepths` into a caller-owned object (the core writes its output directly). */
function writeGlftDepths<T extends { bidDepth: number; askDepth: number }>(
  out: T,
  c1: number,
  c2: number,
  q: number,
  sigma: number,
): T {
  out.bidDepth = c1 + ((2 * q + 1) / 2) * c2 * sigma;
  out.askDepth = c1 - ((2 * q - 1) / 2) * c2 * sigma;
  return out;
}

export function glftCore(cfg: GlftConfig): ModelCore {
  const units = cfg.parameterUnits;
  // Coefficients depend only on gamma, A and k: kept for the last intensity seen, so a pool on
  // its configured (or a slowly refreshed fitted) intensity pays for log/pow/sqrt once.
  let last: { A: number; k: number; c1: number; c2: number } | undefined;
  const configured = cfg.intensity ?? { A: cfg.A, k: cfg.k };
  return (st, out) => {
    // A fitted intensity is per bp of mid (QuoteInput.intensity); the configured one is in cfg's units.
    const A = st.intensity ? st.intensity.A : configured.A;
    const k = st.intensity ? kFromBps(units, st.intensity.k, st.s) : configured.k;
    if (last === undefined || last.A !== A || last.k !== k) {
      last = { A, k, ...glftCoefficients(cfg.gamma, k, A) };
    }
    const { c1, c2 } = last;
    const sigma = modelSigma(units, st.volatility, st.volatilityHorizonSeconds, st.s);
    out.units = units;
    // The indifference price sits halfway between the two model quotes: mid - q c2 sigma.
    out.reservationOffset = st.q * c2 * sigma;
    out.halfSpread = undefined;
    writeGlftDepths(out, c1, c2, st.q, sigma);
    const m = out.model;
    m.sigma = sigma;
    m.c1 = c1;
    m.c2 = c2;
    m.gamma = cfg.gamma;
    m.k = k;
    m.A = A;
    return out;
  };
}

export function glftModel(cfg: GlftConfig): PriceModel {
  return decimalPriceModel(glftCore(cfg));
}

export function glftStrategy(cfg: GlftConfig): QuoteStrategy {
  const model = glftModel(cfg);
  return { kind: 'glft', compute: (input) => runPipeline('glft', model, input) };
}

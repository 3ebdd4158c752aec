import { DomainValidationError } from '../errors';
import type { GlftConfig } from '../config';
import { kFromBps, modelDistanceToPrice, modelSigma } from './units';
import { runPipeline, type PriceModel } from './pipeline';
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
  return { bidDepth: c1 + ((2 * q + 1) / 2) * c2 * sigma, askDepth: c1 - ((2 * q - 1) / 2) * c2 * sigma };
}

export function glftModel(cfg: GlftConfig): PriceModel {
  const units = cfg.parameterUnits;
  return (input, position) => {
    const mid = Number(input.mid.toPrecision(15));
    // A fitted intensity is per bp of mid (QuoteInput.intensity); the configured one is in cfg's units.
    const intensity = input.intensity
      ? { A: input.intensity.A, k: kFromBps(units, input.intensity.k, mid) }
      : (cfg.intensity ?? { A: cfg.A, k: cfg.k });
    const { c1, c2 } = glftCoefficients(cfg.gamma, intensity.k, intensity.A);
    const sigma = modelSigma(units, input.volatility, input.volatilityHorizonSeconds, mid);
    const depths = glftDepths(c1, c2, position.q, sigma);
    const bidDepth = modelDistanceToPrice(units, depths.bidDepth, input.mid, 'bidDepth');
    const askDepth = modelDistanceToPrice(units, depths.askDepth, input.mid, 'askDepth');
    // The indifference price sits halfway between the two model quotes: mid - q c2 sigma.
    const skew = modelDistanceToPrice(units, position.q * c2 * sigma, input.mid, 'skew');
    return {
      reservationPrice: input.mid.minus(skew),
      bidDepth,
      askDepth,
      model: { sigma, c1, c2, gamma: cfg.gamma, k: intensity.k, A: intensity.A },
    };
  };
}

export function glftStrategy(cfg: GlftConfig): QuoteStrategy {
  const model = glftModel(cfg);
  return { kind: 'glft', compute: (input) => runPipeline('glft', model, input) };
}

import { normal } from './rng';
import { correlatedPairVolatility, isScenarioPriceSpec, scenarioPath } from './scenario-paths';
import type { PriceProcessSpec, Rng } from './types';

/** Seconds in the year that relative volatilities and drifts are quoted per. */
export const YEAR_SECONDS = 31_536_000;

/**
 * The reference mid at each of `steps + 1` times 0, dt, ..., steps x dt (index 0 is s0). The
 * engine's own processes live here; the scenario library adds jumps, regimes and CSV replay in
 * backtest/scenario-paths.ts.
 */
export function generatePath(
  spec: PriceProcessSpec,
  rng: Rng,
  steps: number,
  dtSeconds: number,
  s0: number,
): Float64Array {
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`steps must be a positive integer, got ${steps}`);
  if (!(dtSeconds > 0)) throw new Error(`dtSeconds must be positive, got ${dtSeconds}`);
  if (!(s0 > 0)) throw new Error(`s0 must be a positive price, got ${s0}`);
  if (isScenarioPriceSpec(spec)) return scenarioPath(spec, rng, steps, dtSeconds, s0);
  const path = new Float64Array(steps + 1);
  path[0] = s0;
  switch (spec.kind) {
    case 'gbm': {
      const dt = dtSeconds / YEAR_SECONDS;
      const drift = (spec.drift - (spec.volatility * spec.volatility) / 2) * dt;
      const diffusion = spec.volatility * Math.sqrt(dt);
      for (let i = 1; i <= steps; i++) path[i] = path[i - 1]! * Math.exp(drift + diffusion * normal(rng));
      return path;
    }
    case 'binomial_walk': {
      // Avellaneda-Stoikov 2008, section 4: the mid moves up or down by sigma sqrt(dt), each with
      // probability 1/2 (sigma in price units per sqrt(second) here).
      const move = spec.sigma * Math.sqrt(dtSeconds);
      for (let i = 1; i <= steps; i++) path[i] = path[i - 1]! + (rng() < 0.5 ? move : -move);
      return path;
    }
    default: {
      const unknown: never = spec;
      throw new Error(`unknown price process ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * The volatility the strategy would see if it knew the process: relative, per `horizonSeconds`,
 * at the current mid (what QuoteInput.volatility means). Only for processes with one constant
 * diffusion coefficient.
 */
export function knownRelativeVolatility(spec: PriceProcessSpec, mid: number, horizonSeconds: number): number {
  switch (spec.kind) {
    case 'gbm':
      return spec.volatility * Math.sqrt(horizonSeconds / YEAR_SECONDS);
    case 'binomial_walk':
      return (spec.sigma * Math.sqrt(horizonSeconds)) / mid;
    case 'correlated':
      return correlatedPairVolatility(spec) * Math.sqrt(horizonSeconds / YEAR_SECONDS);
    default:
      throw new Error(
        `volatility 'known' needs a process with one constant volatility ('gbm', 'binomial_walk' or 'correlated'), got '${spec.kind}'; use volatility 'estimated'`,
      );
  }
}

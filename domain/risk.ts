import { Big, formatDecimal, parseDecimal, ratioToBig } from './money';
import { DomainValidationError } from './errors';
import type { RiskLimits } from './config';

/**
 * Severity order, most severe first: stop > flatten > pause > widen > continue. The evaluation
 * reports every breached limit and takes the most severe action among them.
 * - maxLoss: loss strictly greater than maxLoss -> stop (the caller cancels every resting order).
 * - maxInventoryDeviation: |share - target| strictly greater -> flatten (trade back to target).
 * - maxVolatility: volatility strictly greater -> pause for cooldownSeconds.
 * - maxPriceAgeSeconds: reference price older than the limit -> pause (quoting on a stale
 *   price gives free options to faster traders).
 * - maxOrderNotional: an order above it -> widen, meaning "refuse that order and requote
 *   defensively this cycle"; the quote pipeline already cuts sizes to the limit, so this only
 *   fires for orders computed or placed under an older, looser limit.
 */
export type RiskAction = 'continue' | 'widen' | 'pause' | 'flatten' | 'stop';

export const RISK_ACTION_SEVERITY: Readonly<Record<RiskAction, number>> = {
  continue: 0,
  widen: 1,
  pause: 2,
  flatten: 3,
  stop: 4,
};

export interface RiskInput {
  inventoryShare: Big;
  targetShare: number;
  /** Mark-to-market P&L since start, net of liquidity added or removed (pnl.ts totalPnl). */
  pnl: Big;
  volatility: number;
  largestOrderNotional: Big;
  priceAgeSeconds: number;
}

export type RiskLimitName =
  'maxLoss' | 'maxInventoryDeviation' | 'maxVolatility' | 'maxPriceAgeSeconds' | 'maxOrderNotional';

/** The action each limit takes when breached (see the severity order above). */
export const RISK_LIMIT_ACTIONS: Readonly<Record<RiskLimitName, RiskAction>> = {
  maxLoss: 'stop',
  maxInventoryDeviation: 'flatten',
  maxVolatility: 'pause',
  maxPriceAgeSeconds: 'pause',
  maxOrderNotional: 'widen',
};

/** Shaped like the `risk_limit_breached` event's reasons, so it can be recorded as is. */
export interface RiskBreach {
  limit: RiskLimitName;
  value: string;
  threshold: string;
}

export interface RiskEvaluation {
  action: RiskAction;
  reasons: RiskBreach[];
  /** Set when the action is pause: how long to stay paused before re-evaluating. */
  cooldownSeconds?: number;
}

export function mostSevere(actions: readonly RiskAction[]): RiskAction {
  return actions.reduce<RiskAction>(
    (worst, a) => (RISK_ACTION_SEVERITY[a] > RISK_ACTION_SEVERITY[worst] ? a : worst),
    'continue',
  );
}

export function evaluateRisk(input: RiskInput, limits: RiskLimits): RiskEvaluation {
  if (!Number.isFinite(input.volatility) || input.volatility < 0) {
    throw new DomainValidationError(
      'volatility',
      `volatility must be a finite non-negative number, got ${input.volatility}`,
    );
  }
  if (!Number.isFinite(input.priceAgeSeconds) || input.priceAgeSeconds < 0) {
    throw new DomainValidationError(
      'priceAgeSeconds',
      `priceAgeSeconds must be a finite non-negative number, got ${input.priceAgeSeconds}`,
    );
  }
  if (input.largestOrderNotional.lt(0)) {
    throw new DomainValidationError(
      'largestOrderNotional',
      `largestOrderNotional must not be negative, got "${formatDecimal(input.largestOrderNotional)}"`,
    );
  }
  const reasons: RiskBreach[] = [];

  const maxLoss = parseDecimal(limits.maxLoss, 'risk.maxLoss', { allowZero: false });
  const loss = input.pnl.lt(0) ? input.pnl.abs() : new Big(0);
  if (loss.gt(maxLoss)) {
    reasons.push({ limit: 'maxLoss', value: formatDecimal(loss), threshold: formatDecimal(maxLoss) });
  }

  const deviation = input.inventoryShare.minus(ratioToBig(input.targetShare, 'targetShare')).abs();
  const maxDeviation = ratioToBig(limits.maxInventoryDeviation, 'risk.maxInventoryDeviation');
  if (deviation.gt(maxDeviation)) {
    reasons.push({
      limit: 'maxInventoryDeviation',
      value: formatDecimal(deviation),
      threshold: formatDecimal(maxDeviation),
    });
  }

  if (input.volatility > limits.maxVolatility) {
    reasons.push({
      limit: 'maxVolatility',
      value: String(input.volatility),
      threshold: String(limits.maxVolatility),
    });
  }

  if (input.priceAgeSeconds > limits.maxPriceAgeSeconds) {
    reasons.push({
      limit: 'maxPriceAgeSeconds',
      value: String(input.priceAgeSeconds),
      threshold: String(limits.maxPriceAgeSeconds),
    });
  }

  const maxNotional = parseDecimal(limits.maxOrderNotional, 'risk.maxOrderNotional', { allowZero: false });
  if (input.largestOrderNotional.gt(maxNotional)) {
    reasons.push({
      limit: 'maxOrderNotional',
      value: formatDecimal(input.largestOrderNotional),
      threshold: formatDecimal(maxNotional),
    });
  }

  const action = mostSevere(reasons.map((r) => RISK_LIMIT_ACTIONS[r.limit]));
  return action === 'pause'
    ? { action, reasons, cooldownSeconds: limits.cooldownSeconds }
    : { action, reasons };
}

import { DomainValidationError } from './errors';
import { Big, divideAt, formatDecimal } from './money';
import { pairSymbol, parsePairSymbol } from './pairs';

/*
 * Conversion between any two assets through the prices a desk knows. Each price of BASE/QUOTE is an
 * edge both ways: BASE -> QUOTE multiplies by the price, QUOTE -> BASE divides by it. A conversion
 * takes the fewest hops (a direct price beats a cross), and among equally short paths the one that
 * divides least, then the order the prices were given in: the same prices always give the same path.
 */

export interface PriceQuote {
  /** BASE/QUOTE, e.g. "ETH/BTC". */
  pair: string;
  /** Quote per base; positive. */
  price: Big;
}

export interface ConversionStep {
  pair: string;
  /** 'multiply': from the pair's base to its quote; 'divide': from its quote to its base. */
  op: 'multiply' | 'divide';
  price: Big;
}

export interface Conversion {
  from: string;
  to: string;
  steps: ConversionStep[];
  /** Units of `to` per unit of `from`; exact unless a step divides (then see RATE_DECIMALS). */
  rate: Big;
  exact: boolean;
}

/**
 * A path that divides is rounded once, at the end, to this many places (half-even). Far past any
 * asset's precision (18), so it never moves a value by a unit anyone can hold.
 */
export const RATE_DECIMALS = 36;

interface Edge {
  to: string;
  step: ConversionStep;
}

export interface PriceGraph {
  readonly quotes: readonly PriceQuote[];
  /** Throws a DomainValidationError that names both assets and what each one is connected to. */
  conversion(from: string, to: string): Conversion;
  /** `amount` of `from` in units of `to`. */
  convert(amount: Big, from: string, to: string): Big;
  /** Assets with at least one price, sorted. */
  assets(): string[];
}

export function buildPriceGraph(quotes: readonly PriceQuote[], field = 'prices'): PriceGraph {
  const edges = new Map<string, Edge[]>();
  const seen = new Map<string, string>();
  quotes.forEach((q, i) => {
    const { base, quote } = parsePairSymbol(q.pair, `${field}[${i}].pair`);
    if (!(q.price instanceof Big) || q.price.lte(0)) {
      throw new DomainValidationError(
        `${field}[${i}].price`,
        `${field}[${i}].price of ${q.pair} must be a positive decimal, got "${q.price instanceof Big ? formatDecimal(q.price) : String(q.price)}"`,
      );
    }
    // One price per pair of assets: ETH/BTC and BTC/ETH together would be two answers to one question.
    const key = [base, quote].sort().join('|');
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new DomainValidationError(
        `${field}[${i}].pair`,
        `${field}[${i}].pair ${q.pair}: a price between ${base} and ${quote} is already given (${earlier}); give one price per pair of assets`,
      );
    }
    seen.set(key, q.pair);
    const symbol = pairSymbol(base, quote);
    const add = (from: string, edge: Edge) => edges.set(from, [...(edges.get(from) ?? []), edge]);
    add(base, { to: quote, step: { pair: symbol, op: 'multiply', price: q.price } });
    add(quote, { to: base, step: { pair: symbol, op: 'divide', price: q.price } });
  });

  const cache = new Map<string, Conversion>();

  function search(from: string, to: string): ConversionStep[] | null {
    if (from === to) return [];
    // Breadth first, level by level, so the path found has the fewest hops; within a level the
    // candidate with fewer divisions wins, then the earlier one.
    let frontier: { asset: string; steps: ConversionStep[] }[] = [{ asset: from, steps: [] }];
    const visited = new Set([from]);
    while (frontier.length > 0) {
      const next = new Map<string, ConversionStep[]>();
      for (const node of frontier) {
        for (const edge of edges.get(node.asset) ?? []) {
          if (visited.has(edge.to)) continue;
          const steps = [...node.steps, edge.step];
          const current = next.get(edge.to);
          if (current === undefined || divisions(steps) < divisions(current)) next.set(edge.to, steps);
        }
      }
      const found = next.get(to);
      if (found !== undefined) return found;
      for (const asset of next.keys()) visited.add(asset);
      frontier = [...next.entries()].map(([asset, steps]) => ({ asset, steps }));
    }
    return null;
  }

  function reachable(from: string): string[] {
    const out = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const a = stack.pop()!;
      for (const e of edges.get(a) ?? []) {
        if (e.to !== from && !out.has(e.to)) {
          out.add(e.to);
          stack.push(e.to);
        }
      }
    }
    return [...out].sort();
  }

  function conversion(from: string, to: string): Conversion {
    const key = `${from}|${to}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const steps = search(from, to);
    if (steps === null) {
      const describe = (a: string) => {
        const r = reachable(a);
        return r.length === 0 ? `${a} has no price at all` : `${a} connects only to ${r.join(', ')}`;
      };
      throw new DomainValidationError(
        field,
        `cannot value ${from} in ${to}: no chain of prices leads from ${from} to ${to} (${describe(from)}; ${describe(to)}); ` +
          `add a price for ${pairSymbol(from, to)} or for ${from} against an asset that connects to ${to}`,
      );
    }
    let numerator = new Big(1);
    let denominator = new Big(1);
    for (const s of steps) {
      if (s.op === 'multiply') numerator = numerator.times(s.price);
      else denominator = denominator.times(s.price);
    }
    const exact = denominator.eq(1);
    const rate = exact ? numerator : divideAt(numerator, denominator, RATE_DECIMALS, Big.roundHalfEven);
    const result: Conversion = { from, to, steps, rate, exact };
    cache.set(key, result);
    return result;
  }

  return {
    quotes,
    conversion,
    convert: (amount, from, to) => (from === to ? amount : amount.times(conversion(from, to).rate)),
    assets: () => [...edges.keys()].sort(),
  };
}

function divisions(steps: readonly ConversionStep[]): number {
  return steps.filter((s) => s.op === 'divide').length;
}

/** "ETH/BTC x BTC/USDC" or "1 / ETH/USDC": how a value was reached, for reports and errors. */
export function describeConversion(c: Conversion): string {
  if (c.steps.length === 0) return `${c.from} is the numeraire`;
  return c.steps.map((s) => (s.op === 'multiply' ? s.pair : `1/${s.pair}`)).join(' x ');
}

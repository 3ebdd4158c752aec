import { z } from 'zod';
import { DomainValidationError, describeValue } from './errors';
import { AMOUNT_LIMITS, Big, parseDecimal, type ParseDecimalOptions } from './money';
import type { PortfolioInput } from './portfolio';
import { checkStorable } from './text';

/*
 * The portfolio's input as it crosses a boundary (an activity's result, a workflow input, a query
 * from the CLI): plain JSON with decimal strings. Parsed here into Big; names (assets, pairs, pool
 * ids) are checked by computePortfolio itself, with the same field paths.
 */

function decimal(opts: ParseDecimalOptions) {
  return z.unknown().transform((value, ctx) => {
    try {
      return parseDecimal(value, 'value', { ...AMOUNT_LIMITS, ...opts });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^value /, '') });
      return z.NEVER;
    }
  });
}

const amount = decimal({});
const price = decimal({ allowZero: false });
const share = decimal({ allowZero: false, maxIntegerDigits: 1 });
const name = z.string({ error: (iss) => `must be a string, got ${describeValue(iss.input)}` });

const hedgeSchema = z.strictObject({
  pair: name,
  side: z.enum(['buy', 'sell'], { error: "must be 'buy' or 'sell'" }),
  baseAmount: amount,
  netQuoteAmount: amount,
});

const targetSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('share'), share }),
    z.strictObject({ kind: z.literal('holdings'), base: amount, quote: amount }),
  ],
  { error: "must be { kind: 'share', share } or { kind: 'holdings', base, quote }" },
);

const poolSchema = z.strictObject({
  poolId: name,
  pair: name,
  reserveBase: amount,
  reserveQuote: amount,
  initialBase: amount,
  initialQuote: amount,
  target: targetSchema.default(() => ({ kind: 'share' as const, share: new Big('0.5') })),
  hedges: z.array(hedgeSchema).max(10_000).default([]),
});

export const portfolioInputSchema = z.strictObject({
  numeraire: name,
  prices: z.array(z.strictObject({ pair: name, price })).max(1_000),
  pools: z.array(poolSchema).max(10_000),
  deskHedges: z.array(hedgeSchema).max(100_000).default([]),
});

export type PortfolioInputJson = z.input<typeof portfolioInputSchema>;

/** JSON with decimal strings to the portfolio's input; a missing target is the 50% share. */
export function parsePortfolioInput(input: unknown): PortfolioInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DomainValidationError(
      'portfolio',
      `portfolio must be a JSON object, got ${describeValue(input)}`,
    );
  }
  checkStorable(input, 'portfolio');
  const result = portfolioInputSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = ['portfolio', ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      throw new DomainValidationError(
        `${path}.${issue.keys[0]}`,
        `${path}.${issue.keys[0]} is not a known field`,
      );
    }
    throw new DomainValidationError(path, `${path} ${issue.message}`);
  }
  return result.data;
}

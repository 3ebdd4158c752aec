import fc from 'fast-check';
import { AMOUNT_LIMITS, BPS_LIMITS } from '../../domain/money';

/*
 * Hostile values for the boundary sweeps: each generator yields only values its kind of field must
 * refuse, so a sweep can assert "refused, naming this field" for every one. Wrong types, null,
 * arrays, objects (with prototype keys), NaN and infinities, signs, zero, decimals too long or too
 * fine, exponent and other notations, control characters, NUL, half surrogate pairs, huge strings,
 * look-alike Unicode digits.
 */

/** An object literal with an own "__proto__" key, as JSON.parse makes one. */
export const protoObject = (inner: unknown = { polluted: true }): Record<string, unknown> =>
  JSON.parse(`{"__proto__": ${JSON.stringify(inner)}}`) as Record<string, unknown>;

export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

const controlChar = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f), fc.integer({ min: 0x80, max: 0x9f }))
  .map((c) => String.fromCharCode(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** What Postgres cannot store at all. */
export const unstorableChar = fc.oneof(fc.constant('\u0000'), loneSurrogate);

/** `base` with `bad` inserted at some position (ASCII bases, so a lone surrogate stays alone). */
export function withInserted(base: fc.Arbitrary<string>, bad: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, bad, fc.nat()).map(([s, b, i]) => {
    const at = i % (s.length + 1);
    return s.slice(0, at) + b + s.slice(at);
  });
}

/** JSON-ish values that are not strings. */
export const notAString: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308, 5e-324),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.constant(protoObject()),
);

/** Non-number JSON-ish values, for numeric fields. */
export const notANumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom('5', '1e3', '', 'NaN', 'Infinity', '0x10'),
  fc.string({ maxLength: 10 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  fc.constant(protoObject()),
);

const longString = (min: number) =>
  fc
    .tuple(fc.integer({ min, max: Math.max(min, 100_000) }), fc.constantFrom('x', '9', 'é', '😀'))
    .map(([n, c]) => c.repeat(c.length === 2 ? Math.ceil(n / 2) : n));

/** Free text (a reason): refused when not a 1-200 character single line without control characters. */
export const hostileReason: fc.Arbitrary<unknown> = fc.oneof(
  notAString.filter((v) => v !== undefined),
  fc.constantFrom('', ' ', '     ', '\t', '\n'),
  longString(201),
  withInserted(fc.string({ minLength: 1, maxLength: 40 }), fc.oneof(controlChar, unstorableChar)),
);

/** An id such as a client order id: letters, digits and _ . : / @ -, at most `max` characters. */
export function hostileIdentifier(max = 128): fc.Arbitrary<unknown> {
  return fc.oneof(
    notAString,
    fc.constant(''),
    longString(max + 1).map((s) => s.replace(/[^x9]/g, 'x')),
    withInserted(
      fc.stringMatching(/^[A-Za-z0-9]{1,20}$/),
      fc.oneof(
        controlChar,
        unstorableChar,
        fc.constantFrom(' ', '#', '?', '%', '"', "'", ';', 'é', '😀', '\u200b'),
      ),
    ),
  );
}

/** A pool id: as an identifier, and must start with a letter or digit, at most 64 characters. */
export const hostilePoolId: fc.Arbitrary<unknown> = fc.oneof(
  hostileIdentifier(64),
  fc.constantFrom('_pool', '-pool', '.pool', 'pool/x', 'pool:x', 'pool@x', '__proto__', 'constructor '),
);

/** A name (asset, price feed): 1-64 of letters, digits and _ . : / @ -, starting with a letter or digit. */
export const hostileName: fc.Arbitrary<unknown> = fc.oneof(
  hostileIdentifier(64),
  fc.constantFrom('_ETH', '-ETH', 'ETH USDC', '__proto__'),
);

export interface DecimalRule {
  maxIntegerDigits: number;
  maxDecimals: number;
  allowZero: boolean;
  /** An upper bound below 10^maxIntegerDigits, such as 10000 bps. */
  max?: number;
}

/** A decimal string field's hostile values. */
export function hostileDecimal(rule: DecimalRule): fc.Arbitrary<unknown> {
  const options: Array<fc.Arbitrary<unknown>> = [
    notAString,
    fc.double({ noNaN: false }),
    fc.constantFrom(
      '',
      ' ',
      '1e3',
      '1E-25',
      '+1',
      '0x10',
      '1.',
      '.5',
      '1..2',
      '1,5',
      ' 1',
      '1 ',
      'NaN',
      'Infinity',
      '-Infinity',
      '١٢٣',
      '１２',
      '1_000',
      '--1',
      '-',
      '0b101',
    ),
    fc.bigInt({ min: 1n, max: 10n ** 30n }).map((n) => `-${n}`),
    fc.integer({ min: rule.maxDecimals + 1, max: 60 }).map((k) => `0.${'0'.repeat(k - 1)}1`),
    fc.integer({ min: rule.maxIntegerDigits + 1, max: 99 }).map((k) => `1${'0'.repeat(k - 1)}`),
    fc.integer({ min: 101, max: 5000 }).map((n) => '9'.repeat(n)),
    withInserted(fc.constantFrom('12.5', '1', '2000'), fc.oneof(controlChar, unstorableChar)),
  ];
  if (!rule.allowZero) options.push(fc.constantFrom('0', '0.0', '-0', '000', '0.000000'));
  if (rule.max !== undefined) {
    const limit = 10 ** rule.maxIntegerDigits - 1;
    options.push(fc.integer({ min: rule.max + 1, max: limit }).map(String));
  }
  return fc.oneof(...options);
}

/** An optional integer field's hostile values (never undefined: that means "default"). */
export function hostileInteger(min: number, max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    notANumber,
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.integer({ min: -1_000_000_000, max: min - 1 }),
    fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER }),
    fc.double({ min: min + 0.001, max: max - 0.001, noNaN: true }).filter((d) => !Number.isInteger(d)),
  );
}

/** A key that is not one of `known`, including the prototype keys. */
export function unknownKey(known: readonly string[]): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.constantFrom(...PROTOTYPE_KEYS),
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.constantFrom(...known).map((k) => k.toUpperCase()),
    )
    .filter((k) => !known.includes(k));
}

/** Every leaf of the pool configuration with the values it must refuse. */
export const CONFIG_LEAVES: Array<[string, fc.Arbitrary<unknown>]> = (() => {
  const bps = (allowZero = false) =>
    hostileDecimal({ ...BPS_LIMITS, allowZero, max: 10_000 }).filter((v) => !(allowZero && v === '-0'));
  const money = hostileDecimal({ ...AMOUNT_LIMITS, allowZero: false });
  const number = (
    min: number,
    max: number,
    opts: { int?: boolean; minOpen?: boolean; maxOpen?: boolean } = {},
  ) =>
    fc.oneof(
      notANumber,
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
      opts.minOpen
        ? fc.constant(min)
        : fc
            .double({ max: min, maxExcluded: true, noNaN: true, noDefaultInfinity: true })
            // -0 is 0, which an inclusive bound of 0 accepts.
            .filter((d) => !Object.is(d, -0)),
      ...(max === Infinity
        ? []
        : [
            opts.maxOpen
              ? fc.constant(max)
              : fc.double({ min: max, minExcluded: true, noNaN: true, noDefaultInfinity: true }),
          ]),
      ...(opts.int ? [fc.double({ min, max, noNaN: true }).filter((d) => !Number.isInteger(d))] : []),
    );
  const enumOf = (...ok: string[]) =>
    fc.oneof(
      notAString,
      fc.string({ maxLength: 12 }).filter((s) => !ok.includes(s)),
    );
  return [
    ['spreadPolicy.minSpreadBps', bps()],
    ['spreadPolicy.maxSpreadBps', bps()],
    ['spreadPolicy.defaultSpreadBps', bps()],
    ['spreadPolicy.targetInventoryShare', number(0, 1, { minOpen: true, maxOpen: true })],
    ['spreadPolicy.moderateImbalanceMultiplier', number(1, 100)],
    ['spreadPolicy.highVolatilityThreshold', number(0, Infinity, { minOpen: true })],
    ['spreadPolicy.hysteresis', number(0, 1, { maxOpen: true })],
    ['spreadPolicy.imbalanceHysteresis', number(0, 1, { maxOpen: true })],
    ['spreadPolicy.tvlHysteresis', number(0, 1, { maxOpen: true })],
    ['spreadPolicy.lowTvlThreshold', money],
    ['ladder.levels', number(1, 10, { int: true })],
    ['ladder.levelSpacingBps', bps()],
    ['ladder.baseOrderSize', money],
    ['ladder.sizeDecay', number(0, 1, { minOpen: true })],
    [
      'ladder.guardMid',
      fc.oneof(
        notAString.filter((v) => typeof v !== 'boolean'),
        fc.constantFrom('true', 1, 0),
      ),
    ],
    ['ladder.minSpreadFloorBps', bps(true)],
    ['ladder.priceCeiling', money],
    ['ladder.priceFloor', money],
    ['risk.maxLoss', money],
    ['risk.maxOrderNotional', money],
    ['risk.maxInventoryDeviation', number(0, 1, { minOpen: true })],
    ['risk.maxPriceAgeSeconds', number(1, 31_536_000)],
    ['risk.cooldownSeconds', number(0, 31_536_000)],
    ['quoting.quoteTtlMs', number(1000, 3_600_000, { int: true })],
    ['quoting.minRequoteIntervalMs', number(0, 10_000, { int: true })],
    ['volatility.window', number(2, 100_000, { int: true })],
    ['volatility.method', enumOf('rolling', 'ewma')],
    ['refreshIntervalMs', number(100, 3_600_000, { int: true })],
    ['quoteTolerance', bps(true)],
    ['priceSource', enumOf('reference', 'book_mid')],
  ];
})();

/** `{a: {b: value}}` for the path "a.b". */
export function nest(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/** One of the fields with one of its hostile values. */
export function pick<F, V>(table: Array<[F, fc.Arbitrary<V>]>): fc.Arbitrary<[F, V]> {
  return fc.constantFrom(...table).chain(([field, gen]) => gen.map((value) => [field, value] as [F, V]));
}

import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRunArgs, UsageError } from '../../../cli/options';
import { DEFAULT_POOL_CONFIG, mergePoolConfig, parsePoolConfig } from '../../../domain/config';
import { DomainValidationError } from '../../../domain/errors';
import { AMOUNT_LIMITS, formatDecimal, parseDecimal } from '../../../domain/money';
import { parseOrderRequest } from '../../../domain/orders';
import { checkStorable, MAX_REASON_LENGTH, parseReason } from '../../../domain/text';
import { loadWorkerConfig, WorkerConfigError } from '../../../worker/config';
import {
  checkStartInput,
  MARKET_MAKER_START,
  parseSignalReason,
  SPREAD_SAGA_START,
  type StartInputSpec,
} from '../../../workflows/input-rules';
import {
  CONFIG_LEAVES,
  hostileDecimal,
  nest,
  pick,
  hostileIdentifier,
  hostileInteger,
  hostilePoolId,
  hostileReason,
  notAString,
  protoObject,
  PROTOTYPE_KEYS,
  unknownKey,
  unstorableChar,
  withInserted,
  type DecimalRule,
} from '../../helpers/hostile';

/*
 * Property-based sweep of the pure boundaries (many runs; the integration sweep runs the same kinds
 * of values through the client library, Temporal and Postgres, fewer times). Every hostile value is
 * refused with an error that names the field it was put in.
 */

const RUNS = { numRuns: 400 };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The message names the field as it is, or quoted as JSON when it holds odd characters. */
function expectNamed(message: string, field: string): void {
  expect(
    message.includes(field) || message.includes(JSON.stringify(field)),
    `${message} names ${field}`,
  ).toBe(true);
}

function expectRefusal(err: unknown, field: string): void {
  expect(err).toBeInstanceOf(DomainValidationError);
  expect((err as DomainValidationError).field).toBe(field);
  expectNamed((err as DomainValidationError).message, field);
}

const AMOUNT: DecimalRule = { ...AMOUNT_LIMITS, allowZero: false };

describe('decimal strings', () => {
  it('a hostile value is refused naming the field', () => {
    fc.assert(
      fc.property(hostileDecimal(AMOUNT), (v) => {
        expectRefusal(
          thrown(() => parseDecimal(v, 'price', { allowZero: false, ...AMOUNT_LIMITS })),
          'price',
        );
      }),
      RUNS,
    );
  });

  it('an accepted value is within the bounds and comes back canonical', () => {
    const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
    fc.assert(
      fc.property(digits(1, 25), fc.option(digits(1, 25)), (int, frac) => {
        const raw = frac === null ? int : `${int}.${frac}`;
        let value;
        try {
          value = parseDecimal(raw, 'amount', AMOUNT_LIMITS);
        } catch (err) {
          expectRefusal(err, 'amount');
          return;
        }
        expect(value.lt('1e18')).toBe(true);
        expect(formatDecimal(value)).toBe(formatDecimal(parseDecimal(formatDecimal(value), 'amount')));
        const [i, f = ''] = formatDecimal(value).split('.');
        expect(i!.replace(/^0$/, '').length).toBeLessThanOrEqual(18);
        expect(f.length).toBeLessThanOrEqual(18);
      }),
      RUNS,
    );
  });
});

describe('free text', () => {
  it('a hostile reason is refused naming the field', () => {
    fc.assert(
      fc.property(hostileReason, (v) =>
        expectRefusal(
          thrown(() => parseReason(v, 'reason')),
          'reason',
        ),
      ),
      RUNS,
    );
  });

  it('any single-line reason up to the limit is kept as it is, whatever its script', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (s) => {
        fc.pre(
          s.trim().length > 0 && s.length <= MAX_REASON_LENGTH && !/[\u0000-\u001f\u007f-\u009f]/.test(s),
        );
        expect(parseReason(s)).toBe(s);
      }),
      RUNS,
    );
  });

  it('a NUL or half a surrogate pair anywhere in a JSON value is found and named by its path', () => {
    // A JSON value with one string replaced by a poisoned one; the path of that string is the answer.
    const poisoned = fc.letrec<{ tree: [unknown, string] }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        withInserted(fc.string({ maxLength: 10 }), unstorableChar).map((s) => [s, ''] as [unknown, string]),
        fc
          .tuple(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), tie('tree'), fc.nat())
          .map(([items, [v, p], i]) => {
            const at = i % (items.length + 1);
            const arr = [...items.slice(0, at), v, ...items.slice(at)];
            return [arr, `[${at}]${p}`] as [unknown, string];
          }),
        fc
          .tuple(fc.stringMatching(/^[a-z]{1,8}$/), tie('tree'))
          .map(([key, [v, p]]) => [{ [key]: v }, `.${key}${p}`] as [unknown, string]),
      ),
    })).tree;
    fc.assert(
      fc.property(poisoned, ([value, path]) => {
        // The clean siblings come from jsonValue (printable ASCII): the poisoned string is the first found.
        expectRefusal(
          thrown(() => checkStorable(value, 'input')),
          `input${path}`,
        );
      }),
      RUNS,
    );
  });
});

describe('orders', () => {
  const valid = {
    poolId: 'eth-usdc',
    owner: 'alice',
    clientOrderId: 'c-1',
    side: 'buy',
    type: 'limit',
    price: '2000.5',
    quantity: '0.25',
  };
  const fields: Array<[keyof typeof valid, fc.Arbitrary<unknown>]> = [
    ['poolId', hostilePoolId],
    ['owner', hostileIdentifier()],
    ['clientOrderId', hostileIdentifier()],
    ['side', fc.oneof(notAString, fc.constantFrom('BUY', 'bid', '', 'buy ', 'sell\u0000'))],
    ['type', fc.oneof(notAString, fc.constantFrom('market', 'LIMIT', '', 'ioc\u0000'))],
    ['price', hostileDecimal(AMOUNT)],
    ['quantity', hostileDecimal(AMOUNT)],
  ];

  it('a hostile field is refused naming it', () => {
    fc.assert(
      fc.property(pick(fields), ([field, value]) => {
        fc.pre(!(field === 'type' && value === undefined));
        expectRefusal(
          thrown(() => parseOrderRequest({ ...valid, [field]: value })),
          field,
        );
      }),
      RUNS,
    );
  });

  it('an unknown field, prototype keys included, is refused naming it', () => {
    fc.assert(
      fc.property(unknownKey(Object.keys(valid)), fc.jsonValue(), (key, value) => {
        const order = JSON.parse(JSON.stringify({ ...valid })) as Record<string, unknown>;
        Object.defineProperty(order, key, { value, enumerable: true, configurable: true, writable: true });
        expectRefusal(
          thrown(() => parseOrderRequest(order)),
          key,
        );
      }),
      RUNS,
    );
  });
});

describe('pool configuration (createPool, updateConfig, setRiskLimits)', () => {
  it('a hostile leaf is refused naming its path, in a new config and in a patch', () => {
    fc.assert(
      fc.property(pick(CONFIG_LEAVES), ([path, value]) => {
        fc.pre(value !== undefined);
        expectRefusal(
          thrown(() => parsePoolConfig(nest(path, value))),
          path,
        );
        expectRefusal(
          thrown(() => mergePoolConfig(DEFAULT_POOL_CONFIG, nest(path, value))),
          path,
        );
      }),
      RUNS,
    );
  });

  it('a prototype key or an unknown key at any depth of a patch is refused naming it; the defaults stay untouched', () => {
    const sections = ['', 'spreadPolicy', 'ladder', 'risk', 'quoting', 'volatility', 'strategy'];
    fc.assert(
      fc.property(
        fc.constantFrom(...sections),
        fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.stringMatching(/^[a-z][A-Za-z]{0,10}Typo$/)),
        fc.jsonValue({ maxDepth: 2 }),
        (section, key, value) => {
          const inner = JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value ?? null)}}`) as Record<
            string,
            unknown
          >;
          const patch = section ? { [section]: inner } : inner;
          const field = section ? `${section}.${key}` : key;
          expectRefusal(
            thrown(() => mergePoolConfig(DEFAULT_POOL_CONFIG, patch)),
            field,
          );
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(DEFAULT_POOL_CONFIG.refreshIntervalMs).toBe(1000);
        },
      ),
      RUNS,
    );
  });

  it('a NUL in a key of a patch is refused naming where it is', () => {
    fc.assert(
      fc.property(withInserted(fc.stringMatching(/^[a-z]{1,8}$/), unstorableChar), (key) => {
        const err = thrown(() => mergePoolConfig(DEFAULT_POOL_CONFIG, { risk: { [key]: 1 } }));
        expect(err).toBeInstanceOf(DomainValidationError);
        expect((err as DomainValidationError).field).toBe(`risk[${JSON.stringify(key)}]`);
      }),
      RUNS,
    );
  });

  it('a patch that is not an object is refused as the patch', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          notAString.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
          fc.string(),
        ),
        (patch) =>
          expectRefusal(
            thrown(() => mergePoolConfig(DEFAULT_POOL_CONFIG, patch)),
            'patch',
          ),
      ),
      RUNS,
    );
  });
});

describe('workflow start inputs (checked at the top of each workflow)', () => {
  const specs: Array<[StartInputSpec, string]> = [
    [MARKET_MAKER_START, 'market-maker'],
    [SPREAD_SAGA_START, 'spread-saga'],
  ];

  const refusedField = (fn: () => unknown): string => {
    const err = thrown(fn);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe('ValidationError');
    expect(failure.nonRetryable).toBe(true);
    const field = (failure.details as Array<{ field: string }>)[0]!.field;
    expectNamed(failure.message, field);
    return field;
  };

  it('a hostile value in any field, an unknown field, carried state or another workflow id is refused naming it', () => {
    type Case = { spec: StartInputSpec; input: unknown; workflowId: string; field: string };
    const cases: fc.Arbitrary<Case> = fc.constantFrom(...specs).chain(([spec, prefix]) => {
      const ok = { poolId: 'eth-usdc' };
      const id = `${prefix}/eth-usdc`;
      return fc.oneof(
        fc
          .oneof(notAString, fc.string())
          .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
          .map((input) => ({ spec, input, workflowId: id, field: 'input' })),
        hostilePoolId.map((poolId) => ({ spec, input: { poolId }, workflowId: id, field: 'poolId' })),
        fc.constantFrom(...spec.integers).chain(([field, min, max]) =>
          hostileInteger(min, max).map((v) => ({
            spec,
            input: { ...ok, [field]: v },
            workflowId: id,
            field,
          })),
        ),
        fc
          .tuple(unknownKey(['poolId', 'carried', ...spec.integers.map(([f]) => f)]), fc.jsonValue())
          .map(([key, v]) => ({
            spec,
            input: JSON.parse(`{"poolId":"eth-usdc",${JSON.stringify(key)}:${JSON.stringify(v ?? null)}}`),
            workflowId: id,
            field: key,
          })),
        fc.jsonValue().map((carried) => ({
          spec,
          input: { ...ok, carried: carried ?? protoObject() },
          workflowId: id,
          field: 'carried',
        })),
        fc
          .string({ minLength: 1, maxLength: 80 })
          .filter((w) => w !== id)
          .map((workflowId) => ({ spec, input: ok, workflowId, field: 'workflowId' })),
      );
    });
    fc.assert(
      fc.property(cases, ({ spec, input, workflowId, field }) => {
        expect(refusedField(() => checkStartInput(input, spec, { workflowId, continued: false }))).toBe(
          field,
        );
      }),
      RUNS,
    );
  });
});

describe('pause and stop signal payloads', () => {
  it('a hostile payload is refused naming the field', () => {
    const payloads = fc.oneof(
      fc
        .oneof(notAString, fc.string())
        .filter((v) => v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v)))
        .map((p) => [p, 'payload'] as const),
      hostileReason.map((reason) => [{ reason }, 'reason'] as const),
      fc
        .tuple(unknownKey(['reason']), fc.jsonValue())
        .map(([k, v]) => [JSON.parse(`{${JSON.stringify(k)}:${JSON.stringify(v ?? null)}}`), k] as const),
    );
    fc.assert(
      fc.property(fc.constantFrom('pause', 'stop'), payloads, (signal, [payload, field]) => {
        expectRefusal(
          thrown(() => parseSignalReason(signal, payload)),
          field,
        );
      }),
      RUNS,
    );
  });
});

describe('worker environment', () => {
  const hostPort = fc.oneof(
    fc.constantFrom(
      'host',
      'host:',
      ':7233',
      'host:0',
      'host:65536',
      'host:99999',
      'a b:1',
      'host:port',
      'h:1:2',
      '',
    ),
    withInserted(fc.constant('127.0.0.1:7233'), fc.constantFrom('\u0000', '\n', ' ', '\u0085')),
  );
  const name = fc.oneof(
    fc.constant(''),
    fc.integer({ min: 201, max: 5000 }).map((n) => 'q'.repeat(n)),
    withInserted(
      fc.constant('market-making'),
      fc.constantFrom('\u0000', '\n', '\r', '\t', '\u001b', '\u009b'),
    ),
  );
  const int = (min: number, max: number) =>
    fc.oneof(
      fc.constantFrom('1e3', '0x10', ' 5', '5 ', '-1', '1.5', 'abc', '+5', '１', '99999999999', 'Infinity'),
      fc.integer({ min: max + 1, max: 999_999_999 }).map(String),
      ...(min > 0 ? [fc.integer({ min: 0, max: min - 1 }).map(String)] : []),
    );
  const path = fc.oneof(
    fc.integer({ min: 4097, max: 10_000 }).map((n) => 'p'.repeat(n)),
    withInserted(fc.constant('/etc/tls/cert.pem'), fc.constantFrom('\u0000', '\n', '\u0007')),
  );
  const variables: Array<[string, fc.Arbitrary<string>]> = [
    ['TEMPORAL_ADDRESS', hostPort],
    ['METRICS_BIND_ADDRESS', hostPort.filter((v) => v !== '')],
    ['TEMPORAL_NAMESPACE', name],
    ['TASK_QUEUE', name],
    ['WORKER_IDENTITY', name.filter((v) => v !== '')],
    ['TEMPORAL_TLS_SERVER_NAME', name.filter((v) => v !== '')],
    ['TEMPORAL_TLS', fc.string({ maxLength: 8 }).filter((v) => !['true', 'false', ''].includes(v))],
    [
      'LOG_LEVEL',
      fc.string({ maxLength: 8 }).filter((v) => !['trace', 'debug', 'info', 'warn', 'error', ''].includes(v)),
    ],
    [
      'DATABASE_URL',
      fc.oneof(
        fc.constantFrom('', 'mysql://x', 'postgres:/x', 'http://db', 'postgres://[bad', 'localhost:5432'),
        withInserted(fc.constant('postgres://u:p@h:5432/d'), fc.constantFrom('\u0000', '\n', '\u007f')),
      ),
    ],
    ['DB_POOL_SIZE', int(1, 500)],
    ['MAX_CONCURRENT_ACTIVITIES', int(1, 100_000)],
    ['MAX_CACHED_WORKFLOWS', int(0, 100_000)],
    ['SHUTDOWN_GRACE_MS', int(0, 600_000)],
    ['WORKFLOW_BUNDLE_PATH', path],
    ['TEMPORAL_TLS_CA_PATH', path],
    ['TEMPORAL_API_KEY', withInserted(fc.constant('key'), fc.constantFrom('\u0000', '\n'))],
  ];

  it('a hostile variable is refused with a message naming it', () => {
    fc.assert(
      fc.property(pick(variables), ([variable, value]) => {
        const err = thrown(() => loadWorkerConfig({ [variable]: value }));
        expect(err, `${variable}=${JSON.stringify(value)}`).toBeInstanceOf(WorkerConfigError);
        expect((err as Error).message).toContain(variable);
      }),
      RUNS,
    );
  });

  it('the defaults and a well-formed environment are accepted', () => {
    expect(loadWorkerConfig({}).address).toBe('127.0.0.1:7233');
    const c = loadWorkerConfig({
      TEMPORAL_ADDRESS: '[::1]:7233',
      DATABASE_URL: 'postgres://lpmm_worker:p%40ss@db.internal:5432/lpmm?sslmode=require',
      DB_POOL_SIZE: '30',
      TEMPORAL_TLS_SERVER_NAME: '',
      METRICS_BIND_ADDRESS: '0.0.0.0:9464',
    });
    expect(c.dbPoolSize).toBe(30);
    expect(c.address).toBe('[::1]:7233');
  });
});

describe('run flags', () => {
  const int = (min: number, max: number) =>
    fc.oneof(
      fc.constantFrom('', '1e3', '0x10', '1.5', 'abc', '+5', '１', 'Infinity', '5 5'),
      fc.bigInt({ min: BigInt(max) + 1n, max: 10n ** 30n }).map(String),
      ...(min > 0
        ? [fc.integer({ min: -1000, max: min - 1 }).map(String)]
        : [fc.integer({ min: -1000, max: -1 }).map(String)]),
    );
  const flags: Array<[string, fc.Arbitrary<string>]> = [
    ['duration', int(0, 7 * 24 * 3600)],
    ['pools', int(1, 50)],
    ['seed', int(0, 2 ** 32 - 1)],
    ['refresh-ms', int(100, 3_600_000)],
    [
      'strategy',
      fc.string({ maxLength: 20 }).filter((s) => !['rule_based', 'avellaneda_stoikov', 'glft'].includes(s)),
    ],
    [
      'feed',
      fc.oneof(
        fc.constantFrom(
          '',
          'csv:',
          'http:',
          'http:nourl#p',
          'http:ftp://x/y#p',
          'https://x.example/t',
          'https://x.example/t#',
          'https://x.example/t#a..b',
          'tcp:x',
          'SIM',
          'http:javascript:alert(1)#p',
        ),
        withInserted(
          fc.constantFrom('csv:prices.csv', 'https://x.example/t#data.price'),
          fc.constantFrom('\u0000', '\n', '\u001b'),
        ),
        fc.integer({ min: 4097, max: 9000 }).map((n) => `csv:${'p'.repeat(n)}`),
      ),
    ],
  ];

  it('a hostile flag value is refused naming the flag', () => {
    fc.assert(
      fc.property(pick(flags), ([flag, value]) => {
        const err = thrown(() => parseRunArgs([`--${flag}=${value}`]));
        expect(err, `--${flag}=${JSON.stringify(value)}`).toBeInstanceOf(UsageError);
        expect((err as Error).message).toContain(`--${flag}`);
      }),
      RUNS,
    );
  });

  it('an unknown flag is refused naming it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z-]{0,15}$/), (flag) => {
        fc.pre(!['duration', 'pools', 'feed', 'seed', 'refresh-ms', 'strategy', 'help'].includes(flag));
        const err = thrown(() => parseRunArgs([`--${flag}=1`]));
        expect(err).toBeInstanceOf(UsageError);
        expect((err as Error).message).toContain(`--${flag}`);
      }),
      RUNS,
    );
  });
});

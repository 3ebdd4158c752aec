import { createSecretKey, type KeyObject } from 'node:crypto';

/*
 * The payload encryption keys: `LPMM_PAYLOAD_KEYS="k2:<base64 32 bytes>,k1:<base64 32 bytes>"`.
 * The first key encrypts; every listed key decrypts, so a new key is rolled out by prepending it
 * and an old one is retired only once no stored history needs it. Key material never appears in
 * an error, a log line or an inspected object: errors name the entry's position or its id only.
 */

export const PAYLOAD_KEYS_ENV = 'LPMM_PAYLOAD_KEYS';

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Standard base64 of exactly 32 bytes: 43 characters and one `=`. */
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;
const KEY_BYTES = 32;
const GENERATE_HINT = 'generate one with `openssl rand -base64 32`';
/**
 * Ids are quoted in errors only when this short: an entry written the wrong way round puts the key
 * where the id goes, and base64 of 12 bytes or more is longer than this.
 */
const QUOTABLE_ID_LENGTH = 15;

export class PayloadKeyConfigError extends Error {
  constructor(
    readonly source: string,
    problem: string,
  ) {
    super(
      `${source}: ${problem}. ${source} must be a comma-separated list of <key id>:<base64 of 32 bytes>, ` +
        `the key that encrypts first, e.g. ${source}="k2:<base64>,k1:<base64>".`,
    );
    this.name = 'PayloadKeyConfigError';
  }
}

/** The configured keys by id; the first one encrypts new payloads. */
export class KeyRing {
  readonly #keys: ReadonlyMap<string, KeyObject>;
  readonly currentKeyId: string;
  /** Where the keys came from (the environment variable or option), for error messages. */
  readonly source: string;

  constructor(keys: ReadonlyArray<readonly [id: string, key: KeyObject]>, source: string) {
    const first = keys[0];
    if (!first) throw new PayloadKeyConfigError(source, 'no key is listed');
    this.#keys = new Map(keys);
    this.currentKeyId = first[0];
    this.source = source;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  get currentKey(): KeyObject {
    return this.#keys.get(this.currentKeyId)!;
  }

  key(id: string): KeyObject | undefined {
    return this.#keys.get(id);
  }

  /** What a log line or a debugger may show: the ids, never the keys. */
  toJSON() {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds, source: this.source };
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `KeyRing { current: ${this.currentKeyId}, ids: [${this.keyIds.join(', ')}] }`;
  }
}

/**
 * Parses `id:base64key,id:base64key`. Strict: ids are 1-64 letters, digits, _ . - starting with a
 * letter or digit and unique; each key is standard base64 of exactly 32 bytes (AES-256).
 */
export function parseKeyRing(text: string, source: string = PAYLOAD_KEYS_ENV): KeyRing {
  const entries = text.split(',');
  const keys: Array<[string, KeyObject]> = [];
  entries.forEach((raw, index) => {
    const entry = raw.trim();
    const position = `entry ${index + 1} of ${entries.length}`;
    if (entry === '') {
      throw new PayloadKeyConfigError(source, `${position} is empty (a stray comma?)`);
    }
    const colon = entry.indexOf(':');
    if (colon < 0) {
      throw new PayloadKeyConfigError(source, `${position} has no "<key id>:" before its key`);
    }
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KEY_ID.test(id)) {
      throw new PayloadKeyConfigError(
        source,
        // Not echoed: an entry written the wrong way round would put the key where the id goes.
        `${position}: the key id (before the first ":") must be 1-64 letters, digits, _ . - starting with a letter or digit`,
      );
    }
    const label = id.length <= QUOTABLE_ID_LENGTH ? `key id "${id}"` : `the key id of ${position}`;
    if (keys.some(([known]) => known === id)) {
      throw new PayloadKeyConfigError(
        source,
        `${label} is listed twice; every key needs its own id so payloads name the key they need`,
      );
    }
    const material = Buffer.from(encoded, 'base64');
    if (!BASE64_32_BYTES.test(encoded) || material.toString('base64') !== encoded) {
      const what = /^[A-Za-z0-9+/]*={0,2}$/.test(encoded)
        ? `it decodes to ${material.length} bytes, not ${KEY_BYTES}`
        : 'it is not standard base64 (A-Z a-z 0-9 + / with = padding)';
      throw new PayloadKeyConfigError(
        source,
        `the key of ${label} must be base64 of exactly ${KEY_BYTES} bytes, but ${what}; ${GENERATE_HINT}`,
      );
    }
    keys.push([id, createSecretKey(material)]);
    material.fill(0);
  });
  return new KeyRing(keys, source);
}

/** The key ring configured in the environment, or undefined when encryption is off (unset or empty). */
export function keyRingFromEnv(env: NodeJS.ProcessEnv = process.env): KeyRing | undefined {
  const text = env[PAYLOAD_KEYS_ENV];
  if (text === undefined || text.trim() === '') return undefined;
  return parseKeyRing(text, PAYLOAD_KEYS_ENV);
}

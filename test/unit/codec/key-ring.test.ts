import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyRingFromEnv, parseKeyRing, PayloadKeyConfigError } from '../../../codec/key-ring';
import { loadWorkerConfig, WorkerConfigError } from '../../../worker/config';

const key = () => randomBytes(32).toString('base64');

function refusal(text: string, source?: string): PayloadKeyConfigError {
  try {
    parseKeyRing(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(PayloadKeyConfigError);
    return err as PayloadKeyConfigError;
  }
  throw new Error(`"${text}" was accepted`);
}

describe('LPMM_PAYLOAD_KEYS parsing', () => {
  it('lists the ids in order; the first one encrypts', () => {
    const ring = parseKeyRing(`k2:${key()}, k1:${key()}`);
    expect(ring.currentKeyId).toBe('k2');
    expect(ring.keyIds).toEqual(['k2', 'k1']);
    expect(ring.key('k1')?.symmetricKeySize).toBe(32);
    expect(ring.key('k3')).toBeUndefined();
  });

  it('is off when unset or empty, and strict otherwise', () => {
    expect(keyRingFromEnv({})).toBeUndefined();
    expect(keyRingFromEnv({ LPMM_PAYLOAD_KEYS: '' })).toBeUndefined();
    expect(keyRingFromEnv({ LPMM_PAYLOAD_KEYS: `a:${key()}` })?.currentKeyId).toBe('a');
    expect(() => keyRingFromEnv({ LPMM_PAYLOAD_KEYS: 'nonsense' })).toThrow(
      /LPMM_PAYLOAD_KEYS: entry 1 of 1/,
    );
  });

  it.each([
    ['empty entry', () => `k2:${key()},`, /entry 2 of 2 is empty/],
    ['no id', () => key(), /entry 1 of 1 has no "<key id>:"/],
    ['empty id', () => `:${key()}`, /key id .* must be 1-64 letters/],
    ['id with a space', () => `my key:${key()}`, /key id .* must be 1-64 letters/],
    ['id too long', () => `${'k'.repeat(65)}:${key()}`, /key id .* must be 1-64 letters/],
    ['duplicate id', () => `k1:${key()},k1:${key()}`, /key id "k1" is listed twice/],
    ['16-byte key', () => `k1:${randomBytes(16).toString('base64')}`, /decodes to 16 bytes, not 32/],
    ['33-byte key', () => `k1:${randomBytes(33).toString('base64')}`, /decodes to 33 bytes, not 32/],
    ['unpadded key', () => `k1:${key().replace('=', '')}`, /exactly 32 bytes/],
    // Drawn until it holds a url-safe character: about one key in four has none and is plain base64.
    ['url-safe key', () => `k1:${urlSafeKey()}=`, /exactly 32 bytes/],
    ['hex key', () => `k1:${randomBytes(32).toString('hex')}`, /not 32/],
    ['non-canonical padding bits', () => `k1:${'A'.repeat(42)}B=`, /exactly 32 bytes/],
    ['key with a space', () => `k1:${key().slice(0, 20)} ${key().slice(21)}`, /not standard base64/],
  ])('refuses a %s, naming the variable and how to fix it', (_what, text, problem) => {
    const err = refusal(text());
    expect(err.message).toMatch(problem);
    expect(err.message).toMatch(/^LPMM_PAYLOAD_KEYS: /);
    expect(err.message).toContain('<key id>:<base64 of 32 bytes>');
  });

  it('names the option instead of the variable when the keys come from code', () => {
    expect(refusal('x', 'payloadKeys').message).toMatch(/^payloadKeys: /);
  });

  it('never repeats key material in an error, whatever is wrong with the list', () => {
    fc.assert(
      fc.property(
        // Anything shorter than 12 bytes is no key worth hiding, and would fit in a quoted id.
        fc.uint8Array({ minLength: 12, maxLength: 48 }),
        fc.constantFrom('id:KEY', 'KEY', 'KEY:id', 'id:KEY,', 'id:KEY,id:KEY', ' KEY :id', 'a b:KEY'),
        (bytes, shape) => {
          const secret = Buffer.from(bytes).toString('base64');
          let message = '';
          try {
            parseKeyRing(shape.replaceAll('KEY', secret));
          } catch (err) {
            message = (err as Error).message;
          }
          // A valid list (a 32-byte key in the right place) has no message at all.
          expect(message).not.toContain(secret);
        },
      ),
    );
  });

  it('never shows key material when the ring is logged or inspected', () => {
    const secret = key();
    const ring = parseKeyRing(`k1:${secret}`);
    const shown = `${inspect(ring, { depth: 10, showHidden: true })} ${JSON.stringify(ring)} ${JSON.stringify({ ring })}`;
    expect(shown).toContain('k1');
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(Buffer.from(secret, 'base64').toString('hex'));
  });

  it('refuses a bad list at worker start as a configuration error', () => {
    expect(() => loadWorkerConfig({ LPMM_PAYLOAD_KEYS: 'k1:short' })).toThrow(WorkerConfigError);
    expect(() => loadWorkerConfig({ LPMM_PAYLOAD_KEYS: 'k1:short' })).toThrow(
      /LPMM_PAYLOAD_KEYS: the key of key id "k1"/,
    );
    expect(loadWorkerConfig({}).payloadKeys).toBeUndefined();
    expect(loadWorkerConfig({ LPMM_PAYLOAD_KEYS: `k9:${key()}` }).payloadKeys?.currentKeyId).toBe('k9');
  });
});

function urlSafeKey(): string {
  for (;;) {
    const key = randomBytes(32).toString('base64url');
    if (/[-_]/.test(key)) return key;
  }
}

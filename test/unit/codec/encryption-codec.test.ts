import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../../../codec/encryption-codec';
import { parseKeyRing } from '../../../codec/key-ring';

const key = () => randomBytes(32).toString('base64');
const k1 = key();
const k2 = key();
const ringV1 = parseKeyRing(`k1:${k1}`);
const ringV2 = parseKeyRing(`k2:${k2},k1:${k1}`);

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/** Any payload: arbitrary metadata names and bytes, arbitrary data (including none). */
const arbPayload: fc.Arbitrary<Payload> = fc.record({
  metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 40 }), {
    maxKeys: 4,
  }),
  data: fc.uint8Array({ maxLength: 300 }),
});

function normalized(p: Payload) {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {})
        .map(([k, v]) => [k, Buffer.from(v ?? []).toString('hex')])
        .sort(),
    ),
    data: Buffer.from(p.data ?? []).toString('hex'),
  };
}

async function decodeError(codec: AesGcmPayloadCodec, payload: Payload): Promise<Error> {
  try {
    await codec.decode([payload]);
  } catch (err) {
    return err as Error;
  }
  throw new Error('the payload decoded');
}

describe('AES-256-GCM payload codec', () => {
  it('round-trips any payload, metadata and data alike', async () => {
    const codec = new AesGcmPayloadCodec(ringV2);
    await fc.assert(
      fc.asyncProperty(fc.array(arbPayload, { maxLength: 5 }), async (payloads) => {
        const encoded = await codec.encode(payloads);
        expect(encoded).toHaveLength(payloads.length);
        const decoded = await codec.decode(encoded);
        expect(decoded.map(normalized)).toEqual(payloads.map(normalized));
      }),
    );
  });

  it('round-trips every value the SDK converts, through the SDK payload converter', async () => {
    const codec = new AesGcmPayloadCodec(ringV2);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
        const [decoded] = await codec.decode([encoded!]);
        expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('stores only the encoding, the key id and IV ‖ ciphertext ‖ tag, never the plaintext', async () => {
    const codec = new AesGcmPayloadCodec(ringV2);
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 8, maxLength: 200 }), async (secret) => {
        const plain = defaultPayloadConverter.toPayload({ poolId: secret });
        const [encoded] = await codec.encode([plain]);
        expect(Object.keys(encoded!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA]);
        expect(text(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
        expect(text(encoded!.metadata![KEY_ID_METADATA])).toBe('k2');
        // 12-byte IV + the serialized payload + 16-byte tag.
        expect(encoded!.data!.length).toBeGreaterThan(12 + 16 + Buffer.byteLength(secret));
        expect(Buffer.from(encoded!.data!).includes(Buffer.from(secret))).toBe(false);
        expect(Buffer.from(encoded!.data!).includes(Buffer.from('json/plain'))).toBe(false);
      }),
    );
  });

  it('draws a fresh IV for every payload: the same value never encrypts to the same bytes', async () => {
    const codec = new AesGcmPayloadCodec(ringV1);
    const plain = defaultPayloadConverter.toPayload('same');
    const encoded = await codec.encode(Array.from({ length: 200 }, () => plain));
    const ivs = new Set(encoded.map((p) => Buffer.from(p.data!).subarray(0, 12).toString('hex')));
    expect(ivs.size).toBe(200);
  });

  it('refuses any altered byte of the stored data', async () => {
    const codec = new AesGcmPayloadCodec(ringV2);
    await fc.assert(
      fc.asyncProperty(arbPayload, fc.nat(), fc.integer({ min: 1, max: 255 }), async (payload, at, flip) => {
        const [encoded] = await codec.encode([payload]);
        const data = Buffer.from(encoded!.data!);
        data[at % data.length]! ^= flip;
        const err = await decodeError(codec, { ...encoded, data });
        expect(err).toBeInstanceOf(PayloadDecryptionError);
        expect(err.message).toMatch(/key id "k2"\) failed authentication: it was altered/);
      }),
    );
  });

  it('refuses truncated data and a payload relabelled with another known key', async () => {
    const codec = new AesGcmPayloadCodec(ringV2);
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload({ a: 1 })]);
    const err = await decodeError(codec, { ...encoded, data: encoded!.data!.subarray(0, 27) });
    expect(err.message).toMatch(/has 27 bytes of data, fewer than the 28 bytes/);
    const relabelled = {
      ...encoded,
      metadata: { ...encoded!.metadata, [KEY_ID_METADATA]: Buffer.from('k1') },
    };
    expect((await decodeError(codec, relabelled)).message).toMatch(/key id "k1"\) failed authentication/);
    const unlabelled = { ...encoded, metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) } };
    expect((await decodeError(codec, unlabelled)).message).toMatch(/no "encryption-key-id" metadata/);
    const hostileLabel = {
      ...encoded,
      metadata: { ...encoded!.metadata, [KEY_ID_METADATA]: Buffer.from('k1"\n<script>') },
    };
    expect((await decodeError(codec, hostileLabel)).message).toMatch(/an invalid "encryption-key-id"/);
  });

  it('names an unknown key id and what to configure', async () => {
    const [old] = await new AesGcmPayloadCodec(parseKeyRing(`k0:${key()}`)).encode([
      defaultPayloadConverter.toPayload('x'),
    ]);
    const err = await decodeError(new AesGcmPayloadCodec(ringV2), old!);
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect(err.message).toContain('A payload is encrypted with key id "k0", which is not configured');
    expect(err.message).toContain('LPMM_PAYLOAD_KEYS here lists only "k2", "k1"');
    expect(err.message).toContain('Add "k0:<that key in base64>" to LPMM_PAYLOAD_KEYS');
    expect(err.message).not.toContain(k1);
    expect(err.message).not.toContain(k2);

    const withoutKeys = await decodeError(new AesGcmPayloadCodec(undefined), old!);
    expect(withoutKeys.message).toContain('LPMM_PAYLOAD_KEYS is not set here');
  });

  it('keeps decoding what an old key encrypted after a new key is prepended, and encrypts with the new one', async () => {
    const before = new AesGcmPayloadCodec(ringV1);
    const after = new AesGcmPayloadCodec(ringV2);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const [old] = await before.encode([defaultPayloadConverter.toPayload(value)]);
        expect(text(old!.metadata![KEY_ID_METADATA])).toBe('k1');
        const [decoded] = await after.decode([old!]);
        expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(JSON.parse(JSON.stringify(value)));
        const [fresh] = await after.encode([decoded!]);
        expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('k2');
      }),
      { numRuns: 50 },
    );
    // Once k1 is retired, what it encrypted can no longer be read: retire a key only after its histories.
    const [old] = await before.encode([defaultPayloadConverter.toPayload('x')]);
    const retired = new AesGcmPayloadCodec(parseKeyRing(`k2:${k2}`));
    expect((await decodeError(retired, old!)).message).toMatch(/key id "k1", which is not configured/);
  });

  it('passes unencrypted payloads through decode, and encrypts nothing without keys', async () => {
    const plain = defaultPayloadConverter.toPayload({ written: 'before encryption was on' });
    expect(await new AesGcmPayloadCodec(ringV2).decode([plain])).toEqual([plain]);
    expect(await new AesGcmPayloadCodec(undefined).encode([plain])).toEqual([plain]);
    expect(await new AesGcmPayloadCodec(undefined).decode([plain])).toEqual([plain]);
  });
});

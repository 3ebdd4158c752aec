import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { PAYLOAD_KEYS_ENV, type KeyRing } from './key-ring';

/*
 * AES-256-GCM over the whole original Payload (metadata and data), serialized with the Payload
 * protobuf encoding rather than JSON of base64 fields: it round-trips every field exactly, keeps
 * bytes as bytes (no base64 inflation before encryption), and any Temporal SDK can parse it, so a
 * codec in another language can read these payloads with the same keys. The stored payload is
 *   metadata: { encoding: "binary/encrypted", "encryption-key-id": <id> }
 *   data:     12-byte random IV ‖ ciphertext ‖ 16-byte authentication tag
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const PayloadMessage = proto.temporal.api.common.v1.Payload;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

function metadataText(payload: Payload, key: string): string | undefined {
  const bytes = payload.metadata?.[key];
  if (!bytes) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function isEncryptedPayload(payload: Payload): boolean {
  return metadataText(payload, 'encoding') === ENCRYPTED_ENCODING;
}

/**
 * Encrypts with the ring's current key; decrypts with whichever key the payload names. Payloads
 * that are not encrypted pass through decode unchanged (histories written before encryption was
 * turned on, or inputs a `temporal` command sent in plain JSON). Without a key ring nothing is
 * encrypted and an encrypted payload is refused with a message saying which key to configure.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: KeyRing | undefined) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keys = this.keys;
    if (!keys) return payloads;
    return payloads.map((payload) => {
      const plain = PayloadMessage.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, keys.currentKey, iv, { authTagLength: TAG_BYTES });
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(keys.currentKeyId),
        },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncryptedPayload(payload) ? this.decrypt(payload) : payload));
  }

  private decrypt(payload: Payload): Payload {
    const rawId = metadataText(payload, KEY_ID_METADATA);
    if (rawId === undefined || !KEY_ID.test(rawId)) {
      throw new PayloadDecryptionError(
        `An encrypted payload has ${rawId === undefined ? 'no' : 'an invalid'} "${KEY_ID_METADATA}" metadata entry, so no key can be chosen for it; it was not written by this codec.`,
      );
    }
    const key = this.keys?.key(rawId);
    if (!key) throw new PayloadDecryptionError(this.unknownKeyMessage(rawId));
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(
        `An encrypted payload (key id "${rawId}") has ${data.length} bytes of data, fewer than the ${IV_BYTES + TAG_BYTES} bytes of IV and authentication tag: it was truncated or not written by this codec.`,
      );
    }
    const bytes = Buffer.from(data);
    const decipher = createDecipheriv(CIPHER, key, bytes.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `An encrypted payload (key id "${rawId}") failed authentication: it was altered after it was encrypted, or encrypted with a different key than the one configured as "${rawId}".`,
      );
    }
    try {
      return PayloadMessage.decode(plain);
    } catch (err) {
      throw new PayloadDecryptionError(
        `An encrypted payload (key id "${rawId}") decrypted to something that is not a Temporal Payload (${(err as Error).message}).`,
      );
    }
  }

  private unknownKeyMessage(id: string): string {
    const source = this.keys?.source ?? PAYLOAD_KEYS_ENV;
    const configured = this.keys
      ? `${source} here lists only ${this.keys.keyIds.map((k) => `"${k}"`).join(', ')}`
      : `${source} is not set here`;
    return (
      `A payload is encrypted with key id "${id}", which is not configured: ${configured}. ` +
      `Add "${id}:<that key in base64>" to ${source}, after the current (first) key, on every worker, ` +
      `client and codec server that reads this workflow's data.`
    );
  }
}

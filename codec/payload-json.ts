import type { Payload } from '@temporalio/common';

/*
 * The codec server protocol's bodies: a Payloads message in protobuf JSON,
 * `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`. Parsed strictly: the
 * body comes from whoever can reach the endpoint.
 */

export class PayloadJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadJsonError';
  }
}

/** Protobuf JSON accepts standard and URL-safe base64, padded or not. */
const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;
const MAX_PAYLOADS = 10_000;

function bytesOf(value: unknown, where: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
    throw new PayloadJsonError(`${where} must be a base64 string`);
  }
  return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function payloadsFromJson(body: unknown): Payload[] {
  if (!isRecord(body)) throw new PayloadJsonError('the body must be a JSON object {"payloads": [...]}');
  // Protobuf JSON leaves an empty list out: the temporal CLI sends `{}` for no payloads.
  const list = body.payloads ?? [];
  if (!Array.isArray(list)) throw new PayloadJsonError('"payloads" must be a list');
  if (list.length > MAX_PAYLOADS) {
    throw new PayloadJsonError(`at most ${MAX_PAYLOADS} payloads per request, got ${list.length}`);
  }
  return list.map((p: unknown, i): Payload => {
    const where = `payloads[${i}]`;
    if (!isRecord(p)) throw new PayloadJsonError(`${where} must be an object`);
    for (const [field, value] of Object.entries(p)) {
      // An empty list of external payloads is what some protobuf JSON writers emit by default.
      if (field === 'externalPayloads' && Array.isArray(value) && value.length === 0) continue;
      if (field !== 'metadata' && field !== 'data') {
        throw new PayloadJsonError(`${where} has an unknown field "${field.slice(0, 40)}"`);
      }
    }
    const metadata: Record<string, Uint8Array> = {};
    if (p.metadata !== undefined && p.metadata !== null) {
      if (!isRecord(p.metadata)) throw new PayloadJsonError(`${where}.metadata must be an object`);
      for (const [k, v] of Object.entries(p.metadata)) {
        metadata[k] = bytesOf(v, `${where}.metadata["${k.slice(0, 40)}"]`);
      }
    }
    const data = p.data === undefined || p.data === null ? Buffer.alloc(0) : bytesOf(p.data, `${where}.data`);
    return { metadata, data };
  });
}

export function payloadsToJson(payloads: Payload[]): {
  payloads: Array<{ metadata: Record<string, string>; data: string }>;
} {
  // A decoded protobuf message's absent bytes field can be a plain empty array, not a Uint8Array.
  const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('base64');
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    })),
  };
}

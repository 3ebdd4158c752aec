import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './encryption-codec';
import type { KeyRing } from './key-ring';

/** The failure converter that puts messages and stack traces into (encrypted) payloads. */
export const ENCODING_FAILURE_CONVERTER_PATH = fileURLToPath(
  new URL('./failure-converter.cjs', import.meta.url),
);
const { ENCRYPTED_FAILURES_MARKER } = createRequire(import.meta.url)(ENCODING_FAILURE_CONVERTER_PATH) as {
  ENCRYPTED_FAILURES_MARKER: string;
};

/**
 * The data converter for a worker or client. With keys, every payload is encrypted and so are
 * failure messages and stack traces. Without keys nothing is encrypted (failures stay readable
 * in the Web UI and the CLI), and an encrypted payload is refused with a message naming the key
 * it needs, instead of the SDK's "unknown encoding".
 */
export function payloadDataConverter(keys: KeyRing | undefined): DataConverter {
  return {
    payloadCodecs: [new AesGcmPayloadCodec(keys)],
    ...(keys ? { failureConverterPath: ENCODING_FAILURE_CONVERTER_PATH } : {}),
  };
}

/** True when `bundleCode` was built with the encoding failure converter (see worker/bundle.ts). */
export function bundleEncodesFailures(bundleCode: string): boolean {
  return bundleCode.includes(ENCRYPTED_FAILURES_MARKER);
}

/**
 * A prebundled workflow bundle fixes its failure converter at build time: refuse one built without
 * the encoding converter when failures must be encrypted, or workflow error messages (which quote
 * inputs) would reach the server in plain text.
 */
export function checkWorkflowBundle(bundlePath: string, dataConverter: DataConverter | undefined): void {
  if (dataConverter?.failureConverterPath !== ENCODING_FAILURE_CONVERTER_PATH) return;
  if (bundleEncodesFailures(readFileSync(bundlePath, 'utf8'))) return;
  throw new Error(
    `The workflow bundle ${bundlePath} was built without encrypted failure messages, but payload ` +
      'encryption is on. Rebuild it with `npm run worker:bundle -- --encrypt-failure-messages`, ' +
      'or unset WORKFLOW_BUNDLE_PATH so the worker bundles the workflows itself.',
  );
}

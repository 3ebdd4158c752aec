import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  bundleEncodesFailures,
  checkWorkflowBundle,
  ENCODING_FAILURE_CONVERTER_PATH,
  payloadDataConverter,
} from '../../../codec/data-converter';
import { parseKeyRing } from '../../../codec/key-ring';
import { WORKFLOWS_PATH } from '../../../worker/create-worker';

describe('a prebundled workflow bundle with payload encryption on', () => {
  const encrypting = payloadDataConverter(parseKeyRing(`k1:${randomBytes(32).toString('base64')}`));
  const dir = mkdtempSync(join(tmpdir(), 'lpmm-bundle-'));

  it('is accepted when built with the encoding failure converter (npm run worker:bundle -- --encrypt-failure-messages)', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      failureConverterPath: ENCODING_FAILURE_CONVERTER_PATH,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    expect(bundleEncodesFailures(code)).toBe(true);
    const path = join(dir, 'encrypting.js');
    writeFileSync(path, code);
    expect(() => checkWorkflowBundle(path, encrypting)).not.toThrow();
  }, 120_000);

  it('is refused, saying how to rebuild, when built without it; without keys any bundle is fine', () => {
    const path = join(dir, 'plain.js');
    writeFileSync(path, '/* a workflow bundle built without --encrypt-failure-messages */');
    expect(() => checkWorkflowBundle(path, encrypting)).toThrow(
      /built without encrypted failure messages.*npm run worker:bundle -- --encrypt-failure-messages.*unset WORKFLOW_BUNDLE_PATH/s,
    );
    expect(() => checkWorkflowBundle(path, payloadDataConverter(undefined))).not.toThrow();
    expect(() => checkWorkflowBundle(path, undefined)).not.toThrow();
  });
});

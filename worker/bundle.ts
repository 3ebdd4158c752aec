/**
 * Prebundles the workflow code for production workers: `npm run worker:bundle` → dist/workflow-bundle.js.
 * `--encrypt-failure-messages` builds in the failure converter that payload encryption needs
 * (LPMM_PAYLOAD_KEYS): a worker with keys refuses a bundle built without it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ENCODING_FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { PROJECT_ROOT } from '../devenv/temporal-dev-server';
import { WORKFLOWS_PATH } from './create-worker';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a.startsWith('--') && a !== '--encrypt-failure-messages');
if (unknown.length) {
  process.stderr.write(
    `Unknown option ${unknown.join(' ')}; usage: worker/bundle.ts [out.js] [--encrypt-failure-messages]\n`,
  );
  process.exit(2);
}
const encryptFailures = args.includes('--encrypt-failure-messages');
const out = args.find((a) => !a.startsWith('--')) ?? join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  ...(encryptFailures ? { failureConverterPath: ENCODING_FAILURE_CONVERTER_PATH } : {}),
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
process.stdout.write(
  `Workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} KiB${encryptFailures ? ', failure messages encoded for encryption' : ''}). Set WORKFLOW_BUNDLE_PATH=${out} for the worker.\n`,
);

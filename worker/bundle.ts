/** Prebundles the workflow code for production workers: `npm run worker:bundle` → dist/workflow-bundle.js. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT } from '../devenv/temporal-dev-server';
import { WORKFLOWS_PATH } from './create-worker';

const out = process.argv[2] ?? join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
process.stdout.write(
  `Workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} KiB). Set WORKFLOW_BUNDLE_PATH=${out} for the worker.\n`,
);

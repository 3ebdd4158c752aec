/*
 * Records the histories of the current workflow code for the replay guard:
 *
 *   npm run histories:record            # into test/histories/v<package.json version>/
 *   npm run histories:record -- --only lifecycle,worker-loss --out /tmp/h
 *
 * Starts its own embedded Postgres and in-memory Temporal dev server, runs the real worker through
 * the scenarios in scenarios.ts, and writes each run of each workflow as JSON (the format of
 * `temporal workflow show --output json`) with a manifest.json. Run it on the release's commit,
 * before the next change to workflows/ lands. See docs/UPGRADES.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { historyToJson } from './history-json';
import { marketMakerWorkflowId, spreadSagaWorkflowId } from '../../client';
import { findTemporalCli } from '../../devenv/temporal-cli';
import { startMarketWorker } from '../helpers/market-core';
import { PROJECT_ROOT } from '../helpers/processes';
import { SCENARIOS, type RecordedPool } from './scenarios';
import { startRecordingStack } from './stack';
import { HISTORIES_DIR, type Manifest, type ManifestEntry, type WorkflowType } from './store';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Every run of a workflow id from `firstRunId` on, following continueAsNew. */
async function runChain(client: Client, workflowId: string, firstRunId: string): Promise<History[]> {
  // The whole chain must be closed, or the last history would end mid-run.
  await client.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
  const out: History[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    out.push(history);
    const last = history.events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return out;
}

/**
 * The last commit that changed workflows/: what the histories were recorded from, stable across
 * rebases of later commits. Flagged when workflows/ has uncommitted changes.
 */
function workflowsCommit(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT }).toString().trim();
  try {
    const sha = git('log', '-1', '--format=%H', '--', 'workflows');
    return git('status', '--porcelain', '--', 'workflows') ? `${sha} (workflows/ modified)` : sha;
  } catch {
    return 'unknown';
  }
}

/** What `temporal --version` says of the CLI the recording ran on (it names the server's version). */
function temporalServerVersion(): string {
  const cli = findTemporalCli();
  if (!cli) return 'unknown';
  try {
    return execFileSync(cli.path, ['--version']).toString().trim();
  } catch {
    return 'unknown';
  }
}

async function main() {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  const { values } = parseArgs({
    options: {
      release: { type: 'string', default: `v${pkg.version}` },
      out: { type: 'string' },
      only: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  const release = values.release!;
  const outDir = values.out ?? join(HISTORIES_DIR, release);
  const only = values.only?.split(',').map((s) => s.trim());
  const scenarios = only ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  if (only && scenarios.length !== only.length) {
    throw new Error(`--only names unknown scenarios; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  if (existsSync(outDir) && readdirSync(outDir).length && !values.force) {
    throw new Error(
      `${outDir} already holds recordings: a release's histories are what that release wrote, so they ` +
        'are not overwritten. Pass --force to re-record them on purpose (on that release’s commit).',
    );
  }

  const stack = await startRecordingStack(log);
  const harness = await startMarketWorker(stack.database, stack.temporal);
  const recorded: Array<{ scenario: string; pool: RecordedPool }> = [];
  try {
    for (const scenario of scenarios) {
      const started = Date.now();
      log(`[record] ${scenario.name}…`);
      const pool = await scenario.run({ stack, harness, log });
      recorded.push({ scenario: scenario.name, pool });
      log(`[record] ${scenario.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }

    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const entries: ManifestEntry[] = [];
    for (const { scenario, pool } of recorded) {
      const workflows: Array<[WorkflowType, string, string, string, string[]]> = [
        [
          'MarketMakerWorkflow',
          'mm',
          marketMakerWorkflowId(pool.poolId),
          pool.marketMakerRunId,
          pool.covers.marketMaker,
        ],
        ['SpreadManagementSaga', 'saga', spreadSagaWorkflowId(pool.poolId), pool.sagaRunId, pool.covers.saga],
      ];
      for (const [workflowType, short, workflowId, firstRunId, covers] of workflows) {
        const chain = await runChain(stack.temporal.client, workflowId, firstRunId);
        chain.forEach((history, i) => {
          const file = `${scenario}.${short}.run${i + 1}.json`;
          writeFileSync(join(outDir, file), `${historyToJson(history)}\n`);
          entries.push({
            file,
            scenario,
            workflowType,
            workflowId,
            run: i + 1,
            events: history.events?.length ?? 0,
            covers:
              i === 0 || chain.length === 1 ? covers : [`continued run ${i + 1} of: ${covers.join('; ')}`],
          });
        });
      }
    }
    const manifest: Manifest = {
      release,
      recordedAt: new Date().toISOString(),
      workflowsCommit: workflowsCommit(),
      temporalSdk: pkg.dependencies['@temporalio/workflow'] ?? 'unknown',
      temporalServer: temporalServerVersion(),
      note: 'Recorded by `npm run histories:record`; replayed by test/replay/recorded-histories.test.ts.',
      histories: entries,
    };
    writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const total = entries.reduce((n, e) => n + e.events, 0);
    log(`[record] wrote ${entries.length} histories (${total} events) to ${outDir}`);
  } finally {
    await harness.shutdown();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`[record] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);

import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRecordedHistories, releaseFolders, type RecordedHistory } from '../histories/store';
import { bundleWorkflows, describeFailures, replayRecorded } from './replay-recorded';

/*
 * The upgrade guard (docs/UPGRADES.md): every history recorded from a past release, under
 * test/histories/<release>/, must replay against the workflow code of this checkout. A change to
 * workflows/ that would break a running workflow fails here, naming the history file and the
 * nondeterminism the SDK found. New releases add a folder; nothing here changes.
 */

// The guard's own test fails replays on purpose, which the SDK's core logs at WARN for each one;
// the tests report failures themselves, with the history file.
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const histories = loadRecordedHistories();

describe('recorded histories of past releases replay against the current workflow code', () => {
  it('there is something to replay: every release folder holds both workflows', () => {
    const releases = releaseFolders();
    expect(releases.length).toBeGreaterThan(0);
    for (const release of releases) {
      const types = new Set(histories.filter((h) => h.release === release).map((h) => h.workflowType));
      expect([...types].sort(), release).toEqual(['MarketMakerWorkflow', 'SpreadManagementSaga']);
    }
  });

  it('every recorded history replays without a nondeterminism error', async () => {
    const outcomes = await replayRecorded(await bundleWorkflows(), histories, 'recorded-histories');
    expect(outcomes).toHaveLength(histories.length);
    expect(
      describeFailures(outcomes),
      'a workflow change breaks recorded histories: put it behind patched() (docs/UPGRADES.md)',
    ).toEqual([]);
  });
});

/** Where the stand-in change below alters the commands: a session started, or a saga input read. */
function reachesTheChange(h: RecordedHistory): boolean {
  return (h.history.events ?? []).some(
    (e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'beginQuotingSession' ||
      // A local activity leaves a marker whose details name its type (as a JSON payload).
      Buffer.from(e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data ?? []).includes(
        '"readSpreadInputs"',
      ),
  );
}

describe('the guard catches an incompatible workflow change and lets a patched one through', () => {
  let unpatched: WorkflowBundle;
  let patchedBundle: WorkflowBundle;
  beforeAll(async () => {
    [unpatched, patchedBundle] = await Promise.all([
      bundleWorkflows([fixture('unpatched-extra-timer.ts')]),
      bundleWorkflows([fixture('patched-extra-timer.ts')]),
    ]);
  }, 120_000);

  it('an extra timer before each session and saga read, without patched(), fails every history it reaches', async () => {
    const outcomes = await replayRecorded(unpatched, histories, 'guard-unpatched');
    const reached = histories.filter(reachesTheChange);
    // Both workflows reach the changed code in most recordings: the check below is not vacuous.
    expect(new Set(reached.map((h) => h.workflowType)).size).toBe(2);
    for (const o of outcomes) {
      if (reachesTheChange(o.history)) {
        expect(o.error?.name, o.history.path).toBe('DeterminismViolationError');
        expect(o.error?.message, o.history.path).toMatch(/nondeterminism/i);
      } else {
        expect(o.error, o.history.path).toBeUndefined();
      }
    }
    // What CI prints: the file, then the SDK's explanation.
    const lines = describeFailures(outcomes);
    expect(lines).toHaveLength(reached.length);
    for (const h of reached) expect(lines.some((l) => l.startsWith(`${h.path} (`))).toBe(true);
  });

  it('the same change behind patched() replays every history cleanly', async () => {
    const outcomes = await replayRecorded(patchedBundle, histories, 'guard-patched');
    expect(describeFailures(outcomes)).toEqual([]);
  });
});

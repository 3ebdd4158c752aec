import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../worker/create-worker';

/*
 * A history shape the recorded releases do not hold, recorded with two workers under load: the
 * market maker's first local activity has its marker in workflow task 1, but the run went on (and
 * scheduled its first activity) only in task 2. Replay resolves the local activity in task 1,
 * earlier than it was live; a patch decided right after it then does not know its marker yet,
 * answers false, and the marker matches no command. Patches are decided at the start of each run
 * (workflows/patches.ts); this replay fails if one is moved after a local activity again.
 */

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});

describe('a local activity resolved a workflow task before its run went on', () => {
  it('replays against the current workflow code', async () => {
    const file = new URL('./fixtures/market-maker.local-activity-split.json', import.meta.url);
    const history = temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(file, 'utf8')));
    const { EventType } = temporal.api.enums.v1;
    let task = 0;
    let marker: number | undefined;
    let scheduled: number | undefined;
    for (const e of history.events ?? []) {
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) task++;
      if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') marker ??= task;
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) scheduled ??= task;
    }
    // The shape that makes this history a test at all.
    expect({ marker, scheduled }).toEqual({ marker: 1, scheduled: 2 });
    const workflowId = history.events![0]!.workflowExecutionStartedEventAttributes!.workflowId!;
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: WORKFLOWS_PATH, replayName: 'replay-la-split' },
        history,
        workflowId,
      ),
    ).resolves.toBeUndefined();
  }, 120_000);
});

import { patched } from '@temporalio/workflow';

/*
 * Workflow code changes that alter what a running history would do, each behind its patch id
 * (https://docs.temporal.io/develop/typescript/versioning): a history recorded before the change
 * replays the old branch, a run that reaches the change live takes the new one and records a marker.
 */

/*
 * Each patch is decided once per run, in the run's first activation, before any await. A patch
 * decided later, right after a local activity, breaks replay: the replay resolves the local activity
 * in the workflow task whose history holds its marker, which can be earlier than the task in which
 * the original run went on (and recorded the patch marker), so the replayed `patched()` does not
 * know of the marker yet, answers false, and the marker then matches no command (nondeterminism).
 * Seen with two workers under load; test/integration/replay.test.ts replays such histories.
 */

/**
 * Idempotency keys and event ids of new decisions carry the run id instead of the first run's id.
 * A Temporal reset starts a new run whose firstExecutionRunId is the old one's: keys built from it
 * made the reset run's decisions look like the abandoned run's, so they were skipped as done
 * (lifecycle and risk events dropped, a spread change refused as a reused request id).
 */
export const runScopedKeys = (): boolean => patched('run-scoped-keys');

/**
 * The spread saga evaluates with the imbalance and TVL bands and corrects a spread left outside
 * [minSpreadBps, maxSpreadBps] despite the deadband (domain/spread-policy.ts). Runs started before
 * keep the v0.1.0 rules until they continue as new: a history whose spread sat out of bounds, or
 * whose share hovered at a tier, would otherwise take a different decision on replay.
 */
export const spreadTierBands = (): boolean => patched('spread-tier-bands');

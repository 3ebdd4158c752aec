import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { History } from '@temporalio/common/lib/proto-utils';
import { historyFromJson } from './history-json';

/*
 * Recorded workflow histories, one folder per release (test/histories/v0.1.0/, ...), each with a
 * manifest.json naming its files. The history files are in the JSON form `temporal workflow show
 * --output json` writes, so one exported from a real cluster can be dropped in beside them.
 */

export const HISTORIES_DIR = fileURLToPath(new URL('.', import.meta.url));

export type WorkflowType = 'MarketMakerWorkflow' | 'SpreadManagementSaga';

export interface ManifestEntry {
  /** File name inside the release folder. */
  file: string;
  scenario: string;
  workflowType: WorkflowType;
  workflowId: string;
  /** 1 for the first run of the workflow id, 2 for the run it continued as new into, ... */
  run: number;
  events: number;
  /** What this history exercises, in words a reviewer can check against the event list. */
  covers: string[];
}

export interface Manifest {
  release: string;
  recordedAt: string;
  /** The last commit that changed workflows/ when the histories were recorded. */
  workflowsCommit: string;
  temporalSdk: string;
  temporalServer: string;
  note: string;
  histories: ManifestEntry[];
}

export interface RecordedHistory extends ManifestEntry {
  release: string;
  /** Path relative to test/histories, for messages. */
  path: string;
  history: History;
}

const RELEASE_DIR = /^v\d+\.\d+\.\d+([-+][\w.-]+)?$/;

/** Release folders under test/histories, oldest first by semantic version. */
export function releaseFolders(root = HISTORIES_DIR): string[] {
  const parse = (v: string) => v.slice(1).split(/[-+]/)[0]!.split('.').map(Number);
  return readdirSync(root)
    .filter((d) => RELEASE_DIR.test(d) && statSync(join(root, d)).isDirectory())
    .sort((a, b) => {
      const [x, y] = [parse(a), parse(b)];
      for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      // A pre-release (v1.0.0-rc.1) comes before its release (v1.0.0).
      const [pa, pb] = [a.includes('-'), b.includes('-')];
      return pa === pb ? a.localeCompare(b) : pa ? -1 : 1;
    });
}

/**
 * Every history of every release folder, checked against its manifest both ways: a file the manifest
 * does not name, or a name without a file, is an error (a history silently left out of the replay
 * would be a hole in the guard).
 */
export function loadRecordedHistories(root = HISTORIES_DIR): RecordedHistory[] {
  const out: RecordedHistory[] = [];
  for (const release of releaseFolders(root)) {
    const dir = join(root, release);
    const manifestPath = join(dir, 'manifest.json');
    if (!existsSync(manifestPath)) {
      throw new Error(
        `${relative(root, dir)} has no manifest.json: re-record it with \`npm run histories:record\``,
      );
    }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    const onDisk = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'manifest.json');
    const named = new Set(manifest.histories.map((h) => h.file));
    const unnamed = onDisk.filter((f) => !named.has(f));
    if (unnamed.length) {
      throw new Error(
        `${release}/manifest.json does not list ${unnamed.join(', ')}: add them or delete them`,
      );
    }
    for (const entry of manifest.histories) {
      const file = join(dir, entry.file);
      if (!existsSync(file))
        throw new Error(`${release}/manifest.json lists ${entry.file}, which is missing`);
      let history: History;
      try {
        history = historyFromJson(JSON.parse(readFileSync(file, 'utf8')));
      } catch (err) {
        throw new Error(
          `${release}/${entry.file} is not a Temporal history in JSON: ${(err as Error).message}`,
        );
      }
      out.push({ ...entry, release, path: `${release}/${entry.file}`, history });
    }
  }
  return out;
}

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HISTORIES_DIR, loadRecordedHistories, releaseFolders, type Manifest } from '../../histories/store';

/*
 * The replay guard is only as good as the list of histories it replays: a file left out of the
 * manifest, or a manifest entry without its file, must stop the test rather than shrink the check.
 */
describe('recorded history folders', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const real = JSON.parse(readFileSync(join(HISTORIES_DIR, 'v0.1.0', 'manifest.json'), 'utf8')) as Manifest;
  const sample = real.histories[0]!;

  /** A history root with one release folder holding one real history and its manifest. */
  function root(release = 'v0.1.0'): { root: string; dir: string } {
    const r = mkdtempSync(join(tmpdir(), 'histories-'));
    dirs.push(r);
    const dir = join(r, release);
    mkdirSync(dir);
    copyFileSync(join(HISTORIES_DIR, 'v0.1.0', sample.file), join(dir, sample.file));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...real, histories: [sample] }));
    return { root: r, dir };
  }

  it('loads every history the manifest lists, with its release and path', () => {
    const { root: r } = root('v1.2.3');
    const [h, ...rest] = loadRecordedHistories(r);
    expect(rest).toEqual([]);
    expect(h).toMatchObject({
      release: 'v1.2.3',
      path: `v1.2.3/${sample.file}`,
      workflowId: sample.workflowId,
    });
    expect(h!.history.events?.length).toBe(sample.events);
  });

  it('refuses a history file the manifest does not list', () => {
    const { root: r, dir } = root();
    copyFileSync(join(dir, sample.file), join(dir, 'stray.json'));
    expect(() => loadRecordedHistories(r)).toThrow(/does not list stray\.json/);
  });

  it('refuses a manifest entry whose file is missing', () => {
    const { root: r, dir } = root();
    rmSync(join(dir, sample.file));
    expect(() => loadRecordedHistories(r)).toThrow(
      new RegExp(`lists ${sample.file.replace(/\./g, '\\.')}, which is missing`),
    );
  });

  it('refuses a release folder without a manifest, and a file that is not a history', () => {
    const { root: r, dir } = root();
    writeFileSync(join(dir, sample.file), JSON.stringify({ not: 'a history' }));
    expect(() => loadRecordedHistories(r)).toThrow(/is not a Temporal history in JSON/);
    rmSync(join(dir, 'manifest.json'));
    expect(() => loadRecordedHistories(r)).toThrow(/has no manifest\.json/);
  });

  it('orders release folders by version, not by name, and ignores other folders', () => {
    const r = mkdtempSync(join(tmpdir(), 'histories-'));
    dirs.push(r);
    for (const d of ['v0.10.0', 'v0.2.0', 'v0.2.0-rc.1', 'fixtures', 'v1.0.0']) mkdirSync(join(r, d));
    expect(releaseFolders(r)).toEqual(['v0.2.0-rc.1', 'v0.2.0', 'v0.10.0', 'v1.0.0']);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listResults, readResults, viewOf } from '../../dashboard/backtests';

const FIXTURES = join('test', 'fixtures', 'backtest-results');

describe('backtest results for the dashboard', () => {
  it('finds the tables, equity and inventory curves and P&L distributions of a tournament file, by scenario', async () => {
    const view = (await readResults(FIXTURES, 'tournament-sample.json'))!;
    expect(view.header).toMatchObject({ kind: 'tournament', seed: 42 });
    // Two sample paths per strategy and scenario, grouped by scenario and named by strategy.
    expect(view.series).toHaveLength(12);
    expect([...new Set(view.series.map((s) => s.group))]).toEqual(['series › gbm-calm', 'series › jumpy']);
    expect(view.series.slice(0, 2).map((s) => s.name)).toEqual(['rule_based #0', 'rule_based #1']);
    expect(view.series.every((s) => s.inventory && s.inventory.length === s.t.length)).toBe(true);
    // P&L and P&L vs hold, per scenario: four groups of three strategies.
    expect([...new Set(view.distributions.map((d) => d.group))]).toEqual([
      'pnl › gbm-calm',
      'pnl › jumpy',
      'pnlVsHold › gbm-calm',
      'pnlVsHold › jumpy',
    ]);
    expect(view.distributions.every((d) => d.values.length === 200)).toBe(true);
    const metrics = view.tables.find((t) => t.title === 'metrics')!;
    expect(metrics.rows).toHaveLength(6);
    expect(metrics.rows.slice(0, 3).map((r) => r.strategy)).toEqual([
      'rule_based',
      'avellaneda_stoikov',
      'glft',
    ]);
    // Fields the page was not written for still show.
    expect(metrics.columns).toContain('futureColumn');
    expect(view.tables.map((t) => t.title)).toEqual(['scenarios', 'strategies', 'metrics']);
  });

  it('reads any shape: records in arrays are tables, PathSeries anywhere are curves, unknown fields are kept', () => {
    const view = viewOf('sweep.json', {
      kind: 'sweep',
      createdAt: '2026-11-27T00:00:00Z',
      command: 'x',
      seed: 1,
      somethingNew: { nested: true },
      grid: [
        { gamma: 0.1, k: 1.5, meanPnl: 3, extra: [1, 2] },
        { gamma: 0.2, k: 1.5, meanPnl: 4 },
      ],
      runs: [{ strategy: 'glft', path: { t: [0, 1], equity: [0, 1], inventory: [0, 0], mid: [1, 1] } }],
      pnls: [1, 2, 3, 4, 5, 6],
    });
    expect(view.tables[0]).toMatchObject({ title: 'grid', columns: ['gamma', 'k', 'meanPnl', 'extra'] });
    expect(view.tables[0]!.rows[0]!.extra).toBe('1, 2');
    expect(view.series).toEqual([
      {
        label: 'runs › glft › path',
        group: 'runs › glft',
        name: 'path',
        t: [0, 1],
        equity: [0, 1],
        inventory: [0, 0],
        mid: [1, 1],
      },
    ]);
    expect(view.distributions).toEqual([
      { label: 'pnls', group: 'results', name: 'pnls', values: [1, 2, 3, 4, 5, 6] },
    ]);
  });

  it("reads a single run's file: its metrics object as a one-row table, its paths' P&L as the distribution", () => {
    const view = viewOf('run.json', {
      kind: 'run',
      createdAt: '2026-11-27T00:00:00Z',
      command: 'npm run backtest',
      seed: 1,
      metrics: { strategy: 'glft', scenario: 'gbm', paths: 3, meanPnl: 2, sharpe: 0.5 },
      paths: [
        { path: 0, pnl: 1, holdPnl: 0.5, stops: [] },
        { path: 1, pnl: 2, holdPnl: 1, stops: ['max_loss'] },
        { path: 2, pnl: 3, holdPnl: 2, stops: [] },
      ],
      series: { path: 0, t: [0, 1], mid: [1, 1], equity: [0, 1], inventory: [0, 1] },
    });
    expect(view.tables.map((t) => [t.title, t.rows.length])).toEqual([
      ['metrics', 1],
      ['paths', 3],
    ]);
    expect(view.tables[1]!.rows[1]!.stops).toBe('max_loss');
    expect(view.distributions).toEqual([
      { label: 'paths › pnl', group: 'paths', name: 'pnl', values: [1, 2, 3] },
      { label: 'paths › holdPnl', group: 'paths', name: 'holdPnl', values: [0.5, 1, 2] },
    ]);
    expect(view.series.map((x) => x.name)).toEqual(['series']);
  });

  it('lists files newest first and says why a file is not shown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-'));
    writeFileSync(
      join(dir, 'a.json'),
      JSON.stringify({ kind: 'run', createdAt: '2026-01-01T00:00:00Z', command: '', seed: 1 }),
    );
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify({ kind: 'paper', createdAt: '2026-02-01T00:00:00Z', command: '', seed: 1 }),
    );
    writeFileSync(join(dir, 'c.json'), '{"kind": "mystery", "createdAt": "2026-03-01T00:00:00Z"}');
    writeFileSync(join(dir, 'd.json'), '{not json');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const files = await listResults(dir);
    expect(files.map((f) => [f.file, f.problem === null])).toEqual([
      ['b.json', true],
      ['a.json', true],
      ['c.json', false],
      ['d.json', false],
    ]);
    expect(files[2]!.problem).toMatch(/kind must be one of tournament, sweep, paper, run/);
    expect(files[3]!.problem).toMatch(/not valid JSON/);
    await expect(readResults(dir, 'c.json')).rejects.toThrow(/not a backtest results file/);
    expect(await readResults(dir, 'missing.json')).toBeUndefined();
    expect(await listResults(join(dir, 'nowhere'))).toEqual([]);
  });
});

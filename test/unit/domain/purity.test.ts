import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// The domain is imported into Temporal workflow code: no clock, no randomness, no Node built-ins, no I/O.
const root = join(__dirname, '../../../domain');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('domain purity', () => {
  const sources = files(root).map((p) => ({ p, text: readFileSync(p, 'utf8') }));

  it('finds the domain sources', () => {
    expect(sources.length).toBeGreaterThan(10);
  });

  it.each([
    [/Date\.now|new Date\(/, 'clock'],
    [/Math\.random/, 'randomness'],
    [/from ['"](node:|fs|path|os|crypto|child_process|http|https|net)['"/]/, 'Node built-ins'],
    [/process\.|setTimeout|setInterval|fetch\(/, 'process or I/O'],
  ])('uses no %s (%s)', (pattern) => {
    const offenders = sources.filter(({ text }) => pattern.test(text)).map(({ p }) => p);
    expect(offenders).toEqual([]);
  });
});

/*
 * A one-line progress bar for long backtests, on stderr so results on stdout stay clean. On a
 * terminal it redraws in place (at most ten times a second); otherwise it prints a line at each
 * tenth of the run.
 */
export type ProgressFn = (done: number, total: number) => void;

export function progressBar(
  label: string,
  out: NodeJS.WriteStream = process.stderr,
): ProgressFn & {
  end(): void;
} {
  const started = Date.now();
  let lastDraw = 0;
  let lastDecile = -1;
  let drawn = false;
  const line = (done: number, total: number) => {
    const fraction = total > 0 ? done / total : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const seconds = (Date.now() - started) / 1000;
    const eta =
      fraction > 0 && fraction < 1 ? ` eta ${((seconds / fraction) * (1 - fraction)).toFixed(0)}s` : '';
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${total} paths ${seconds.toFixed(1)}s${eta}`;
  };
  const update = ((done: number, total: number) => {
    if (out.isTTY) {
      const now = Date.now();
      if (done < total && now - lastDraw < 100) return;
      lastDraw = now;
      out.write(`\r\x1b[2K${line(done, total)}`);
      drawn = true;
    } else {
      const decile = Math.floor((done / Math.max(1, total)) * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      out.write(`${line(done, total)}\n`);
    }
  }) as ProgressFn & { end(): void };
  update.end = () => {
    if (drawn) out.write('\n');
    drawn = false;
  };
  return update;
}

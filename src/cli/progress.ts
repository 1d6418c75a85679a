/**
 * A one-line progress indicator on stderr, shown only when stderr is a terminal (so logs and
 * tests stay clean). Returns a callback to report (done, total) and a `done()` to finish the line.
 */
export function progressReporter(label: string): ((done: number, total: number) => void) & { done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = -1;
  let shown = false;
  const report = (done: number, total: number): void => {
    if (!tty || total <= 0) return;
    const pct = Math.floor((done / total) * 100);
    if (pct === last) return;
    last = pct;
    shown = true;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    process.stderr.write(`\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${pct}%`);
  };
  return Object.assign(report, {
    done(): void {
      if (shown) process.stderr.write("\n");
    },
  });
}

import type { ErrorSummary, MetricErrors, SplitwiseComparison } from "./compare.js";

function cell(e: ErrorSummary): string {
  return e.count === 0 ? "-" : `${e.mapePct.toFixed(1)}% / ${e.medianApePct.toFixed(1)}%`;
}

function line(name: string, m: MetricErrors, n: number): string {
  return `${name.padEnd(34)} ${String(n).padStart(5)}  ${cell(m.prompt).padEnd(16)} ${cell(m.token).padEnd(16)} ${cell(m.e2e).padEnd(16)} ${String(m.e2e.count).padStart(5)}`;
}

/** The comparison as a terminal table: MAPE / median absolute % error per metric. */
export function formatSplitwiseComparison(c: SplitwiseComparison): string {
  const lines = [
    `${"rows".padEnd(34)} ${"n".padStart(5)}  ${"prefill".padEnd(16)} ${"decode/token".padEnd(16)} ${"e2e".padEnd(16)} ${"n e2e".padStart(5)}`,
    `${"".padEnd(34)} ${"".padStart(5)}  ${"MAPE / median".padEnd(16)} ${"MAPE / median".padEnd(16)} ${"MAPE / median".padEnd(16)}`,
    line("all rows", c.all, c.rows.length),
    line("clean (plausible, uncapped)", c.clean, c.rows.filter((r) => r.plausible && !r.powerCapped).length),
    ...c.groups.map((g) => line(`  ${g.key}`, g.errors, g.errors.prompt.count)),
  ];
  const implausible = c.rows.filter((r) => !r.plausible).length;
  const inconsistent = c.rows.filter((r) => !r.e2eConsistent).length;
  lines.push(
    "",
    `${implausible} rows measured a prefill faster than the GPUs' peak FLOP/s allows (excluded from "clean");`,
    `${inconsistent} rows have an e2e that disagrees with their own prompt + (tokens - 1) x token time by > 10% (left out of e2e);`,
    `power-capped H100 rows are predicted as a plain H100 (the model has no power input).`,
  );
  return lines.join("\n");
}

/**
 * The roofline against every row of the measured Splitwise profiles (Llama-2-70B and BLOOM-176B
 * on A100 / H100, TP 2/4/8). The bounds are the errors the built-in coefficients reach, rounded
 * up: a change that makes the model worse fails here.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findBuiltinGpu } from "../../src/sim/hardware/builtin-gpus.js";
import { compareWithSplitwise } from "../../src/sim/splitwise/compare.js";
import { fitRooflineCoefficients } from "../../src/sim/splitwise/fit.js";
import { readSplitwiseProfile } from "../../src/sim/splitwise/profile.js";
import { SHARED } from "../helpers/paths.js";

const rows = readSplitwiseProfile(join(SHARED, "traces/splitwise_perf_model.csv"));

describe("Splitwise profiles", () => {
  const c = compareWithSplitwise(rows);

  it("covers every row of the file", () => {
    expect(rows).toHaveLength(1260);
    expect(c.rows).toHaveLength(1260);
    expect(c.groups.map((g) => g.key)).toHaveLength(12);
  });

  it("predicts clean rows' prefill within 12% MAPE and decode within 8% MAPE", () => {
    expect(c.clean.prompt.mapePct).toBeLessThan(12);
    expect(c.clean.prompt.medianApePct).toBeLessThan(8);
    expect(c.clean.token.mapePct).toBeLessThan(8);
    expect(c.clean.token.medianApePct).toBeLessThan(4);
    expect(c.clean.e2e.mapePct).toBeLessThan(9);
  });

  it("over all rows (outliers and power-capped GPUs included) decode stays within 7% MAPE", () => {
    expect(c.all.token.mapePct).toBeLessThan(7);
    expect(c.all.prompt.medianApePct).toBeLessThan(15);
    // The implausible rows are the batch-64 TP2 prefills, all three hardware kinds.
    expect(c.rows.filter((r) => !r.plausible).map((r) => `${r.row.tensorParallel}/${r.row.batchSize}`)).toEqual(Array(15).fill("2/64"));
  });

  it("refitting H100's coefficients on Llama-2-70B alone still predicts BLOOM-176B", () => {
    const h100 = findBuiltinGpu("H100-SXM")!;
    const clean = c.rows.filter((r) => r.plausible && !r.powerCapped).map((r) => r.row);
    const fit = fitRooflineCoefficients(h100, clean.filter((r) => r.hardware === "h100-80gb" && r.model === "llama2-70b"), 12);
    const bloom = compareWithSplitwise(rows.filter((r) => r.hardware === "h100-80gb" && r.model === "bloom-176b"), () => ({ ...h100, coefficients: fit.coefficients }));
    expect(bloom.clean.prompt.mapePct).toBeLessThan(20);
    expect(bloom.clean.token.mapePct).toBeLessThan(10);
  });
});

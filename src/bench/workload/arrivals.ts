import { exponential, gamma, type Rng } from "./rng.js";

/**
 * How first turns (and single requests) are spread in time:
 * - `burst`: all at time 0 (`--request-rate inf`);
 * - `poisson`: exponential gaps with mean 1 / rate;
 * - `gamma`: gamma gaps with shape = burstiness and mean 1 / rate, as vLLM's `--burstiness`
 *   (1 is Poisson; below 1 burstier, above 1 more regular: the gaps' CV is 1 / sqrt(burstiness));
 * - `trace`: each trace row's own time x `timeScale` (0.5 replays twice as fast).
 */
export type ArrivalProcess =
  | { readonly kind: "burst" }
  | { readonly kind: "poisson"; readonly ratePerS: number }
  | { readonly kind: "gamma"; readonly ratePerS: number; readonly burstiness: number }
  | { readonly kind: "trace"; readonly timeScale: number };

/** The process for `--request-rate R [--burstiness B]` (R = Infinity for all at once). */
export function rateArrivals(ratePerS: number, burstiness = 1): ArrivalProcess {
  if (!(ratePerS > 0)) throw new RangeError(`request rate must be > 0, got ${ratePerS}`);
  if (!(burstiness > 0)) throw new RangeError(`burstiness must be > 0, got ${burstiness}`);
  if (ratePerS === Infinity) return { kind: "burst" };
  return burstiness === 1 ? { kind: "poisson", ratePerS } : { kind: "gamma", ratePerS, burstiness };
}

/**
 * The gap in ms before the next arrival of a synthetic process. The first request of a run is
 * sent at 0 and each later one a gap after the previous (vLLM's convention).
 */
export function nextGapMs(process: Exclude<ArrivalProcess, { kind: "trace" }>, rng: Rng): number {
  switch (process.kind) {
    case "burst":
      return 0;
    case "poisson":
      return exponential(rng, process.ratePerS) * 1000;
    case "gamma":
      return gamma(rng, process.burstiness, 1 / (process.ratePerS * process.burstiness)) * 1000;
  }
}

export function describeArrivals(p: ArrivalProcess): string {
  switch (p.kind) {
    case "burst":
      return "all at once";
    case "poisson":
      return `Poisson, ${p.ratePerS} req/s`;
    case "gamma":
      return `gamma, ${p.ratePerS} req/s, burstiness ${p.burstiness}`;
    case "trace":
      return `trace timestamps x ${p.timeScale}`;
  }
}

import type { SamplingParams } from "./params.js";

/** A sampling parameter is out of range or of the wrong kind. `field` names the offending parameter. */
export class SamplingParamsError extends Error {
  constructor(
    readonly field: keyof SamplingParams | "vocabSize" | "promptTokenIds",
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "SamplingParamsError";
  }
}

/**
 * The logits handed to the sampler cannot be sampled from: wrong length, NaN or +Infinity entries
 * (a model bug), or every token masked to -Infinity (e.g. by logit bias).
 */
export class SamplingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SamplingError";
  }
}

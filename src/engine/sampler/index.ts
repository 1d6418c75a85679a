export { SamplingError, SamplingParamsError } from "./errors.js";
export { computeLogprobs, type LogprobsResult, type TokenLogprob } from "./logprobs.js";
export {
  DEFAULT_SAMPLING,
  isGreedy,
  MAX_LOGPROBS,
  type SamplingParams,
  validateSamplingParams,
} from "./params.js";
export { applyLogitBias, applyPenalties, PenaltyHistory, type PenaltyParams } from "./penalties.js";
export { randomSeed } from "./seed.js";
export { Xoshiro128StarStar } from "./rng.js";
export {
  type SampleResult,
  SequenceSampler,
  type SequenceSamplerOptions,
  type TokenProbability,
} from "./sequence-sampler.js";
export { SamplerWorkspace, sharedWorkspace } from "./workspace.js";

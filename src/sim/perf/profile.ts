import type { SequenceWork, StepTimeModel } from "./step-time.js";

export interface ProfilePoint {
  readonly promptSize: number;
  readonly batchSize: number;
  readonly tokenSize: number;
}

export interface ProfilePrediction {
  readonly promptTimeMs: number;
  readonly tokenTimeMs: number;
  readonly e2eTimeMs: number;
}

/** Decode steps sampled to average the per-token time over a generation (it is near linear in context). */
const DECODE_SAMPLES = 16;

/**
 * What the Splitwise profiler measured, predicted: the prefill of `batchSize` prompts in one
 * step, then the mean decode step of the batch as the context grows from the prompt to
 * prompt + tokens; e2e = prompt + (tokens - 1) x token, as the profile's own numbers are.
 */
export function predictProfilePoint(model: StepTimeModel, p: ProfilePoint): ProfilePrediction {
  const prefill: SequenceWork[] = Array.from({ length: p.batchSize }, () => ({ numComputedTokens: 0, numScheduledTokens: p.promptSize, sample: true }));
  const promptTimeMs = model.stepTimeMs(prefill);
  let sum = 0;
  const numSamples = Math.min(DECODE_SAMPLES, p.tokenSize);
  for (let i = 0; i < numSamples; i++) {
    const generated = Math.floor(((i + 0.5) * p.tokenSize) / numSamples);
    const context = p.promptSize + generated;
    sum += model.stepTimeMs(Array.from({ length: p.batchSize }, () => ({ numComputedTokens: context, numScheduledTokens: 1, sample: true })));
  }
  const tokenTimeMs = sum / numSamples;
  return { promptTimeMs, tokenTimeMs, e2eTimeMs: promptTimeMs + (p.tokenSize - 1) * tokenTimeMs };
}

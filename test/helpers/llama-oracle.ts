import { getLlama, type Llama, type LlamaModel, type Token } from "node-llama-cpp";

/**
 * llama.cpp (through node-llama-cpp) as an independent oracle: the full next-token distribution
 * at every position of a token list, and greedy continuations.
 */
let llamaPromise: Promise<Llama> | null = null;
function llama(): Promise<Llama> {
  llamaPromise ??= getLlama({ gpu: false, build: "never", logLevel: "error" as never });
  return llamaPromise;
}

export interface Oracle {
  readonly model: LlamaModel;
  /** probs[i][t] = P(token t | tokens[0..i]) as llama.cpp computes it (temperature 1, no filters). */
  distributions(tokens: readonly number[]): Promise<Float64Array[]>;
  /** llama.cpp's own greedy sampler continuing `tokens` for `n` tokens (stops at EOG). */
  greedy(tokens: readonly number[], n: number): Promise<number[]>;
  dispose(): Promise<void>;
}

export async function openOracle(modelPath: string, opts: { contextSize?: number; threads?: number } = {}): Promise<Oracle> {
  const l = await llama();
  const model = await l.loadModel({ modelPath });
  const newSequence = async () => {
    const context = await model.createContext({ contextSize: opts.contextSize ?? 512, threads: opts.threads ?? 2, batchSize: 512, flashAttention: false });
    return { context, seq: context.getSequence() };
  };
  return {
    model,
    async distributions(tokens) {
      const { context, seq } = await newSequence();
      try {
        const res = await seq.controlledEvaluate(tokens.map((t): [Token, { generateNext: { probabilities: true } }] => [t as Token, { generateNext: { probabilities: true } }]));
        return res.map((r) => {
          const probs = r?.next?.probabilities;
          if (!probs) throw new Error("node-llama-cpp returned no probabilities");
          const out = new Float64Array(probs.size); // the map holds every token of the vocabulary
          for (const [id, p] of probs) out[id] = p;
          return out;
        });
      } finally {
        await context.dispose();
      }
    },
    async greedy(tokens, n) {
      const { context, seq } = await newSequence();
      try {
        const out: number[] = [];
        for await (const t of seq.evaluate(tokens as Token[], { temperature: 0 })) {
          out.push(t as number);
          if (out.length >= n || model.isEogToken(t)) break;
        }
        return out;
      } finally {
        await context.dispose();
      }
    },
    async dispose() {
      await model.dispose();
    },
  };
}

/** softmax of a logits row, in float64 */
export function softmax(logits: Float32Array, offset = 0, n = logits.length - offset): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(logits[offset + i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return out;
}

export interface DistributionDiff {
  /** max over tokens of |p - q| */
  maxAbsProb: number;
  /** KL(p || q) in nats */
  kl: number;
  /** max |log p - log q| over tokens with p > 1e-3 in the oracle */
  maxLogprobDiff: number;
  sameArgmax: boolean;
}

export function compareDistributions(ours: Float64Array, oracle: Float64Array): DistributionDiff {
  let maxAbsProb = 0;
  let kl = 0;
  let maxLogprobDiff = 0;
  let am = 0;
  let bm = 0;
  for (let i = 0; i < ours.length; i++) {
    const p = oracle[i]!;
    const q = ours[i]!;
    maxAbsProb = Math.max(maxAbsProb, Math.abs(p - q));
    if (p > 1e-12) kl += p * (Math.log(p) - Math.log(Math.max(q, 1e-30)));
    if (p > 1e-3) maxLogprobDiff = Math.max(maxLogprobDiff, Math.abs(Math.log(p) - Math.log(Math.max(q, 1e-30))));
    if (q > ours[am]!) am = i;
    if (p > oracle[bm]!) bm = i;
  }
  return { maxAbsProb, kl, maxLogprobDiff, sameArgmax: am === bm };
}

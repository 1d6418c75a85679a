import { TOP_P_BINS, type TopPScratch } from "./top-p.js";

/**
 * Scratch buffers for sampling, sized to the vocabulary (about 32 bytes per vocabulary entry).
 *
 * Invariant: nothing read from these buffers survives between calls — every sample() writes each
 * entry it later reads in the same call — so one workspace can serve any number of sequences, one
 * call at a time. Sampling is synchronous, so within one JS thread calls never interleave.
 */
export class SamplerWorkspace {
  private capacity = 0;
  /** Processed logits (after bias and penalties). */
  logits = new Float32Array(0);
  /** Candidate token ids and their weights exp((logit - max) / T), before top-p. */
  candidateIds = new Int32Array(0);
  candidateWeights = new Float64Array(0);
  /** Min-heap for top-k, grown to k on demand. */
  heap = new Float64Array(0);
  private topP: TopPScratch = emptyTopP();

  /** Makes every buffer hold at least `vocabSize` entries (grows, never shrinks). */
  ensure(vocabSize: number): void {
    if (vocabSize <= this.capacity) return;
    this.capacity = vocabSize;
    this.logits = new Float32Array(vocabSize);
    this.candidateIds = new Int32Array(vocabSize);
    this.candidateWeights = new Float64Array(vocabSize);
    this.topP = emptyTopP();
  }

  ensureHeap(k: number): Float64Array {
    if (this.heap.length < k) this.heap = new Float64Array(k);
    return this.heap;
  }

  /** Top-p scratch, allocated on first use (requests without top-p never pay for it). */
  topPScratch(): TopPScratch {
    if (this.topP.outIds.length < this.capacity) {
      this.topP = {
        binMass: new Float64Array(TOP_P_BINS),
        order: new Int32Array(this.capacity),
        outIds: new Int32Array(this.capacity),
        outWeights: new Float64Array(this.capacity),
      };
    }
    return this.topP;
  }
}

function emptyTopP(): TopPScratch {
  return {
    binMass: new Float64Array(0),
    order: new Int32Array(0),
    outIds: new Int32Array(0),
    outWeights: new Float64Array(0),
  };
}

let shared: SamplerWorkspace | undefined;

/**
 * The workspace SequenceSamplers use unless given one: one per JS thread (module instance), so
 * hundreds of concurrent sequences do not each hold megabytes of scratch. Safe by the invariant above.
 */
export function sharedWorkspace(): SamplerWorkspace {
  shared ??= new SamplerWorkspace();
  return shared;
}

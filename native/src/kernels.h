// The table of compute kernels one instruction set provides. Drivers (ops.cc) split work
// across threads and call these; each ISA translation unit fills one table.
//
// Batch invariance: every kernel computes each output with the same sequence of floating-point
// operations whatever the tile it sits in, so a token's result never depends on which other
// tokens share the call (greedy outputs are identical batched or alone).
#pragma once
#include <cstddef>
#include <cstdint>

namespace flt {

// Activations of one matmul, converted once to what the weight type's dot product consumes.
struct Acts {
  int numTokens = 0;
  int K = 0;
  const float* f32 = nullptr;      // (numTokens, K) for F32 / F16 / BF16 weights
  const int8_t* qs = nullptr;      // (numTokens, K) quantized activations
  const float* d = nullptr;        // (numTokens, K / 32) Q8_0 or (numTokens, K / 256) Q8_K scales
  const int32_t* sums = nullptr;   // (numTokens, K / 32) Q8_0 sums of each block's quants
  const int16_t* bsums = nullptr;  // (numTokens, K / 16) Q8_K sums of 16 quants
};

// One thread's share of a matmul: weight rows [r0, r1) times tokens [t0, t1).
struct MatmulTask {
  const uint8_t* w = nullptr;  // whole weight matrix, ggml layout
  size_t rowBytes = 0;
  int r0 = 0, r1 = 0;
  int t0 = 0, t1 = 0;
  float* out = nullptr;  // out[t * ldo + r]
  size_t ldo = 0;
  const uint8_t* packed = nullptr;  // the weights in the table's packed layout (Kernels::pack), if prepared
};

using MatmulFn = void (*)(const Acts&, const MatmulTask&);

// Causal attention of some query tokens of one sequence for one KV head (all its query heads).
// K and V are reached block by block, in f32 (the cache itself, or a converted copy of an f16 one).
struct AttnTask {
  const float* q = nullptr;  // (numTokens, numHeads, headDim) of the whole batch
  float* out = nullptr;      // (numTokens, numHeads, headDim)
  int numHeads = 0, headDim = 0;
  int headBegin = 0, headEnd = 0;  // query heads sharing this KV head
  float scale = 1.f;
  int blockSize = 0;
  const float* const* kBlocks = nullptr;  // per block: this head's keys, (headDim, blockSize)
  const float* const* vBlocks = nullptr;  // per block: row o (headDim values) at vBlocks[b] + o * vStride
  size_t vStride = 0;
  // the same blocks in f16, for Kernels::attend_f16 (vStride in elements)
  const uint16_t* const* kBlocks16 = nullptr;
  const uint16_t* const* vBlocks16 = nullptr;
  int row0 = 0, pos0 = 0, numRows = 0;  // batch rows row0.. at positions pos0.. (attend to 0..=pos)
  float* scores = nullptr;              // scratch: 4 rows of numBlocks * blockSize floats
};

struct Kernels {
  const char* isa;
  // matmul by weight type; activations as `actsKind` says
  MatmulFn mm_f32, mm_f16, mm_bf16, mm_q8_0, mm_q4_0, mm_q4_k, mm_q6_k;
  // one row of K (multiple of 32 / 256) to Q8_0 (d rounded to f16 like ggml; and each block's
  // sum of quants) / Q8_K
  void (*quantize_q8_0)(const float* x, int K, int8_t* qs, float* d, int32_t* sums);
  void (*quantize_q8_k)(const float* x, int K, int8_t* qs, float* d, int16_t* bsums);
  // element-wise
  void (*rms_norm)(const float* x, const float* w, int dim, float eps, float* out);
  void (*swiglu)(float* gate, const float* up, size_t n);
  void (*add)(float* a, const float* b, size_t n);
  void (*softmax)(float* x, int n);
  // rotate one token's heads; cs = (ropeDim / 2) cos values then (ropeDim / 2) sin values
  void (*rope)(float* x, int numHeads, int headDim, int ropeDim, bool neox, const float* cs);
  void (*f32_to_f16)(const float* src, uint16_t* dst, size_t n);
  void (*f16_to_f32)(const uint16_t* src, float* dst, size_t n);
  void (*attend)(const AttnTask&);
  // optional: attention straight from f16 blocks (kBlocks16 / vBlocks16), the same results as
  // `attend` on the blocks converted to f32; false (nothing done) for shapes it does not take
  bool (*attend_f16)(const AttnTask&);
  // quantized activations are followed by this many zero rows (kernels that read whole tiles of tokens)
  int actPadRows;
  // activation bytes a matmul task covers (0: the default, sized for L2); kernels that repack
  // weights per task want many tokens per task
  size_t actChunkBytes;
  // the same for F32 / F16 / BF16 weights (f32 activations; 0: the default)
  size_t floatChunkBytes;
  // optional (null: weights are always read in ggml layout): bytes of `type` weights in this
  // table's packed layout (0 if it has none for that type), and packing of 16-row tiles
  // [tile0, tile1) of them; matmul tasks then start on 16-row boundaries
  size_t (*packed_bytes)(int type, int rows, int cols);
  void (*pack)(int type, const uint8_t* w, size_t rowBytes, int tile0, int tile1, int rows, int cols, uint8_t* out);
};

const Kernels* kernels_scalar();
#if defined(FLT_X86)
const Kernels* kernels_avx2();
const Kernels* kernels_avx512();
const Kernels* kernels_avx512vnni();
const Kernels* kernels_amx();
#endif

}  // namespace flt

// The backend's operations on raw pointers: convert activations once per call, split the work
// across the thread pool, and call the selected ISA's kernels. Arguments are validated by the
// N-API layer (addon.cc) before they get here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "aligned_buffer.h"
#include "kernels.h"
#include "kv_cache.h"
#include "thread_pool.h"

namespace flt {

// cos/sin of position * invFreq[i], computed in double and cached per position on first use.
class RopeTable {
 public:
  explicit RopeTable(std::vector<double> invFreq) : invFreq_(std::move(invFreq)) {}
  int half() const { return int(invFreq_.size()); }
  // (half cos, half sin) for each position < maxPosition; grows the cache as needed.
  void ensure(int maxPosition);
  const float* row(int position) const { return rows_.data() + size_t(position) * 2 * invFreq_.size(); }

 private:
  std::vector<double> invFreq_;
  std::vector<float> rows_;
  int numPositions_ = 0;
};

// One sequence of an attention call (see BatchSequence in backend.ts).
struct SeqDesc {
  int tokenStart;
  int numTokens;
  int numCachedTokens;
  const int32_t* blockTable;
};

// Weights repacked into a kernel table's own layout (Kernels::pack), owned natively.
struct PackedWeight {
  int type = 0, rows = 0, cols = 0;
  size_t bytes = 0;
  uint8_t* data = nullptr;
  const Kernels* kernels = nullptr;  // the table whose layout this is
  ~PackedWeight() { std::free(data); }
};

// One matrix of a matmulMany call: out (T, rows) = x (T, cols) . w^T, w in ggml `type` layout
// (`packed`, if not null: the same weights packed by the context's table).
struct MatmulOperand {
  int type = 0;
  const uint8_t* w = nullptr;
  int rows = 0;
  float* out = nullptr;
  const PackedWeight* packed = nullptr;
};

// How one matrix of a matmul call is cut into tasks: numTc token chunks of tc tokens times numRc
// row chunks of rc rows, numbered from firstTask in the call's job.
struct MatmulSplit {
  int tc = 0, numTc = 0, rc = 0, numRc = 0;
  int firstTask = 0;
  const MatmulOperand* m = nullptr;
  MatmulFn fn = nullptr;
  const Acts* acts = nullptr;
  size_t rowBytes = 0;
};

class Context {
 public:
  Context(const Kernels* kernels, int numThreads);

  const Kernels& kernels() const { return *k_; }
  int numThreads() const { return pool_.numThreads(); }

  // The weights in this table's packed layout, or null when it has none for `type`.
  std::unique_ptr<PackedWeight> pack(int type, const uint8_t* w, int rows, int cols);
  // out (T, rows) = x (T, cols) . w^T, w in ggml `type` layout (and `packed`, if not null, the
  // same weights packed by this context's table)
  void matmul(int type, const uint8_t* w, int rows, int cols, const float* x, int T, float* out,
              const PackedWeight* packed = nullptr);
  // Several matmuls of one input x (T, cols), each output bit for bit what `matmul` gives: the
  // activations are converted once per format they need (Q8_0, Q8_K or none) and one parallel
  // job covers the rows of every matrix, so the threads split all of them together.
  void matmulMany(const MatmulOperand* ms, int numMs, int cols, const float* x, int T);
  // gate.out = silu(x . gate.w^T) * (x . up.w^T) and up.out = x . up.w^T (same rows): bit for bit
  // matmul, matmul, swiglu, in one parallel job when both weights have one type.
  void matmulSwiglu(const MatmulOperand& gate, const MatmulOperand& up, int cols, const float* x, int T);
  void rmsNorm(const float* x, const float* w, int numRows, int dim, float eps, float* out);
  void rope(float* x, const int32_t* positions, int T, int numHeads, int headDim, int ropeDim, bool neox,
            RopeTable& table);
  void swiglu(float* gate, const float* up, size_t n);
  void add(float* a, const float* b, size_t n);
  void addBias(float* x, const float* bias, int numRows, int n);
  void softmax(float* x, int numRows, int n);
  void writeKv(const KvLayout& kv, uint8_t* base, int layer, const float* k, const float* v, const int32_t* slots,
               int T);
  void attention(const KvLayout& kv, const uint8_t* base, int layer, const float* q, int numHeads,
                 const SeqDesc* seqs, int numSeqs, float scale, float* out);

 private:
  template <class F>
  void parallel(int numTasks, F&& f) {
    pool_.parallelFor(numTasks, f);
  }
  // Quantized activations of one format (ops.cc ActFormat); one set per format, so a
  // matmulMany call may hold Q8_0 and Q8_K activations at once.
  struct ActBuffers {
    AlignedBuffer qs, d, sums16, blockSums;  // sums16: Q8_K sums of 16 quants; blockSums: Q8_0 block sums
  };
  void prepareActs(int type, const float* x, int T, int K, Acts& a);
  // token and row chunks of one matrix (depend on its type and shape, the table and the thread count)
  MatmulSplit splitMatmul(int type, int rows, int cols, int T) const;
  // task `local` (numbered within its matrix) of a split
  static MatmulTask taskOf(const MatmulSplit& s, int local, int T);

  const Kernels* k_;
  ThreadPool pool_;
  ActBuffers actBufs_[2];  // [0]: Q8_0 (Q8_0 / Q4_0 weights), [1]: Q8_K (Q4_K / Q6_K weights)
  std::vector<MatmulSplit> splits_;          // matmulMany's matrices, reused between calls
  std::vector<AlignedBuffer> threadScratch_;  // one per thread: attention K^T, V, scores
};

}  // namespace flt

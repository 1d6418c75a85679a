#include "huge_pages.h"
#include "ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ggml_blocks.h"

namespace flt {

namespace {

constexpr size_t kParallelElems = 1 << 15;  // below this an element-wise op runs on the caller
constexpr size_t kActChunkBytes = 256 << 10; // activations of one token chunk (stay in L2)
constexpr int kAttnQueryChunk = 64;         // query tokens per attention task
constexpr int kAttnScoreRows = 4;           // queries a kernel may score at once (AttnTask::scores)
constexpr int kAttnDirectQueries = 8;       // up to this many queries per task read an f16 cache in place

int ceil_div(int a, int b) { return (a + b - 1) / b; }

bool is_float_type(int type) { return type == kF32 || type == kF16 || type == kBF16; }

// What a weight type's kernels take as activations: f32 as they are, Q8_0 or Q8_K.
enum ActFormat { kActF32, kActQ8_0, kActQ8_K, kNumActFormats };

ActFormat act_format(int type) {
  if (is_float_type(type)) return kActF32;
  return type == kQ4_K || type == kQ6_K ? kActQ8_K : kActQ8_0;
}

// The table's matmul for a weight type; null for a type it has none for.
MatmulFn matmul_fn(const Kernels& k, int type) {
  switch (type) {
    case kF32: return k.mm_f32;
    case kF16: return k.mm_f16;
    case kBF16: return k.mm_bf16;
    case kQ8_0: return k.mm_q8_0;
    case kQ4_0: return k.mm_q4_0;
    case kQ4_K: return k.mm_q4_k;
    case kQ6_K: return k.mm_q6_k;
    default: return nullptr;
  }
}

}  // namespace

void RopeTable::ensure(int maxPosition) {
  if (maxPosition <= numPositions_) return;
  const int n = std::max(maxPosition, numPositions_ * 2);
  const size_t h = invFreq_.size();
  rows_.resize(size_t(n) * 2 * h);
  for (int p = numPositions_; p < n; p++) {
    float* r = rows_.data() + size_t(p) * 2 * h;
    for (size_t i = 0; i < h; i++) {
      const double angle = double(p) * invFreq_[i];
      r[i] = float(std::cos(angle));
      r[h + i] = float(std::sin(angle));
    }
  }
  numPositions_ = n;
}

Context::Context(const Kernels* kernels, int numThreads) : k_(kernels), pool_(numThreads) {
  threadScratch_.resize(size_t(pool_.numThreads()));
}

void Context::prepareActs(int type, const float* x, int T, int K, Acts& a) {
  a.numTokens = T;
  a.K = K;
  if (is_float_type(type)) {
    a.f32 = x;
    return;
  }
  const bool qk = type == kQ4_K || type == kQ6_K;
  const int block = qk ? 256 : 32;
  // Rows T .. T + pad are zero: kernels that load whole tiles of tokens read them.
  const int pad = k_->actPadRows;
  const size_t rows = size_t(T) + pad;
  ActBuffers& buf = actBufs_[qk ? 1 : 0];
  int8_t* qs = buf.qs.get<int8_t>(rows * K + 32);  // kernels may read a half vector past the end
  float* d = buf.d.get<float>(rows * (K / block));
  int16_t* bs = qk ? buf.sums16.get<int16_t>(rows * (K / 16)) : nullptr;
  int32_t* sums = qk ? nullptr : buf.blockSums.get<int32_t>(rows * (K / 32));
  if (pad > 0) {
    std::memset(qs + size_t(T) * K, 0, size_t(pad) * K);
    std::memset(d + size_t(T) * (K / block), 0, size_t(pad) * (K / block) * sizeof(float));
    if (bs) std::memset(bs + size_t(T) * (K / 16), 0, size_t(pad) * (K / 16) * sizeof(int16_t));
    if (sums) std::memset(sums + size_t(T) * (K / 32), 0, size_t(pad) * (K / 32) * sizeof(int32_t));
  }
  const Kernels& k = *k_;
  auto quantizeRows = [&](int t0, int t1) {
    for (int t = t0; t < t1; t++) {
      if (qk) {
        k.quantize_q8_k(x + size_t(t) * K, K, qs + size_t(t) * K, d + size_t(t) * (K / 256), bs + size_t(t) * (K / 16));
      } else {
        k.quantize_q8_0(x + size_t(t) * K, K, qs + size_t(t) * K, d + size_t(t) * (K / 32), sums + size_t(t) * (K / 32));
      }
    }
  };
  if (size_t(T) * K < kParallelElems || T < 2) {
    quantizeRows(0, T);
  } else {
    const int chunk = ceil_div(T, numThreads() * 4);
    parallel(ceil_div(T, chunk), [&](int task, int) { quantizeRows(task * chunk, std::min(T, (task + 1) * chunk)); });
  }
  a.qs = qs;
  a.d = d;
  a.bsums = bs;
  a.sums = sums;
}

std::unique_ptr<PackedWeight> Context::pack(int type, const uint8_t* w, int rows, int cols) {
  const size_t bytes = k_->packed_bytes ? k_->packed_bytes(type, rows, cols) : 0;
  if (bytes == 0) return nullptr;
  auto p = std::make_unique<PackedWeight>();
  p->type = type;
  p->rows = rows;
  p->cols = cols;
  p->bytes = bytes;
  p->kernels = k_;
  p->data = static_cast<uint8_t*>(alloc_streamed(bytes));
  const size_t rowBytes = row_bytes(type, cols);
  const int numTiles = (rows + 15) / 16;
  const int perTask = std::max(1, numTiles / (numThreads() * 8));
  parallel(ceil_div(numTiles, perTask), [&](int task, int) {
    const int t0 = task * perTask;
    k_->pack(type, w, rowBytes, t0, std::min(numTiles, t0 + perTask), rows, cols, p->data);
  });
  return p;
}

void Context::matmul(int type, const uint8_t* w, int rows, int cols, const float* x, int T, float* out,
                     const PackedWeight* packed) {
  MatmulOperand m;
  m.type = type;
  m.w = w;
  m.rows = rows;
  m.out = out;
  m.packed = packed;
  matmulMany(&m, 1, cols, x, T);
}

MatmulSplit Context::splitMatmul(int type, int rows, int cols, int T) const {
  MatmulSplit s;
  // Token chunks whose activations stay in L2 while every weight row of the chunk meets them.
  const size_t actBytes = size_t(cols) * (is_float_type(type) ? 4 : 1);
  const size_t tableBytes = is_float_type(type) ? k_->floatChunkBytes : k_->actChunkBytes;
  const size_t chunkBytes = tableBytes ? tableBytes : kActChunkBytes;
  int tc = int(std::max<size_t>(1, chunkBytes / actBytes));
  if (tc >= 16 || k_->actPadRows) tc = std::max(16, tc / 16 * 16);  // tile kernels start tiles on multiples of 16
  s.tc = std::min(tc, T);
  s.numTc = ceil_div(T, s.tc);
  // Several row chunks per thread so uneven progress evens out; multiples of 16 rows keep the
  // kernels on their full-size tiles.
  const int nth = numThreads();
  int rc = nth == 1 ? rows : ceil_div(rows, nth * 8);
  s.rc = std::max(16, ceil_div(rc, 16) * 16);
  s.numRc = ceil_div(rows, s.rc);
  return s;
}

void Context::matmulMany(const MatmulOperand* ms, int numMs, int cols, const float* x, int T) {
  if (T == 0) return;
  // Activations converted once per format, then each matrix's tasks appended to one job.
  Acts acts[kNumActFormats];
  bool ready[kNumActFormats] = {};
  splits_.clear();
  int numTasks = 0;
  for (int i = 0; i < numMs; i++) {
    const MatmulOperand& m = ms[i];
    const MatmulFn fn = matmul_fn(*k_, m.type);
    if (m.rows == 0 || !fn) continue;  // unsupported types are rejected by the caller
    const int f = act_format(m.type);
    if (!ready[f]) prepareActs(m.type, x, T, cols, acts[f]);
    ready[f] = true;
    MatmulSplit s = splitMatmul(m.type, m.rows, cols, T);
    s.m = &m;
    s.fn = fn;
    s.acts = &acts[f];
    s.rowBytes = row_bytes(m.type, cols);
    s.firstTask = numTasks;
    numTasks += s.numTc * s.numRc;
    splits_.push_back(s);
  }
  if (numTasks == 0) return;
  parallel(numTasks, [&](int task, int) {
    // the matrix this task belongs to: a linear scan, calls hold a handful of matrices
    size_t i = 0;
    while (i + 1 < splits_.size() && task >= splits_[i + 1].firstTask) i++;
    const MatmulSplit& s = splits_[i];
    s.fn(*s.acts, taskOf(s, task - s.firstTask, T));
  });
}

MatmulTask Context::taskOf(const MatmulSplit& s, int local, int T) {
  const int ti = local / s.numRc, ri = local % s.numRc;
  MatmulTask t;
  t.w = s.m->w;
  t.rowBytes = s.rowBytes;
  t.r0 = ri * s.rc;
  t.r1 = std::min(s.m->rows, t.r0 + s.rc);
  t.t0 = ti * s.tc;
  t.t1 = std::min(T, t.t0 + s.tc);
  t.out = s.m->out;
  t.ldo = size_t(s.m->rows);
  t.packed = s.m->packed ? s.m->packed->data : nullptr;
  return t;
}

void Context::matmulSwiglu(const MatmulOperand& gate, const MatmulOperand& up, int cols, const float* x, int T) {
  const MatmulOperand ms[2] = {gate, up};
  // Gate and up of one type are split alike: each task multiplies the same rows and tokens of
  // both, then applies SwiGLU to that block while it is in cache. Otherwise: two matmuls, then SwiGLU.
  if (gate.type != up.type || gate.rows != up.rows) {
    matmulMany(ms, 2, cols, x, T);
    return swiglu(gate.out, up.out, size_t(T) * size_t(gate.rows));
  }
  const MatmulFn fn = matmul_fn(*k_, gate.type);
  if (T == 0 || gate.rows == 0 || !fn) return;  // unsupported types are rejected by the caller
  Acts acts;
  prepareActs(gate.type, x, T, cols, acts);
  MatmulSplit g = splitMatmul(gate.type, gate.rows, cols, T);
  g.fn = fn;
  g.acts = &acts;
  g.rowBytes = row_bytes(gate.type, cols);
  MatmulSplit u = g;
  g.m = &ms[0];
  u.m = &ms[1];
  parallel(g.numTc * g.numRc, [&](int task, int) {
    const MatmulTask tg = taskOf(g, task, T), tu = taskOf(u, task, T);
    fn(acts, tg);
    fn(acts, tu);
    for (int t = tg.t0; t < tg.t1; t++) {
      const size_t o = size_t(t) * tg.ldo + size_t(tg.r0);
      k_->swiglu(tg.out + o, tu.out + o, size_t(tg.r1 - tg.r0));
    }
  });
}

void Context::rmsNorm(const float* x, const float* w, int numRows, int dim, float eps, float* out) {
  auto rowsFn = [&](int r0, int r1) {
    for (int r = r0; r < r1; r++) k_->rms_norm(x + size_t(r) * dim, w, dim, eps, out + size_t(r) * dim);
  };
  if (size_t(numRows) * dim < kParallelElems || numRows < 2) return rowsFn(0, numRows);
  const int chunk = ceil_div(numRows, numThreads() * 4);
  parallel(ceil_div(numRows, chunk), [&](int task, int) { rowsFn(task * chunk, std::min(numRows, (task + 1) * chunk)); });
}

void Context::rope(float* x, const int32_t* positions, int T, int numHeads, int headDim, int ropeDim, bool neox,
                   RopeTable& table) {
  int maxPos = 0;
  for (int t = 0; t < T; t++) maxPos = std::max(maxPos, positions[t]);
  table.ensure(maxPos + 1);
  const size_t stride = size_t(numHeads) * headDim;
  auto tokens = [&](int t0, int t1) {
    for (int t = t0; t < t1; t++) k_->rope(x + t * stride, numHeads, headDim, ropeDim, neox, table.row(positions[t]));
  };
  if (size_t(T) * stride < kParallelElems || T < 2) return tokens(0, T);
  const int chunk = ceil_div(T, numThreads() * 4);
  parallel(ceil_div(T, chunk), [&](int task, int) { tokens(task * chunk, std::min(T, (task + 1) * chunk)); });
}

void Context::swiglu(float* gate, const float* up, size_t n) {
  if (n < kParallelElems) return k_->swiglu(gate, up, n);
  const size_t chunk = (n / size_t(numThreads() * 4) + 63) / 64 * 64;
  parallel(int((n + chunk - 1) / chunk), [&](int task, int) {
    const size_t b = size_t(task) * chunk;
    k_->swiglu(gate + b, up + b, std::min(chunk, n - b));
  });
}

void Context::add(float* a, const float* b, size_t n) {
  if (n < kParallelElems) return k_->add(a, b, n);
  const size_t chunk = (n / size_t(numThreads() * 4) + 63) / 64 * 64;
  parallel(int((n + chunk - 1) / chunk), [&](int task, int) {
    const size_t o = size_t(task) * chunk;
    k_->add(a + o, b + o, std::min(chunk, n - o));
  });
}

void Context::addBias(float* x, const float* bias, int numRows, int n) {
  for (int r = 0; r < numRows; r++) k_->add(x + size_t(r) * n, bias, size_t(n));
}

void Context::softmax(float* x, int numRows, int n) {
  for (int r = 0; r < numRows; r++) k_->softmax(x + size_t(r) * n, n);
}

void Context::writeKv(const KvLayout& kv, uint8_t* base, int layer, const float* k, const float* v,
                      const int32_t* slots, int T) {
  const int kvDim = kv.kvDim();
  const int hd = kv.headDim;
  const int bs = kv.blockSize;
  const size_t rowBytes = kv.rowBytes();
  uint8_t* kPlane = base + kv.planeOffset(layer, 0);
  uint8_t* vPlane = base + kv.planeOffset(layer, 1);
  uint16_t* kHalf = reinterpret_cast<uint16_t*>(kPlane);
  float* kFloat = reinterpret_cast<float*>(kPlane);
  const size_t vHeadBytes = size_t(hd) * kv.elemBytes();
  // One task per KV head (a prompt's keys of one head are independent of the others'). K goes in
  // transposed, (block, head, d, offset): tokens whose slots run on within one block (a prompt
  // chunk) are converted into a small (run x headDim) buffer first, so each d gets one contiguous
  // store of the run instead of one scattered store per token.
  auto writeHead = [&](int h, int thread) {
    uint16_t* half = threadScratch_[size_t(thread)].get<uint16_t>(size_t(bs) * hd + 32);
    for (int t = 0; t < T;) {
      const size_t slot = size_t(slots[t]);
      const size_t block = slot / size_t(bs);
      const int offset = int(slot % size_t(bs));
      int run = 1;
      while (t + run < T && offset + run < bs && size_t(slots[t + run]) == slot + size_t(run)) run++;
      const size_t first = kv.kIndex(block, h, 0, offset);
      if (kv.f16) {
        for (int r = 0; r < run; r++) k_->f32_to_f16(k + size_t(t + r) * kvDim + size_t(h) * hd, half + size_t(r) * hd, size_t(hd));
        for (int d = 0; d < hd; d++) {
          uint16_t* dst = kHalf + first + size_t(d) * bs;
          for (int r = 0; r < run; r++) dst[r] = half[size_t(r) * hd + d];
        }
      } else {
        for (int d = 0; d < hd; d++) {
          float* dst = kFloat + first + size_t(d) * bs;
          for (int r = 0; r < run; r++) dst[r] = k[size_t(t + r) * kvDim + size_t(h) * hd + d];
        }
      }
      for (int r = 0; r < run; r++) {
        const float* vs = v + size_t(t + r) * kvDim + size_t(h) * hd;
        uint8_t* vd = vPlane + size_t(slots[t + r]) * rowBytes + size_t(h) * vHeadBytes;
        if (kv.f16) k_->f32_to_f16(vs, reinterpret_cast<uint16_t*>(vd), size_t(hd));
        else std::memcpy(vd, vs, vHeadBytes);
      }
      t += run;
    }
  };
  // A decode step's few tokens are not worth waking the pool for.
  if (T < 16 || kv.numKvHeads == 1) {
    for (int h = 0; h < kv.numKvHeads; h++) writeHead(h, 0);
  } else {
    parallel(kv.numKvHeads, [&](int h, int thread) { writeHead(h, thread); });
  }
}

void Context::attention(const KvLayout& kv, const uint8_t* base, int layer, const float* q, int numHeads,
                        const SeqDesc* seqs, int numSeqs, float scale, float* out) {
  const int hd = kv.headDim;
  const int bs = kv.blockSize;
  const int group = numHeads / kv.numKvHeads;
  const uint8_t* kPlane = base + kv.planeOffset(layer, 0);
  const uint8_t* vPlane = base + kv.planeOffset(layer, 1);
  struct Unit {
    int seq, kvHead, first, count;
  };
  std::vector<Unit> units;
  for (int s = 0; s < numSeqs; s++)
    for (int c = 0; c < seqs[s].numTokens; c += kAttnQueryChunk)
      for (int g = 0; g < kv.numKvHeads; g++)
        units.push_back({s, g, c, std::min(kAttnQueryChunk, seqs[s].numTokens - c)});
  // Longest contexts first: they are the slowest tasks.
  std::stable_sort(units.begin(), units.end(), [&](const Unit& a, const Unit& b) {
    return seqs[a.seq].numCachedTokens + a.first + a.count > seqs[b.seq].numCachedTokens + b.first + b.count;
  });
  const size_t headBlockElems = size_t(hd) * bs;  // one head's keys of one block
  parallel(int(units.size()), [&](int task, int thread) {
    const Unit& u = units[size_t(task)];
    const SeqDesc& s = seqs[u.seq];
    const int ctx = s.numCachedTokens + u.first + u.count;  // keys 0 .. ctx-1
    const int nb = (ctx + bs - 1) / bs;
    const uint16_t* kHalf = reinterpret_cast<const uint16_t*>(kPlane);
    const uint16_t* vHalf = reinterpret_cast<const uint16_t*>(vPlane);
    AttnTask t;
    t.q = q;
    t.out = out;
    t.numHeads = numHeads;
    t.headDim = hd;
    t.headBegin = u.kvHead * group;
    t.headEnd = t.headBegin + group;
    t.scale = scale;
    t.blockSize = bs;
    t.row0 = s.tokenStart + u.first;
    t.pos0 = s.numCachedTokens + u.first;
    t.numRows = u.count;
    // Points t at the unit's blocks: in place (f32 cache; f16 cache when `inPlace16`), or for an
    // f16 cache converted to f32 in this thread's scratch. Scratch: block pointers, scores, copies.
    auto setBlocks = [&](bool inPlace16) {
      const bool copy = kv.f16 && !inPlace16;
      const size_t ptrFloats = size_t(nb) * 2 * sizeof(void*) / sizeof(float);
      const size_t scoreFloats = size_t(kAttnScoreRows) * nb * bs;
      const size_t convElems = copy ? size_t(nb) * (headBlockElems * 2) : 0;
      float* scratch = threadScratch_[size_t(thread)].get<float>(ptrFloats + scoreFloats + convElems + 16);
      const float** kBlocks = reinterpret_cast<const float**>(scratch);
      const float** vBlocks = kBlocks + nb;
      const uint16_t** kBlocks16 = reinterpret_cast<const uint16_t**>(kBlocks);
      const uint16_t** vBlocks16 = reinterpret_cast<const uint16_t**>(vBlocks);
      float* conv = scratch + ptrFloats + scoreFloats;
      for (int b = 0; b < nb; b++) {
        const size_t block = size_t(s.blockTable[b]);
        const size_t kOff = kv.kIndex(block, u.kvHead, 0, 0);
        const size_t vOff = block * bs * kv.kvDim() + size_t(u.kvHead) * hd;  // element index of row 0
        if (inPlace16) {
          kBlocks16[b] = kHalf + kOff;
          vBlocks16[b] = vHalf + vOff;
        } else if (copy) {
          float* kc = conv + size_t(b) * 2 * headBlockElems;
          float* vc = kc + headBlockElems;
          k_->f16_to_f32(kHalf + kOff, kc, headBlockElems);
          const int rows = std::min(bs, ctx - b * bs);
          for (int o = 0; o < rows; o++) k_->f16_to_f32(vHalf + vOff + size_t(o) * kv.kvDim(), vc + size_t(o) * hd, size_t(hd));
          kBlocks[b] = kc;
          vBlocks[b] = vc;
        } else {
          kBlocks[b] = reinterpret_cast<const float*>(kPlane) + kOff;
          vBlocks[b] = reinterpret_cast<const float*>(vPlane) + vOff;
        }
      }
      t.kBlocks = inPlace16 ? nullptr : kBlocks;
      t.vBlocks = inPlace16 ? nullptr : vBlocks;
      t.kBlocks16 = inPlace16 ? kBlocks16 : nullptr;
      t.vBlocks16 = inPlace16 ? vBlocks16 : nullptr;
      t.vStride = copy ? size_t(hd) : size_t(kv.kvDim());
      t.scores = scratch + ptrFloats;
    };
    // A few queries (decode) read an f16 cache in place when the kernels can (bit for bit the
    // same results); more queries convert its blocks once for all of them.
    if (kv.f16 && k_->attend_f16 && u.count * group <= kAttnDirectQueries) {
      setBlocks(true);
      if (k_->attend_f16(t)) return;
    }
    setBlocks(false);
    k_->attend(t);
  });
}

}  // namespace flt

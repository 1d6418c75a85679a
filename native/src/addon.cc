// N-API surface of the native backend (see src/engine/backend/native/addon.ts for its types).
// Every call is synchronous. Arguments are checked here, before any pointer is used: a bad
// length or block id throws a JavaScript error instead of reading out of bounds.
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "huge_pages.h"
#include "cpu.h"
#include "dequant.h"
#include "ggml_blocks.h"
#include "ops.h"
#include "quantize.h"

namespace flt {
namespace {

[[noreturn]] void fail(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

template <class T>
struct Span {
  T* data;
  size_t length;
};

template <class T, napi_typedarray_type Kind>
Span<T> typed(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsTypedArray()) fail(env, std::string(what) + ": expected a typed array");
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != Kind) fail(env, std::string(what) + ": wrong typed array type");
  auto* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return {reinterpret_cast<T*>(base), ta.ElementLength()};
}

Span<float> f32(const Napi::CallbackInfo& info, size_t i, const char* what) { return typed<float, napi_float32_array>(info, i, what); }
Span<const uint8_t> u8(const Napi::CallbackInfo& info, size_t i, const char* what) {
  auto s = typed<uint8_t, napi_uint8_array>(info, i, what);
  return {s.data, s.length};
}
Span<int32_t> i32(const Napi::CallbackInfo& info, size_t i, const char* what) { return typed<int32_t, napi_int32_array>(info, i, what); }

int64_t integer(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t lo, int64_t hi) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsNumber()) fail(env, std::string(what) + ": expected a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= double(lo) && v <= double(hi)) || v != std::floor(v))
    fail(env, std::string(what) + ": " + std::to_string(v) + " is not an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return int64_t(v);
}

double number(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (i >= info.Length() || !info[i].IsNumber()) fail(info.Env(), std::string(what) + ": expected a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

void need(Napi::Env env, size_t have, size_t want, const char* what) {
  if (have < want) fail(env, std::string(what) + ": " + std::to_string(have) + " elements, need " + std::to_string(want));
}

constexpr int64_t kMaxDim = int64_t(1) << 30;

class RopeTableWrap : public Napi::ObjectWrap<RopeTableWrap> {
 public:
  static Napi::Function Init(Napi::Env env) { return DefineClass(env, "RopeTable", {}); }
  explicit RopeTableWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RopeTableWrap>(info), table_({}) {
    auto inv = typed<double, napi_float64_array>(info, 0, "invFreq");
    table_ = RopeTable(std::vector<double>(inv.data, inv.data + inv.length));
  }
  RopeTable& table() { return table_; }

 private:
  RopeTable table_;
};

// Weights packed by a context's kernel table (NativeContext.prepare); memory owned here.
class PackedWeightWrap : public Napi::ObjectWrap<PackedWeightWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "PackedWeight", {InstanceAccessor<&PackedWeightWrap::ByteSize>("byteSize")});
  }
  // constructed from C++ only: new PackedWeight(External<PackedWeight>)
  explicit PackedWeightWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PackedWeightWrap>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) fail(info.Env(), "PackedWeight is made by NativeContext.prepare");
    packed_.reset(info[0].As<Napi::External<PackedWeight>>().Data());
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), int64_t(packed_->bytes));
  }
  void Finalize(Napi::Env env) override {
    if (packed_) Napi::MemoryManagement::AdjustExternalMemory(env, -int64_t(packed_->bytes));
  }
  const PackedWeight& packed() const { return *packed_; }

 private:
  Napi::Value ByteSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(packed_->bytes)); }
  std::unique_ptr<PackedWeight> packed_;
};

struct AddonData {
  Napi::FunctionReference ropeTable;
  Napi::FunctionReference packedWeight;
};

// kvLayout = Int32Array [numLayers, numBlocks, blockSize, numKvHeads, headDim, f16 ? 1 : 0]
KvLayout kv_layout(const Napi::CallbackInfo& info, size_t i) {
  auto l = i32(info, i, "kvLayout");
  need(info.Env(), l.length, 6, "kvLayout");
  KvLayout k;
  k.numLayers = l.data[0];
  k.numBlocks = l.data[1];
  k.blockSize = l.data[2];
  k.numKvHeads = l.data[3];
  k.headDim = l.data[4];
  k.f16 = l.data[5] != 0;
  if (k.numLayers <= 0 || k.numBlocks <= 0 || k.blockSize <= 0 || k.numKvHeads <= 0 || k.headDim <= 0)
    fail(info.Env(), "kvLayout: dimensions must be positive");
  return k;
}

uint8_t* kv_base(const Napi::CallbackInfo& info, size_t i, const KvLayout& k) {
  if (i >= info.Length() || !info[i].IsArrayBuffer()) fail(info.Env(), "kv: expected an ArrayBuffer");
  Napi::ArrayBuffer b = info[i].As<Napi::ArrayBuffer>();
  if (b.ByteLength() < k.totalBytes()) fail(info.Env(), "kv: buffer smaller than its layout");
  return static_cast<uint8_t*>(b.Data());
}

class ContextWrap : public Napi::ObjectWrap<ContextWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeContext",
                       {
                           InstanceAccessor<&ContextWrap::Isa>("isa"),
                           InstanceAccessor<&ContextWrap::Threads>("threads"),
                           InstanceMethod<&ContextWrap::Prepare>("prepare"),
                           InstanceMethod<&ContextWrap::Matmul>("matmul"),
                           InstanceMethod<&ContextWrap::MatmulMany>("matmulMany"),
                           InstanceMethod<&ContextWrap::MatmulSwiglu>("matmulSwiglu"),
                           InstanceMethod<&ContextWrap::Embed>("embed"),
                           InstanceMethod<&ContextWrap::RmsNorm>("rmsNorm"),
                           InstanceMethod<&ContextWrap::Rope>("rope"),
                           InstanceMethod<&ContextWrap::Swiglu>("swiglu"),
                           InstanceMethod<&ContextWrap::AddBias>("addBias"),
                           InstanceMethod<&ContextWrap::Add>("add"),
                           InstanceMethod<&ContextWrap::Softmax>("softmax"),
                           InstanceMethod<&ContextWrap::WriteKv>("writeKv"),
                           InstanceMethod<&ContextWrap::Attention>("attention"),
                           InstanceMethod<&ContextWrap::CopyBlocks>("copyBlocks"),
                       });
  }

  // new NativeContext(threads, isaCap)  (isaCap "" = best available)
  explicit ContextWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ContextWrap>(info) {
    const int threads = int(integer(info, 0, "threads", 1, 1024));
    const std::string cap = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    const Kernels* k = select_kernels(cap);
    if (!k) fail(info.Env(), "unknown instruction set '" + cap + "' (known: scalar, avx2, avx512, avx512vnni, amx)");
    ctx_ = std::make_unique<Context>(k, threads);
  }

 private:
  Napi::Value Isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ctx_->kernels().isa); }
  Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ctx_->numThreads()); }

  // prepare(type, w, rows, cols): the weights packed for this context's kernels, or null
  Napi::Value Prepare(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int type = int(integer(info, 0, "type", 0, 1 << 20));
    auto w = u8(info, 1, "w");
    const int rows = int(integer(info, 2, "rows", 0, kMaxDim));
    const int cols = int(integer(info, 3, "cols", 0, kMaxDim));
    const size_t rb = row_bytes(type, cols);
    if (rb == 0 || rows == 0) return env.Null();
    need(env, w.length, rb * size_t(rows), "prepare weights (bytes)");
    std::unique_ptr<PackedWeight> p = ctx_->pack(type, w.data, rows, cols);
    if (!p) return env.Null();
    auto* data = env.GetInstanceData<AddonData>();
    return data->packedWeight.New({Napi::External<PackedWeight>::New(env, p.release())});
  }

  // Argument positions of one matrix of a matmul call.
  struct OperandArgs {
    size_t type, w, rows, out, prepared;
  };

  // One matrix of a matmul call, checked against the input's shape (cols, T): weight type,
  // weights (bytes), rows, out (T x rows) and the optional prepared weights.
  MatmulOperand operand(const Napi::CallbackInfo& info, OperandArgs at, int cols, int T) {
    Napi::Env env = info.Env();
    MatmulOperand m;
    m.type = int(integer(info, at.type, "type", 0, 1 << 20));
    auto w = u8(info, at.w, "w");
    m.rows = int(integer(info, at.rows, "rows", 0, kMaxDim));
    auto out = f32(info, at.out, "out");
    const size_t rb = row_bytes(m.type, cols);
    if (rb == 0 && cols != 0) fail(env, "matmul: unsupported weight type " + std::to_string(m.type) + " or bad row length " + std::to_string(cols));
    need(env, w.length, rb * size_t(m.rows), "matmul weights (bytes)");
    need(env, out.length, size_t(T) * m.rows, "matmul out");
    m.w = w.data;
    m.out = out.data;
    if (info.Length() > at.prepared && info[at.prepared].IsObject()) {
      Napi::Object o = info[at.prepared].As<Napi::Object>();
      if (o.InstanceOf(env.GetInstanceData<AddonData>()->packedWeight.Value())) {
        m.packed = &PackedWeightWrap::Unwrap(o)->packed();
        if (m.packed->type != m.type || m.packed->rows != m.rows || m.packed->cols != cols || m.packed->kernels != &ctx_->kernels())
          fail(env, "matmul: the prepared weights belong to another matrix or instruction set");
      }
    }
    return m;
  }

  // matmul(type, w, rows, cols, x, numTokens, out, prepared?)
  void Matmul(const Napi::CallbackInfo& info) {
    const int cols = int(integer(info, 3, "cols", 0, kMaxDim));
    auto x = f32(info, 4, "x");
    const int T = int(integer(info, 5, "numTokens", 0, kMaxDim));
    need(info.Env(), x.length, size_t(T) * cols, "matmul x");
    const MatmulOperand m = operand(info, {0, 1, 2, 6, 7}, cols, T);
    ctx_->matmulMany(&m, 1, cols, x.data, T);
  }

  // The matrices of a matmulMany / matmulSwiglu call: (cols, x, numTokens, then per matrix: type,
  // w, rows, out, prepared or undefined), into operands_. Outputs may not overlap each other or x:
  // every matrix reads x while the others' outputs are written.
  void operands(const Napi::CallbackInfo& info, const char* what, int& cols, Span<float>& x, int& T) {
    Napi::Env env = info.Env();
    cols = int(integer(info, 0, "cols", 0, kMaxDim));
    x = f32(info, 1, "x");
    T = int(integer(info, 2, "numTokens", 0, kMaxDim));
    need(env, x.length, size_t(T) * cols, (std::string(what) + " x").c_str());
    if (info.Length() < 3 || (info.Length() - 3) % 5) fail(env, std::string(what) + ": expected 5 arguments per matrix after numTokens");
    const size_t n = (info.Length() - 3) / 5;
    std::vector<MatmulOperand>& ms = operands_;
    ms.clear();
    for (size_t i = 0; i < n; i++) {
      const size_t b = 3 + 5 * i;
      ms.push_back(operand(info, {b, b + 1, b + 2, b + 3, b + 4}, cols, T));
    }
    // [begin, end) addresses; empty ranges meet nothing
    using Range = std::pair<uintptr_t, uintptr_t>;
    auto range = [](const float* p, size_t elems) { return Range(uintptr_t(p), uintptr_t(p + elems)); };
    auto meet = [](Range a, Range b) { return a.first < a.second && b.first < b.second && a.first < b.second && b.first < a.second; };
    const Range xr = range(x.data, size_t(T) * cols);
    for (size_t i = 0; i < n; i++) {
      const Range a = range(ms[i].out, size_t(T) * ms[i].rows);
      if (meet(a, xr)) fail(env, std::string(what) + ": output " + std::to_string(i) + " overlaps x");
      for (size_t j = 0; j < i; j++)
        if (meet(a, range(ms[j].out, size_t(T) * ms[j].rows)))
          fail(env, std::string(what) + ": outputs " + std::to_string(j) + " and " + std::to_string(i) + " overlap");
    }
  }

  // matmulMany(cols, x, numTokens, then per matrix: type, w, rows, out, prepared): the matmuls of
  // one input in one call (Context::matmulMany)
  void MatmulMany(const Napi::CallbackInfo& info) {
    int cols, T;
    Span<float> x;
    operands(info, "matmulMany", cols, x, T);
    ctx_->matmulMany(operands_.data(), int(operands_.size()), cols, x.data, T);
  }

  // matmulSwiglu(cols, x, numTokens, gate's type, w, rows, out, prepared, up's the same):
  // gate's out = silu(x . gate^T) * (x . up^T), up's out = x . up^T (Context::matmulSwiglu)
  void MatmulSwiglu(const Napi::CallbackInfo& info) {
    int cols, T;
    Span<float> x;
    operands(info, "matmulSwiglu", cols, x, T);
    if (operands_.size() != 2) fail(info.Env(), "matmulSwiglu: expected two matrices (gate, up)");
    if (operands_[0].rows != operands_[1].rows) fail(info.Env(), "matmulSwiglu: gate and up have different row counts");
    ctx_->matmulSwiglu(operands_[0], operands_[1], cols, x.data, T);
  }

  // embed(type, w, rows, cols, tokens, out)
  void Embed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int type = int(integer(info, 0, "type", 0, 1 << 20));
    auto w = u8(info, 1, "w");
    const int rows = int(integer(info, 2, "rows", 0, kMaxDim));
    const int cols = int(integer(info, 3, "cols", 0, kMaxDim));
    auto tokens = i32(info, 4, "tokens");
    auto out = f32(info, 5, "out");
    const size_t rb = row_bytes(type, cols);
    if (rb == 0) fail(env, "embed: unsupported weight type " + std::to_string(type));
    need(env, w.length, rb * size_t(rows), "embed weights (bytes)");
    need(env, out.length, tokens.length * size_t(cols), "embed out");
    for (size_t i = 0; i < tokens.length; i++) {
      const int id = tokens.data[i];
      if (id < 0 || id >= rows) fail(env, "token id " + std::to_string(id) + " outside the vocabulary (0.." + std::to_string(rows - 1) + ")");
      dequantize_row(type, w.data + size_t(id) * rb, out.data + i * size_t(cols), cols);
    }
  }

  // rmsNorm(x, weight, numRows, dim, eps, out)
  void RmsNorm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto x = f32(info, 0, "x");
    auto w = f32(info, 1, "weight");
    const int rows = int(integer(info, 2, "numRows", 0, kMaxDim));
    const int dim = int(integer(info, 3, "dim", 1, kMaxDim));
    const float eps = float(number(info, 4, "eps"));
    auto out = f32(info, 5, "out");
    need(env, x.length, size_t(rows) * dim, "rmsNorm x");
    need(env, w.length, size_t(dim), "rmsNorm weight");
    need(env, out.length, size_t(rows) * dim, "rmsNorm out");
    ctx_->rmsNorm(x.data, w.data, rows, dim, eps, out.data);
  }

  // rope(x, positions, numHeads, headDim, ropeDim, neox, table)
  void Rope(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto x = f32(info, 0, "x");
    auto pos = i32(info, 1, "positions");
    const int heads = int(integer(info, 2, "numHeads", 1, kMaxDim));
    const int hd = int(integer(info, 3, "headDim", 1, kMaxDim));
    const int ropeDim = int(integer(info, 4, "ropeDim", 0, hd));
    const bool neox = info[5].ToBoolean();
    if (info.Length() < 7 || !info[6].IsObject()) fail(env, "rope: expected a RopeTable");
    auto* data = env.GetInstanceData<AddonData>();
    Napi::Object tableObj = info[6].As<Napi::Object>();
    if (!tableObj.InstanceOf(data->ropeTable.Value())) fail(env, "rope: expected a RopeTable");
    RopeTable& table = RopeTableWrap::Unwrap(tableObj)->table();
    if (ropeDim % 2 || table.half() != ropeDim / 2) fail(env, "rope: table has " + std::to_string(table.half()) + " frequencies, ropeDim is " + std::to_string(ropeDim));
    const int T = int(pos.length);
    need(env, x.length, size_t(T) * heads * hd, "rope x");
    for (int t = 0; t < T; t++)
      if (pos.data[t] < 0) fail(env, "rope: negative position");
    ctx_->rope(x.data, pos.data, T, heads, hd, ropeDim, neox, table);
  }

  // swiglu(gate, up, n)
  void Swiglu(const Napi::CallbackInfo& info) {
    auto g = f32(info, 0, "gate");
    auto u = f32(info, 1, "up");
    const size_t n = size_t(integer(info, 2, "n", 0, int64_t(1) << 40));
    need(info.Env(), g.length, n, "swiglu gate");
    need(info.Env(), u.length, n, "swiglu up");
    ctx_->swiglu(g.data, u.data, n);
  }

  // addBias(x, bias, numRows)
  void AddBias(const Napi::CallbackInfo& info) {
    auto x = f32(info, 0, "x");
    auto b = f32(info, 1, "bias");
    const int rows = int(integer(info, 2, "numRows", 0, kMaxDim));
    need(info.Env(), x.length, size_t(rows) * b.length, "addBias x");
    ctx_->addBias(x.data, b.data, rows, int(b.length));
  }

  // add(a, b, n)
  void Add(const Napi::CallbackInfo& info) {
    auto a = f32(info, 0, "a");
    auto b = f32(info, 1, "b");
    const size_t n = size_t(integer(info, 2, "n", 0, int64_t(1) << 40));
    need(info.Env(), a.length, n, "add a");
    need(info.Env(), b.length, n, "add b");
    ctx_->add(a.data, b.data, n);
  }

  // softmax(x, numRows, n): each row in place
  void Softmax(const Napi::CallbackInfo& info) {
    auto x = f32(info, 0, "x");
    const int rows = int(integer(info, 1, "numRows", 0, kMaxDim));
    const int n = int(integer(info, 2, "n", 1, kMaxDim));
    need(info.Env(), x.length, size_t(rows) * n, "softmax x");
    ctx_->softmax(x.data, rows, n);
  }

  // writeKv(kv, kvLayout, layer, k, v, slots)
  void WriteKv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const KvLayout layout = kv_layout(info, 1);
    uint8_t* base = kv_base(info, 0, layout);
    const int layer = int(integer(info, 2, "layer", 0, layout.numLayers - 1));
    auto k = f32(info, 3, "k");
    auto v = f32(info, 4, "v");
    auto slots = i32(info, 5, "slots");
    const size_t T = slots.length;
    need(env, k.length, T * layout.kvDim(), "writeKv k");
    need(env, v.length, T * layout.kvDim(), "writeKv v");
    const int64_t numSlots = int64_t(layout.numSlots());
    for (size_t t = 0; t < T; t++)
      if (slots.data[t] < 0 || slots.data[t] >= numSlots) fail(env, "writeKv: slot " + std::to_string(slots.data[t]) + " outside the cache");
    ctx_->writeKv(layout, base, layer, k.data, v.data, slots.data, int(T));
  }

  // attention(kv, kvLayout, layer, q, numHeads, seqs, blockTables, scale, out)
  // seqs = Int32Array of [tokenStart, numTokens, numCachedTokens, blockTableOffset, blockTableLength] per sequence
  void Attention(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const KvLayout layout = kv_layout(info, 1);
    const uint8_t* base = kv_base(info, 0, layout);
    const int layer = int(integer(info, 2, "layer", 0, layout.numLayers - 1));
    auto q = f32(info, 3, "q");
    const int heads = int(integer(info, 4, "numHeads", 1, kMaxDim));
    auto seqInfo = i32(info, 5, "seqs");
    auto tables = i32(info, 6, "blockTables");
    const float scale = float(number(info, 7, "scale"));
    auto out = f32(info, 8, "out");
    if (heads % layout.numKvHeads) fail(env, "attention: numHeads must be a multiple of numKvHeads");
    if (seqInfo.length % 5) fail(env, "attention: seqs must hold 5 numbers per sequence");
    const int numSeqs = int(seqInfo.length / 5);
    std::vector<SeqDesc> seqs(static_cast<size_t>(numSeqs));
    size_t numTokens = 0;
    const size_t rowElems = size_t(heads) * layout.headDim;
    for (int s = 0; s < numSeqs; s++) {
      const int32_t* d = seqInfo.data + 5 * s;
      const int64_t start = d[0], n = d[1], cached = d[2], off = d[3], len = d[4];
      if (start < 0 || n < 0 || cached < 0 || off < 0 || len < 0 || size_t(off + len) > tables.length)
        fail(env, "attention: bad sequence " + std::to_string(s));
      const int64_t ctx = cached + n;
      if ((ctx + layout.blockSize - 1) / layout.blockSize > len) fail(env, "attention: block table too short for sequence " + std::to_string(s));
      for (int64_t b = 0; b < (ctx + layout.blockSize - 1) / layout.blockSize; b++) {
        const int32_t id = tables.data[off + b];
        if (id < 0 || id >= layout.numBlocks) fail(env, "attention: block id " + std::to_string(id) + " outside the cache");
      }
      numTokens = std::max(numTokens, size_t(start + n));
      seqs[size_t(s)] = {int(start), int(n), int(cached), tables.data + off};
    }
    need(env, q.length, numTokens * rowElems, "attention q");
    need(env, out.length, numTokens * rowElems, "attention out");
    ctx_->attention(layout, base, layer, q.data, heads, seqs.data(), numSeqs, scale, out.data);
  }

  // copyBlocks(kv, kvLayout, pairs): pairs = Int32Array [src0, dst0, src1, dst1, ...]
  void CopyBlocks(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const KvLayout layout = kv_layout(info, 1);
    uint8_t* base = kv_base(info, 0, layout);
    auto pairs = i32(info, 2, "pairs");
    if (pairs.length % 2) fail(env, "copyBlocks: pairs must have an even length");
    for (size_t i = 0; i < pairs.length; i++)
      if (pairs.data[i] < 0 || pairs.data[i] >= layout.numBlocks) fail(env, "copyBlocks: block id " + std::to_string(pairs.data[i]) + " outside the cache");
    const size_t blockBytes = size_t(layout.blockSize) * layout.rowBytes();
    for (int l = 0; l < layout.numLayers; l++)
      for (int which = 0; which < 2; which++) {
        uint8_t* plane = base + layout.planeOffset(l, which);
        for (size_t i = 0; i < pairs.length; i += 2)
          std::memmove(plane + size_t(pairs.data[i + 1]) * blockBytes, plane + size_t(pairs.data[i]) * blockBytes, blockBytes);
      }
  }

  std::unique_ptr<Context> ctx_;
  std::vector<MatmulOperand> operands_;  // matmulMany's / matmulSwiglu's, reused between calls
};

Napi::Value SupportedIsas(const Napi::CallbackInfo& info) {
  const auto names = supported_isas();
  Napi::Array out = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); i++) out.Set(uint32_t(i), Napi::String::New(info.Env(), names[i]));
  return out;
}

// quantize(type, src: Float32Array, dst: Uint8Array): the reference quantizer, ported (Q4_K).
void Quantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int type = int(integer(info, 0, "type", 0, 1 << 20));
  auto src = f32(info, 1, "src");
  auto dst = typed<uint8_t, napi_uint8_array>(info, 2, "dst");
  if (type != kQ4_K) fail(env, "quantize: only Q4_K is implemented natively");
  if (src.length % 256) fail(env, "quantize: Q4_K needs a multiple of 256 values");
  need(env, dst.length, src.length / 256 * kQ4_KBytes, "quantize dst (bytes)");
  quantize_q4_k(src.data, src.length, dst.data);
}

// allocStreamed(bytes): an ArrayBuffer (contents undefined) in memory meant for weights
// (huge_pages.h), freed when the buffer is collected.
Napi::Value AllocStreamed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t bytes = size_t(integer(info, 0, "bytes", 0, int64_t(1) << 46));
  void* p = alloc_streamed(bytes);
  Napi::MemoryManagement::AdjustExternalMemory(env, int64_t(bytes));
  return Napi::ArrayBuffer::New(env, p, bytes, [](Napi::Env e, void* data, size_t* n) {
    Napi::MemoryManagement::AdjustExternalMemory(e, -int64_t(*n));
    delete n;
    std::free(data);
  }, new size_t(bytes));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function rope = RopeTableWrap::Init(env);
  data->ropeTable = Napi::Persistent(rope);
  Napi::Function packed = PackedWeightWrap::Init(env);
  data->packedWeight = Napi::Persistent(packed);
  env.SetInstanceData(data);
  exports.Set("NativeContext", ContextWrap::Init(env));
  exports.Set("RopeTable", rope);
  exports.Set("PackedWeight", packed);
  exports.Set("supportedIsas", Napi::Function::New(env, SupportedIsas));
  exports.Set("quantize", Napi::Function::New(env, Quantize));
  exports.Set("allocStreamed", Napi::Function::New(env, AllocStreamed));
  return exports;
}

}  // namespace
}  // namespace flt

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return flt::Init(env, exports); }

NODE_API_MODULE(flotilla_native, InitModule)

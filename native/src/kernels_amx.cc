// AMX (Advanced Matrix Extensions, int8 tiles) matmuls for Q8_0, Q4_0 and Q4_K weights; every
// other kernel is the AVX512-VNNI table's. (F16 / BF16 stay on f32 FMA: exact bf16-split tile
// products made prefill ~1.5x faster but one-token calls ~3x slower, and one arithmetic must
// serve every token count.) Compiled with -mamx-tile -mamx-int8 and the AVX-512
// flags; used only when the CPU has AMX-INT8 and the kernel lets this process use tile data.
//
// Weights are repacked on the fly, 16 rows at a time, into the tile layout (per block of 32:
// 8 rows of 16 rows x 4 bytes) in a per-thread scratch buffer, so no second copy of the model is
// kept. One tile product gives 16 tokens x 16 rows of exact int32 block sums; AVX-512 then scales
// them into f32 accumulators whose lane n is weight row n.
//
// Batch invariance: each output is acc = fma(dw * dx, float(blockSum), acc) over blocks in order
// (Q4_K: per super-block, the exact integer sums over its sub-blocks), the same for every token
// count, 1 included: these kernels serve every call, decode and prefill alike.
#include <immintrin.h>

#include <cstdlib>
#include <cstring>

#include "ggml_blocks.h"
#include "kernels.h"

namespace flt {
namespace {

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// tiles 0, 1: C (16 tokens x 16 int32); 2, 3: A (16 tokens x 32 bytes); 4, 5: B (8 x 64 bytes)
static void configure_tiles() {
  TileConfig cfg;
  for (int i = 0; i < 2; i++) {
    cfg.rows[i] = 16;  // C
    cfg.colsb[i] = 64;
    cfg.rows[2 + i] = 16;  // A
    cfg.colsb[2 + i] = 32;
    cfg.rows[4 + i] = 8;  // B
    cfg.colsb[4 + i] = 64;
  }
  _tile_loadconfig(&cfg);
}

// Per-thread scratch for repacked weights (internal linkage: no inline code shared with other
// translation units, which are compiled for other instruction sets).
struct Scratch {
  void* data = nullptr;
  size_t size = 0;
  ~Scratch() { std::free(data); }
  void* get(size_t bytes) {
    if (bytes > size) {
      std::free(data);
      size = (bytes + 4095) / 4096 * 4096;
      data = std::aligned_alloc(64, size);
    }
    return data;
  }
};
thread_local Scratch tScratch;

alignas(64) const uint8_t kZeroRow[64] = {};

static inline float h2f(const uint8_t* p) { return _cvtsh_ss(load_u16(p)); }

#include "tiling.inc"

// out[k] (k < 8) = dword k of each of 16 rows of 32 bytes: the B-tile layout of one block.
static inline void transpose16x8(const uint8_t* const rows[16], __m512i out[8]) {
  __m512i z[8];
  for (int p = 0; p < 8; p++)
    z[p] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[p]))),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[p + 8])), 1);
  // 8x8 dword transposes in both 256-bit halves at once (half 0: rows 0-7, half 1: rows 8-15)
  __m512i t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(z[2 * i], z[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(z[2 * i], z[2 * i + 1]);
  }
  for (int g = 0; g < 2; g++) {
    const int o = 4 * g;
    u[o + 0] = _mm512_unpacklo_epi64(t[o + 0], t[o + 2]);
    u[o + 1] = _mm512_unpackhi_epi64(t[o + 0], t[o + 2]);
    u[o + 2] = _mm512_unpacklo_epi64(t[o + 1], t[o + 3]);
    u[o + 3] = _mm512_unpackhi_epi64(t[o + 1], t[o + 3]);
  }
  // u[i] (i < 4) holds rows 0-3 | rows 8-11 and u[i + 4] rows 4-7 | rows 12-15, at dword i
  // (low 128 bits of each half) and dword i + 4 (high 128 bits)
  const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
  const __m512i hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
  for (int i = 0; i < 4; i++) {
    out[i] = _mm512_permutex2var_epi64(u[i], lo, u[i + 4]);
    out[i + 4] = _mm512_permutex2var_epi64(u[i], hi, u[i + 4]);
  }
}

static inline __mmask16 row_mask(int n) { return __mmask16((1u << n) - 1); }

// ---- Q8_0 / Q4_0 ------------------------------------------------------------------------------

// Tiles hold weights as unsigned bytes w + kOffset; the tile products and the few-token path
// subtract kOffset * (the block's sum of activation quants) to get the exact sum of w * x.
struct AmxQ8_0 {
  static constexpr int kBytes = kQ8_0Bytes;
  static constexpr int kOffset = 128;  // int8 -> uint8 by flipping the sign bit
  static void rows(const uint8_t* const blk[16], __m512i out[8]) {
    const uint8_t* q[16];
    for (int n = 0; n < 16; n++) q[n] = blk[n] == kZeroRow ? kZeroRow : blk[n] + 2;
    transpose16x8(q, out);
    for (int k = 0; k < 8; k++) out[k] = _mm512_xor_si512(out[k], _mm512_set1_epi8(char(0x80)));
  }
};
struct AmxQ4_0 {
  static constexpr int kBytes = kQ4_0Bytes;
  static constexpr int kOffset = 8;  // the stored nibble is w + 8
  static void rows(const uint8_t* const blk[16], __m512i out[8]) {
    alignas(64) uint8_t un[16][32];  // nibbles (w + 8), in weight order
    for (int n = 0; n < 16; n++) {
      if (blk[n] == kZeroRow) {
        std::memset(un[n], 0, 32);
        continue;
      }
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[n] + 2));
      const __m256i v = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
      _mm256_store_si256(reinterpret_cast<__m256i*>(un[n]), v);
    }
    const uint8_t* q[16];
    for (int n = 0; n < 16; n++) q[n] = un[n];
    transpose16x8(q, out);
  }
};

// Layout of 16 rows of Q8_0 / Q4_0 weights, per block of 32 columns: the B tile (8 rows of
// 16 rows x 4 unsigned weights w + kOffset) and the 16 rows' f16 scales; for Q8_0 that is
// exactly the size of the ggml blocks it comes from.
constexpr size_t kQ8BlockBytes = 512 + 32;

// Repacks rows [r, r + nr) (nr <= 16; missing rows are zero) of w into `out` (nb blocks).
template <class B>
static void repack_q8(const uint8_t* w, size_t rowBytes, int r, int nr, int nb, uint8_t* out) {
  const uint8_t* row[16];
  for (int n = 0; n < 16; n++) row[n] = n < nr ? w + size_t(r + n) * rowBytes : nullptr;
  for (int b = 0; b < nb; b++) {
    uint8_t* dst = out + size_t(b) * kQ8BlockBytes;
    const uint8_t* blk[16];
    for (int n = 0; n < 16; n++) {
      blk[n] = row[n] ? row[n] + size_t(b) * B::kBytes : kZeroRow;
      const uint16_t d = row[n] ? load_u16(blk[n]) : 0;
      std::memcpy(dst + 512 + 2 * n, &d, 2);
    }
    __m512i t[8];
    B::rows(blk, t);
    for (int k = 0; k < 8; k++) _mm512_storeu_si512(dst + 64 * k, t[k]);
  }
}

// acc[m] (lane n = weight row n) += (dw * dx) * float(C[m][n] - offset * sum_m) for the NT tokens
// of a tile
template <int NT>
static inline void scale_block(const int32_t* c, const uint8_t* dwHalf, int offset, const float* xd, const int32_t* xs,
                               size_t stride, __m512 acc[16]) {
  const __m512 dwv = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(dwHalf)));
  for (int m = 0; m < NT; m++) {
    const __m512i exact = _mm512_sub_epi32(_mm512_load_si512(c + 16 * m), _mm512_set1_epi32(offset * xs[m * stride]));
    acc[m] = _mm512_fmadd_ps(_mm512_mul_ps(dwv, _mm512_set1_ps(xd[m * stride])), _mm512_cvtepi32_ps(exact), acc[m]);
  }
}

// One tile of 16 rows (repacked) by NT <= 16 tokens starting at token t.
template <int NT>
static void tile_q8(const Acts& a, const MatmulTask& task, const uint8_t* tiles, int offset, int r, int nr, int t) {
  const int K = a.K, nb = K / 32;
  alignas(64) int32_t c[2][256];
  // tokens past the call's last are zero rows the driver keeps after the activations
  const int8_t* x = a.qs + size_t(t) * K;
  const float* xd = a.d + size_t(t) * nb;
  const int32_t* xs = a.sums + size_t(t) * nb;
  __m512 acc[16];
  for (int m = 0; m < NT; m++) acc[m] = _mm512_setzero_ps();
  _tile_loadd(2, x, K);
  _tile_loadd(4, tiles, 64);
  _tile_zero(0);
  _tile_dpbsud(0, 2, 4);
  for (int b = 0; b < nb; b += 2) {
    // block b is in tile 0; start block b + 1 in tile 1 before scaling block b
    if (b + 1 < nb) {
      _tile_loadd(3, x + 32 * (b + 1), K);
      _tile_loadd(5, tiles + kQ8BlockBytes * size_t(b + 1), 64);
      _tile_zero(1);
      _tile_dpbsud(1, 3, 5);
    }
    _tile_stored(0, c[0], 64);
    scale_block<NT>(c[0], tiles + kQ8BlockBytes * size_t(b) + 512, offset, xd + b, xs + b, size_t(nb), acc);
    if (b + 1 >= nb) break;
    if (b + 2 < nb) {
      _tile_loadd(2, x + 32 * (b + 2), K);
      _tile_loadd(4, tiles + kQ8BlockBytes * size_t(b + 2), 64);
      _tile_zero(0);
      _tile_dpbsud(0, 2, 4);
    }
    _tile_stored(1, c[1], 64);
    scale_block<NT>(c[1], tiles + kQ8BlockBytes * size_t(b + 1) + 512, offset, xd + b + 1, xs + b + 1, size_t(nb), acc);
  }
  const __mmask16 mask = row_mask(nr);
  for (int m = 0; m < NT; m++) _mm512_mask_storeu_ps(task.out + size_t(t + m) * task.ldo + r, mask, acc[m]);
}

// Calls F::template run<n>(args...) for a token count n in 1..16.
template <class F, class... Args>
static void by_token_count(int n, Args&&... args) {
  switch (n) {
    case 1: return F::template run<1>(args...);
    case 2: return F::template run<2>(args...);
    case 3: return F::template run<3>(args...);
    case 4: return F::template run<4>(args...);
    case 5: return F::template run<5>(args...);
    case 6: return F::template run<6>(args...);
    case 7: return F::template run<7>(args...);
    case 8: return F::template run<8>(args...);
    case 9: return F::template run<9>(args...);
    case 10: return F::template run<10>(args...);
    case 11: return F::template run<11>(args...);
    case 12: return F::template run<12>(args...);
    case 13: return F::template run<13>(args...);
    case 14: return F::template run<14>(args...);
    case 15: return F::template run<15>(args...);
    default: return F::template run<16>(args...);
  }
}

struct TileQ8 {
  template <int NT, class... Args>
  static void run(Args&&... args) { tile_q8<NT>(args...); }
};

// Prepared weights (task.packed) are used as they are; others are repacked 16 rows at a time.
template <class B>
static void mm_q8_amx(const Acts& a, const MatmulTask& task) {
  const int K = a.K, nb = K / 32;
  const size_t tileBytes = size_t(nb) * kQ8BlockBytes;
  uint8_t* scratch = task.packed ? nullptr : static_cast<uint8_t*>(tScratch.get(tileBytes + 64));
  configure_tiles();
  for (int r = task.r0; r < task.r1; r += 16) {
    const int nr = task.r1 - r < 16 ? task.r1 - r : 16;
    const uint8_t* tiles = task.packed ? task.packed + size_t(r / 16) * tileBytes : scratch;
    if (!task.packed) repack_q8<B>(task.w, task.rowBytes, r, nr, nb, scratch);
    for (int t = task.t0; t < task.t1; t += 16) {
      const int nt = task.t1 - t < 16 ? task.t1 - t : 16;
      by_token_count<TileQ8>(nt, a, task, tiles, int(B::kOffset), r, nr, t);
    }
  }
  _tile_release();
}

// ---- Q4_K --------------------------------------------------------------------------------------

// Per super-block and 16 rows: 8 B tiles (one per sub-block of 32), then the scales.
struct Q4KPack {
  int32_t sc[8][16];     // 6-bit sub-block scale of each row
  int32_t mins[4][16];   // rows' mins of sub-blocks 2i (low int16) and 2i + 1 (high int16)
  float d[16], dmin[16];
};
constexpr size_t kQ4KTileBytes = 8 * 512;
constexpr size_t kQ4KSuperBytes = kQ4KTileBytes + sizeof(Q4KPack);

static void repack_q4k(const MatmulTask& task, int r, int nr, int nsb, uint8_t* out) {
  const uint8_t* row[16];
  for (int n = 0; n < 16; n++) row[n] = n < nr ? task.w + size_t(r + n) * task.rowBytes : nullptr;
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  for (int sb = 0; sb < nsb; sb++) {
    uint8_t* tiles = out + size_t(sb) * kQ4KSuperBytes;
    auto* pack = reinterpret_cast<Q4KPack*>(tiles + kQ4KTileBytes);
    const uint8_t* blk[16];
    for (int n = 0; n < 16; n++) {
      blk[n] = row[n] ? row[n] + size_t(sb) * kQ4_KBytes : nullptr;
      uint8_t sc[8] = {}, mn[8] = {};
      if (blk[n])
        for (int j = 0; j < 8; j++) q4k_scale_min(j, blk[n] + 4, &sc[j], &mn[j]);
      for (int j = 0; j < 8; j++) pack->sc[j][n] = sc[j];
      for (int i = 0; i < 4; i++) pack->mins[i][n] = int32_t(mn[2 * i]) | (int32_t(mn[2 * i + 1]) << 16);
      pack->d[n] = blk[n] ? h2f(blk[n]) : 0.f;
      pack->dmin[n] = blk[n] ? h2f(blk[n] + 2) : 0.f;
    }
    for (int c = 0; c < 4; c++) {
      // chunk c: low nibbles are sub-block 2c, high nibbles sub-block 2c + 1
      const uint8_t* q[16];
      for (int n = 0; n < 16; n++) q[n] = blk[n] ? blk[n] + 16 + 32 * c : kZeroRow;
      __m512i t[8];
      transpose16x8(q, t);
      for (int k = 0; k < 8; k++) {
        _mm512_store_si512(tiles + 512 * (2 * c) + 64 * k, _mm512_and_si512(t[k], m4));
        _mm512_store_si512(tiles + 512 * (2 * c + 1) + 64 * k, _mm512_and_si512(_mm512_srli_epi16(t[k], 4), m4));
      }
    }
  }
}

template <int NT>
static inline void q4k_sub_block(const int32_t* c, __m512i scv, __m512i isum[16]) {
  for (int m = 0; m < NT; m++) isum[m] = _mm512_add_epi32(isum[m], _mm512_mullo_epi32(_mm512_load_si512(c + 16 * m), scv));
}

template <int NT>
static void tile_q4k(const Acts& a, const MatmulTask& task, const uint8_t* packed, int r, int nr, int t) {
  const int K = a.K, nsb = K / 256;
  alignas(64) int32_t c[2][256];
  __m512 acc[16];
  for (int m = 0; m < NT; m++) acc[m] = _mm512_setzero_ps();
  for (int sb = 0; sb < nsb; sb++) {
    const uint8_t* tiles = packed + size_t(sb) * kQ4KSuperBytes;
    const auto* pack = reinterpret_cast<const Q4KPack*>(tiles + kQ4KTileBytes);
    const int8_t* x = a.qs + size_t(t) * K + 256 * sb;
    __m512i isum[16];
    for (int m = 0; m < NT; m++) isum[m] = _mm512_setzero_si512();
    _tile_loadd(2, x, K);
    _tile_loadd(4, tiles, 64);
    _tile_zero(0);
    _tile_dpbssd(0, 2, 4);
    for (int j = 0; j < 8; j += 2) {
      _tile_loadd(3, x + 32 * (j + 1), K);
      _tile_loadd(5, tiles + 512 * (j + 1), 64);
      _tile_zero(1);
      _tile_dpbssd(1, 3, 5);
      _tile_stored(0, c[0], 64);
      q4k_sub_block<NT>(c[0], _mm512_load_si512(pack->sc[j]), isum);
      if (j + 2 < 8) {
        _tile_loadd(2, x + 32 * (j + 2), K);
        _tile_loadd(4, tiles + 512 * (j + 2), 64);
        _tile_zero(0);
        _tile_dpbssd(0, 2, 4);
      }
      _tile_stored(1, c[1], 64);
      q4k_sub_block<NT>(c[1], _mm512_load_si512(pack->sc[j + 1]), isum);
    }
    const __m512 dv = _mm512_load_ps(pack->d), dminv = _mm512_load_ps(pack->dmin);
    const __m512i mins0 = _mm512_load_si512(pack->mins[0]), mins1 = _mm512_load_si512(pack->mins[1]);
    const __m512i mins2 = _mm512_load_si512(pack->mins[2]), mins3 = _mm512_load_si512(pack->mins[3]);
    for (int m = 0; m < NT; m++) {
      // mins: sum over sub-blocks of min * (sum of its 32 activations), as int16 pairs
      const int16_t* bs = a.bsums + size_t(t + m) * (K / 16) + 16 * sb;
      const __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bs)),
                                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(bs + 8)));
      __m512i msum = _mm512_dpwssd_epi32(_mm512_setzero_si512(), mins0, _mm512_set1_epi32(_mm_extract_epi32(pairs, 0)));
      msum = _mm512_dpwssd_epi32(msum, mins1, _mm512_set1_epi32(_mm_extract_epi32(pairs, 1)));
      msum = _mm512_dpwssd_epi32(msum, mins2, _mm512_set1_epi32(_mm_extract_epi32(pairs, 2)));
      msum = _mm512_dpwssd_epi32(msum, mins3, _mm512_set1_epi32(_mm_extract_epi32(pairs, 3)));
      const float dx = a.d[size_t(t + m) * nsb + sb];
      acc[m] = _mm512_fmadd_ps(_mm512_mul_ps(dv, _mm512_set1_ps(dx)), _mm512_cvtepi32_ps(isum[m]), acc[m]);
      acc[m] = _mm512_fmadd_ps(_mm512_mul_ps(dminv, _mm512_set1_ps(-dx)), _mm512_cvtepi32_ps(msum), acc[m]);
    }
  }
  const __mmask16 mask = row_mask(nr);
  for (int m = 0; m < NT; m++) _mm512_mask_storeu_ps(task.out + size_t(t + m) * task.ldo + r, mask, acc[m]);
}

struct TileQ4K {
  template <int NT, class... Args>
  static void run(Args&&... args) { tile_q4k<NT>(args...); }
};

static void mm_q4k_amx(const Acts& a, const MatmulTask& task) {
  const int nsb = a.K / 256;
  auto* packed = static_cast<uint8_t*>(tScratch.get(size_t(nsb) * kQ4KSuperBytes + 64));
  configure_tiles();
  for (int r = task.r0; r < task.r1; r += 16) {
    const int nr = task.r1 - r < 16 ? task.r1 - r : 16;
    repack_q4k(task, r, nr, nsb, packed);
    for (int t = task.t0; t < task.t1; t += 16) {
      const int nt = task.t1 - t < 16 ? task.t1 - t : 16;
      by_token_count<TileQ4K>(nt, a, task, static_cast<const uint8_t*>(packed), r, nr, t);
    }
  }
  _tile_release();
}

// ---- few tokens: AVX512-VNNI with the same arithmetic --------------------------------------------
// With one or two tokens a tile product is mostly padding, and repacking 16 rows costs more than
// it saves. These kernels read the ggml layout directly, reduce each block's (or super-block's)
// integer sum exactly, and apply the same f32 operations in the same order as the tile kernels, so
// a token's outputs do not depend on which path computed them.
constexpr int kFewTokens = 2;
// One row at a time, prefetching 4 KiB ahead: a single forward stream per thread is what the
// hardware prefetchers follow best when decode streams the weights from memory.
constexpr int kPrefetchBytes = 4096;

// lane 0: sum of int32 lanes 0-7; lane 8: sum of lanes 8-15 (exact)
static inline __m512i sum_halves(__m512i v) {
  v = _mm512_add_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_BADC));
  v = _mm512_add_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_CDAB));
  return _mm512_add_epi32(v, _mm512_shuffle_i32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
}

static inline int32_t sum_all(__m512i v) {
  const __m512i h = sum_halves(v);
  return _mm_cvtsi128_si32(_mm512_castsi512_si128(h)) + _mm_cvtsi128_si32(_mm512_extracti32x4_epi32(h, 2));
}

template <class B>
struct MkQ8Few {
  static constexpr int R = 1, T = 1;
  template <int NR, int NT>
  static void run(const Acts& a, const MatmulTask& task, int r, int t) {
    const int nb = a.K / 32;
    const int8_t* x = a.qs + size_t(t) * a.K;
    const float* xd = a.d + size_t(t) * nb;
    const uint8_t* w[NR];
    float acc[NR];
    for (int i = 0; i < NR; i++) {
      w[i] = task.w + size_t(r + i) * task.rowBytes;
      acc[i] = 0.f;
    }
    for (int b = 0; b < nb; b += 2) {
      const bool pair = b + 1 < nb;
      const __m512i xq = pair ? _mm512_loadu_si512(x + 32 * b)
                              : _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * b)));
      for (int i = 0; i < NR; i++) {
        const uint8_t* blk = w[i] + size_t(b) * B::kBytes;
        _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetchBytes), _MM_HINT_T0);
        const __m512i wq = pair ? _mm512_inserti64x4(_mm512_castsi256_si512(B::one(blk)), B::one(blk + B::kBytes), 1)
                                : _mm512_zextsi256_si512(B::one(blk));
        const __m512i xs = _mm512_mask_sub_epi8(xq, _mm512_movepi8_mask(wq), _mm512_setzero_si512(), xq);
        const __m512i sums = sum_halves(_mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(wq), xs));
        acc[i] = __builtin_fmaf(h2f(blk) * xd[b], float(_mm_cvtsi128_si32(_mm512_castsi512_si128(sums))), acc[i]);
        if (pair)
          acc[i] = __builtin_fmaf(h2f(blk + B::kBytes) * xd[b + 1], float(_mm_cvtsi128_si32(_mm512_extracti32x4_epi32(sums, 2))), acc[i]);
      }
    }
    for (int i = 0; i < NR; i++) task.out[size_t(t) * task.ldo + r + i] = acc[i];
  }
};

struct FewQ8_0 {
  static constexpr int kBytes = kQ8_0Bytes;
  static __m256i one(const uint8_t* b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2)); }
};
struct FewQ4_0 {
  static constexpr int kBytes = kQ4_0Bytes;
  static __m256i one(const uint8_t* b) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2));
    const __m256i v = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
  }
};

// The 8 scales and 8 mins of a Q4_K super-block as bytes [sc0..sc7, m0..m7] (ggml's utmp trick).
static inline __m128i q4k_scales_mins(const uint8_t* s) {
  uint32_t u[4];
  std::memcpy(u, s, 12);
  const uint32_t k1 = 0x3f3f3f3f, k2 = 0x0f0f0f0f, k3 = 0x03030303;
  u[3] = ((u[2] >> 4) & k2) | (((u[1] >> 6) & k3) << 4);
  const uint32_t aux = u[1] & k1;
  u[1] = (u[2] & k2) | (((u[0] >> 6) & k3) << 4);
  u[2] = aux;
  u[0] &= k1;
  return _mm_set_epi32(int(u[3]), int(u[2]), int(u[1]), int(u[0]));
}

struct MkQ4KFew {
  static constexpr int R = 1, T = 1;
  template <int NR, int NT>
  static void run(const Acts& a, const MatmulTask& task, int r, int t) {
    const int nsb = a.K / 256;
    const int8_t* x = a.qs + size_t(t) * a.K;
    const float* xd = a.d + size_t(t) * nsb;
    const int16_t* xs = a.bsums + size_t(t) * (a.K / 16);
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m512i scaleIdx0 = _mm512_set_epi16(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i minIdx = _mm256_set_epi16(15, 15, 14, 14, 13, 13, 12, 12, 11, 11, 10, 10, 9, 9, 8, 8);
    const uint8_t* w[NR];
    float acc[NR];
    for (int i = 0; i < NR; i++) {
      w[i] = task.w + size_t(r + i) * task.rowBytes;
      acc[i] = 0.f;
    }
    for (int sb = 0; sb < nsb; sb++) {
      const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xs + 16 * sb));
      for (int i = 0; i < NR; i++) {
        const uint8_t* blk = w[i] + size_t(sb) * kQ4_KBytes;
        _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetchBytes), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetchBytes + 64), _MM_HINT_T0);
        const __m256i v = _mm256_cvtepu8_epi16(q4k_scales_mins(blk + 4));  // sc0..7, m0..7
        const __m512i sm = _mm512_castsi256_si512(v);
        __m512i isum = _mm512_setzero_si512();
        for (int c = 0; c < 4; c++) {
          const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * c));
          const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(raw, m4)),
                                               _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4), 1);
          const __m512i sc = _mm512_permutexvar_epi16(_mm512_add_epi16(scaleIdx0, _mm512_set1_epi16(short(2 * c))), sm);
          const __m512i xq = _mm512_loadu_si512(x + 256 * sb + 64 * c);
          isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(q, xq), sc);
        }
        const __m256i mp = _mm256_madd_epi16(bs, _mm256_permutexvar_epi16(minIdx, v));
        const int32_t msum = sum_all(_mm512_zextsi256_si512(mp));
        const float dx = xd[sb];
        acc[i] = __builtin_fmaf(h2f(blk) * dx, float(sum_all(isum)), acc[i]);
        acc[i] = __builtin_fmaf(h2f(blk + 2) * -dx, float(msum), acc[i]);
      }
    }
    for (int i = 0; i < NR; i++) task.out[size_t(t) * task.ldo + r + i] = acc[i];
  }
};

// Few tokens on packed Q8_0 weights: 16 rows per vector, so no reduction at all. Each block's
// exact sum comes from dpbusd with the stored w + 128 as the unsigned side, minus 128 * the
// block's sum of activation quants; then the tile kernels' f32 operations, lane by lane.
template <int NT>
static void few_q8_packed(const Acts& a, const MatmulTask& task) {
  const int K = a.K, nb = K / 32;
  const size_t tileBytes = size_t(nb) * kQ8BlockBytes;
  for (int r = task.r0; r < task.r1; r += 16) {
    const int nr = task.r1 - r < 16 ? task.r1 - r : 16;
    const uint8_t* tile = task.packed + size_t(r / 16) * tileBytes;
    for (int t = task.t0; t < task.t1; t += NT) {
      const int8_t* x[NT];
      const float* xd[NT];
      const int32_t* xs[NT];
      __m512 acc[NT];
      for (int j = 0; j < NT; j++) {
        x[j] = a.qs + size_t(t + j) * K;
        xd[j] = a.d + size_t(t + j) * nb;
        xs[j] = a.sums + size_t(t + j) * nb;
        acc[j] = _mm512_setzero_ps();
      }
      for (int b = 0; b < nb; b++) {
        const uint8_t* blk = tile + size_t(b) * kQ8BlockBytes;
        _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetchBytes), _MM_HINT_T0);
        __m512i s[NT];
        for (int j = 0; j < NT; j++) s[j] = _mm512_setzero_si512();
        for (int k = 0; k < 8; k++) {
          const __m512i wk = _mm512_loadu_si512(blk + 64 * k);
          for (int j = 0; j < NT; j++) {
            int32_t xw;
            std::memcpy(&xw, x[j] + 32 * b + 4 * k, 4);
            s[j] = _mm512_dpbusd_epi32(s[j], wk, _mm512_set1_epi32(xw));
          }
        }
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 512)));
        for (int j = 0; j < NT; j++) {
          const __m512i exact = _mm512_sub_epi32(s[j], _mm512_set1_epi32(AmxQ8_0::kOffset * xs[j][b]));
          acc[j] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(xd[j][b])), _mm512_cvtepi32_ps(exact), acc[j]);
        }
      }
      for (int j = 0; j < NT; j++) _mm512_mask_storeu_ps(task.out + size_t(t + j) * task.ldo + r, row_mask(nr), acc[j]);
    }
  }
}

template <class Few, class Tiles>
static void mm_few_or_tiles(const Acts& a, const MatmulTask& task) {
  const int n = task.t1 - task.t0;
  if (n > kFewTokens) return Tiles::run(a, task);
  if (Tiles::kPackedFew && task.packed) return n == 2 ? few_q8_packed<2>(a, task) : few_q8_packed<1>(a, task);
  mm_tiled<Few>(a, task);
}

struct TilesQ8_0 {
  static constexpr bool kPackedFew = true;
  static void run(const Acts& a, const MatmulTask& task) { mm_q8_amx<AmxQ8_0>(a, task); }
};
struct TilesQ4_0 {
  static constexpr bool kPackedFew = false;
  static void run(const Acts& a, const MatmulTask& task) { mm_q8_amx<AmxQ4_0>(a, task); }
};
struct TilesQ4K {
  static constexpr bool kPackedFew = false;
  static void run(const Acts& a, const MatmulTask& task) { mm_q4k_amx(a, task); }
};

size_t packed_bytes_amx(int type, int rows, int cols) {
  if (type != kQ8_0 || cols % 32) return 0;
  return size_t((rows + 15) / 16) * size_t(cols / 32) * kQ8BlockBytes;
}

void pack_amx(int type, const uint8_t* w, size_t rowBytes, int tile0, int tile1, int rows, int cols, uint8_t* out) {
  if (type != kQ8_0) return;
  const int nb = cols / 32;
  for (int i = tile0; i < tile1; i++) {
    const int r = 16 * i;
    const int nr = rows - r < 16 ? rows - r : 16;
    repack_q8<AmxQ8_0>(w, rowBytes, r, nr, nb, out + size_t(i) * nb * kQ8BlockBytes);
  }
}

}  // namespace

const Kernels* kernels_amx() {
  static const Kernels table = [] {
    Kernels k = *kernels_avx512vnni();
    k.isa = "amx";
    k.mm_q8_0 = mm_few_or_tiles<MkQ8Few<FewQ8_0>, TilesQ8_0>;
    k.mm_q4_0 = mm_few_or_tiles<MkQ8Few<FewQ4_0>, TilesQ4_0>;
    k.mm_q4_k = mm_few_or_tiles<MkQ4KFew, TilesQ4K>;
    k.actPadRows = 16;
    k.actChunkBytes = size_t(4) << 20;  // tile products read activations from L3 fast enough
    k.packed_bytes = packed_bytes_amx;
    k.pack = pack_amx;
    return k;
  }();
  return &table;
}

}  // namespace flt

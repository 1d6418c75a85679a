// AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma -mf16c; used only when the CPU has them).
// Quantized weights: integer dot products with Q8_0 / Q8_K activations (maddubs on |w| and
// sign-adjusted x, like llama.cpp), one f32 accumulator vector per output.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "ggml_blocks.h"
#include "kernels.h"

namespace flt {
namespace {

#define FLT_FMA(a, b, c) __builtin_fmaf(a, b, c)
#include "generic.inc"
#include "tiling.inc"

// Fixed reduction tree: (0+4, 1+5, 2+6, 3+7) -> (0+2, 1+3) -> 0+1.
static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

static inline float h2f(const uint8_t* p) { return _cvtsh_ss(load_u16(p)); }

// ---- F32 / F16 / BF16 weights times f32 activations -------------------------------------------

struct LoadF32 {
  static constexpr int kBytes = 4;
  static __m256 load(const uint8_t* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
  static float one(const uint8_t* p) { float v; std::memcpy(&v, p, 4); return v; }
};
struct LoadF16 {
  static constexpr int kBytes = 2;
  static __m256 load(const uint8_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static float one(const uint8_t* p) { return f16_to_f32(load_u16(p)); }
};
struct LoadBF16 {
  static constexpr int kBytes = 2;
  static __m256 load(const uint8_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  static float one(const uint8_t* p) { return bf16_to_f32(load_u16(p)); }
};

template <class L>
struct MkFloat {
  static constexpr int R = 4, T = 2;
  template <int NR, int NT>
  static void run(const Acts& a, const MatmulTask& task, int r, int t) {
    const int K = a.K;
    const uint8_t* w[NR];
    const float* x[NT];
    for (int i = 0; i < NR; i++) w[i] = task.w + size_t(r + i) * task.rowBytes;
    for (int j = 0; j < NT; j++) x[j] = a.f32 + size_t(t + j) * K;
    __m256 acc[NR][NT];
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < NT; j++) acc[i][j] = _mm256_setzero_ps();
    int k = 0;
    for (; k + 8 <= K; k += 8) {
      __m256 wv[NR];
      for (int i = 0; i < NR; i++) wv[i] = L::load(w[i] + size_t(k) * L::kBytes);
      for (int j = 0; j < NT; j++) {
        const __m256 xv = _mm256_loadu_ps(x[j] + k);
        for (int i = 0; i < NR; i++) acc[i][j] = _mm256_fmadd_ps(wv[i], xv, acc[i][j]);
      }
    }
    if (k < K) {  // the tail as one zero-padded vector
      alignas(32) float wt[NR][8] = {};
      alignas(32) float xt[NT][8] = {};
      for (int l = 0; k + l < K; l++) {
        for (int i = 0; i < NR; i++) wt[i][l] = L::one(w[i] + size_t(k + l) * L::kBytes);
        for (int j = 0; j < NT; j++) xt[j][l] = x[j][k + l];
      }
      for (int j = 0; j < NT; j++)
        for (int i = 0; i < NR; i++) acc[i][j] = _mm256_fmadd_ps(_mm256_load_ps(wt[i]), _mm256_load_ps(xt[j]), acc[i][j]);
    }
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < NT; j++) task.out[size_t(t + j) * task.ldo + r + i] = hsum(acc[i][j]);
  }
};

// ---- Q8_0 / Q4_0 weights times Q8_0 activations -------------------------------------------------

struct BlockQ8_0 {
  static constexpr int kBytes = kQ8_0Bytes;
  static __m256i load(const uint8_t* b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2)); }
};
struct BlockQ4_0 {
  static constexpr int kBytes = kQ4_0Bytes;
  static __m256i load(const uint8_t* b) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2));
    const __m256i v = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
  }
};

template <class B>
struct MkQ8 {
  static constexpr int R = 2, T = 4;
  template <int NR, int NT>
  static void run(const Acts& a, const MatmulTask& task, int r, int t) {
    const int nb = a.K / 32;
    const uint8_t* w[NR];
    const int8_t* x[NT];
    const float* xd[NT];
    for (int i = 0; i < NR; i++) w[i] = task.w + size_t(r + i) * task.rowBytes;
    for (int j = 0; j < NT; j++) {
      x[j] = a.qs + size_t(t + j) * a.K;
      xd[j] = a.d + size_t(t + j) * nb;
    }
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[NR][NT];
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < NT; j++) acc[i][j] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
      __m256i wq[NR], wa[NR];
      float dw[NR];
      for (int i = 0; i < NR; i++) {
        const uint8_t* blk = w[i] + size_t(b) * B::kBytes;
        wq[i] = B::load(blk);
        wa[i] = _mm256_sign_epi8(wq[i], wq[i]);
        dw[i] = h2f(blk);
      }
      for (int j = 0; j < NT; j++) {
        const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[j] + 32 * b));
        const float dx = xd[j][b];
        for (int i = 0; i < NR; i++) {
          const __m256i p = _mm256_maddubs_epi16(wa[i], _mm256_sign_epi8(xq, wq[i]));
          const __m256 s = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones));
          acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(dw[i] * dx), s, acc[i][j]);
        }
      }
    }
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < NT; j++) task.out[size_t(t + j) * task.ldo + r + i] = hsum(acc[i][j]);
  }
};

// ---- Q4_K weights times Q8_K activations --------------------------------------------------------

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

struct MkQ4K {
  static constexpr int R = 1, T = 4;
  template <int NR, int NT>
  static void run(const Acts& a, const MatmulTask& task, int r, int t) {
    const int nb = a.K / 256;
    const uint8_t* w[NR];
    const int8_t* x[NT];
    const float* xd[NT];
    const int16_t* xs[NT];
    for (int i = 0; i < NR; i++) w[i] = task.w + size_t(r + i) * task.rowBytes;
    for (int j = 0; j < NT; j++) {
      x[j] = a.qs + size_t(t + j) * a.K;
      xd[j] = a.d + size_t(t + j) * nb;
      xs[j] = a.bsums + size_t(t + j) * (a.K / 16);
    }
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256 acc[NR][NT];
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < NT; j++) acc[i][j] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
      __m256i scales[NR], mins[NR];
      float d[NR], dmin[NR];
      const uint8_t* blk[NR];
      for (int i = 0; i < NR; i++) {
        blk[i] = w[i] + size_t(b) * kQ4_KBytes;
        d[i] = h2f(blk[i]);
        dmin[i] = h2f(blk[i] + 2);
        const __m256i sm = _mm256_cvtepu8_epi16(q4k_scales_mins(blk[i] + 4));  // int16 sc0..7, m0..7
        scales[i] = _mm256_permute2x128_si256(sm, sm, 0x00);                  // sc0..7 twice
        const __m128i m = _mm256_extracti128_si256(sm, 1);
        mins[i] = _mm256_set_m128i(_mm_unpackhi_epi16(m, m), _mm_unpacklo_epi16(m, m));  // m0,m0,m1,m1..
      }
      __m256i isum[NR][NT];
      for (int i = 0; i < NR; i++)
        for (int j = 0; j < NT; j++) isum[i][j] = _mm256_setzero_si256();
      for (int c = 0; c < 4; c++) {
        __m256i lo[NR], hi[NR], sl[NR], sh[NR];
        for (int i = 0; i < NR; i++) {
          const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[i] + 16 + 32 * c));
          lo[i] = _mm256_and_si256(q, m4);
          hi[i] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
          sl[i] = _mm256_shuffle_epi8(scales[i], _mm256_set1_epi16(short((4 * c) | ((4 * c + 1) << 8))));
          sh[i] = _mm256_shuffle_epi8(scales[i], _mm256_set1_epi16(short((4 * c + 2) | ((4 * c + 3) << 8))));
        }
        for (int j = 0; j < NT; j++) {
          const int8_t* xb = x[j] + 256 * b + 64 * c;
          const __m256i xl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb));
          const __m256i xh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb + 32));
          for (int i = 0; i < NR; i++) {
            const __m256i pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo[i], xl), sl[i]);
            const __m256i ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi[i], xh), sh[i]);
            isum[i][j] = _mm256_add_epi32(isum[i][j], _mm256_add_epi32(pl, ph));
          }
        }
      }
      for (int j = 0; j < NT; j++) {
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xs[j] + 16 * b));
        const float dx = xd[j][b];
        for (int i = 0; i < NR; i++) {
          const __m256 msum = _mm256_cvtepi32_ps(_mm256_madd_epi16(bs, mins[i]));
          acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(d[i] * dx), _mm256_cvtepi32_ps(isum[i][j]), acc[i][j]);
          acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(-(dmin[i] * dx)), msum, acc[i][j]);
        }
      }
    }
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < NT; j++) task.out[size_t(t + j) * task.ldo + r + i] = hsum(acc[i][j]);
  }
};

// ---- Q6_K weights times Q8_K activations --------------------------------------------------------

struct MkQ6K {
  static constexpr int R = 1, T = 4;
  template <int NR, int NT>
  static void run(const Acts& a, const MatmulTask& task, int r, int t) {
    const int nb = a.K / 256;
    const uint8_t* w[NR];
    const int8_t* x[NT];
    const float* xd[NT];
    const int16_t* xs[NT];
    for (int i = 0; i < NR; i++) w[i] = task.w + size_t(r + i) * task.rowBytes;
    for (int j = 0; j < NT; j++) {
      x[j] = a.qs + size_t(t + j) * a.K;
      xd[j] = a.d + size_t(t + j) * nb;
      xs[j] = a.bsums + size_t(t + j) * (a.K / 16);
    }
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i m3 = _mm256_set1_epi8(0x30);
    __m256 acc[NR][NT];
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < NT; j++) acc[i][j] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
      const uint8_t* blk[NR];
      __m256i sc16[NR];
      float d[NR];
      __m256i isum[NR][NT];
      for (int i = 0; i < NR; i++) {
        blk[i] = w[i] + size_t(b) * kQ6_KBytes;
        d[i] = h2f(blk[i] + 208);
        sc16[i] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[i] + 192)));
        for (int j = 0; j < NT; j++) {
          // the -32 offset of every quant, through the sums of 16 activations
          const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xs[j] + 16 * b));
          isum[i][j] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(bs, sc16[i]), 5));
        }
      }
      for (int h = 0; h < 2; h++) {
        for (int part = 0; part < 4; part++) {
          // part p covers elements 32p .. 32p+31 of this half: scales 8h + 2p, 8h + 2p + 1
          __m256i q[NR], s[NR];
          for (int i = 0; i < NR; i++) {
            const uint8_t* ql = blk[i] + 64 * h + 32 * (part & 1);
            const __m256i l = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
            const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[i] + 128 + 32 * h));
            const __m256i low = part < 2 ? _mm256_and_si256(l, m4) : _mm256_and_si256(_mm256_srli_epi16(l, 4), m4);
            __m256i high;
            switch (part) {
              case 0: high = _mm256_and_si256(_mm256_slli_epi16(hb, 4), m3); break;
              case 1: high = _mm256_and_si256(_mm256_slli_epi16(hb, 2), m3); break;
              case 2: high = _mm256_and_si256(hb, m3); break;
              default: high = _mm256_and_si256(_mm256_srli_epi16(hb, 2), m3); break;
            }
            q[i] = _mm256_or_si256(low, high);
            // int16 scale per 16 quants: lanes 0-7 scale s0, lanes 8-15 scale s0 + 1
            const int s0 = 8 * h + 2 * part;
            const int8_t* sc = reinterpret_cast<const int8_t*>(blk[i] + 192);
            s[i] = _mm256_set_m128i(_mm_set1_epi16(sc[s0 + 1]), _mm_set1_epi16(sc[s0]));
          }
          for (int j = 0; j < NT; j++) {
            const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[j] + 256 * b + 128 * h + 32 * part));
            for (int i = 0; i < NR; i++)
              isum[i][j] = _mm256_add_epi32(isum[i][j], _mm256_madd_epi16(_mm256_maddubs_epi16(q[i], xq), s[i]));
          }
        }
      }
      for (int j = 0; j < NT; j++)
        for (int i = 0; i < NR; i++)
          acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(d[i] * xd[j][b]), _mm256_cvtepi32_ps(isum[i][j]), acc[i][j]);
    }
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < NT; j++) task.out[size_t(t + j) * task.ldo + r + i] = hsum(acc[i][j]);
  }
};

static void f32_to_f16_avx2(const float* src, uint16_t* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++) dst[i] = f32_to_f16(src[i]);
}

static void f16_to_f32_avx2(const uint16_t* src, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < n; i++) dst[i] = f16_to_f32(src[i]);
}

const Kernels kTable = {
    "avx2",
    mm_tiled<MkFloat<LoadF32>>,
    mm_tiled<MkFloat<LoadF16>>,
    mm_tiled<MkFloat<LoadBF16>>,
    mm_tiled<MkQ8<BlockQ8_0>>,
    mm_tiled<MkQ8<BlockQ4_0>>,
    mm_tiled<MkQ4K>,
    mm_tiled<MkQ6K>,
    g_quantize_q8_0,
    g_quantize_q8_k,
    g_rms_norm,
    g_swiglu,
    g_add,
    g_softmax,
    g_rope,
    f32_to_f16_avx2,
    f16_to_f32_avx2,
    g_attend,
    nullptr,
    0,
    0,
    0,
    nullptr,
    nullptr,
};

}  // namespace

const Kernels* kernels_avx2() { return &kTable; }

}  // namespace flt

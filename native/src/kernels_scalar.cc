// Portable kernels: plain C++ for any CPU (the compiler may still auto-vectorise for the
// baseline of the target, e.g. SSE2 or NEON). Quantized weights take integer dot products with
// activations quantized like llama.cpp's (Q8_0 / Q8_K), as the SIMD paths do.
#include <cmath>
#include <cstring>

#include "ggml_blocks.h"
#include "kernels.h"

namespace flt {
namespace {

#define FLT_FMA(a, b, c) ((a) * (b) + (c))
#include "generic.inc"

// Lane-split dot product of f32 activations with weights decoded by `load(k)`.
template <class Load>
static inline float dot_lanes(const float* x, int K, Load load) {
  float part[8] = {0};
  int k = 0;
  for (; k + 8 <= K; k += 8)
    for (int l = 0; l < 8; l++) part[l] += load(k + l) * x[k + l];
  for (int l = 0; k + l < K; l++) part[l] += load(k + l) * x[k + l];
  float s = 0.f;
  for (int l = 0; l < 8; l++) s += part[l];
  return s;
}

template <class RowDot>
static void for_each_output(const Acts& a, const MatmulTask& t, RowDot dot) {
  for (int r = t.r0; r < t.r1; r++) {
    const uint8_t* w = t.w + size_t(r) * t.rowBytes;
    for (int tok = t.t0; tok < t.t1; tok++) t.out[size_t(tok) * t.ldo + r] = dot(w, tok);
  }
  (void)a;
}

static void mm_f32(const Acts& a, const MatmulTask& t) {
  for_each_output(a, t, [&](const uint8_t* w, int tok) {
    return dot_lanes(a.f32 + size_t(tok) * a.K, a.K, [&](int k) {
      float v;
      std::memcpy(&v, w + 4 * size_t(k), 4);
      return v;
    });
  });
}

static void mm_f16(const Acts& a, const MatmulTask& t) {
  for_each_output(a, t, [&](const uint8_t* w, int tok) {
    return dot_lanes(a.f32 + size_t(tok) * a.K, a.K, [&](int k) { return f16_to_f32(load_u16(w + 2 * size_t(k))); });
  });
}

static void mm_bf16(const Acts& a, const MatmulTask& t) {
  for_each_output(a, t, [&](const uint8_t* w, int tok) {
    return dot_lanes(a.f32 + size_t(tok) * a.K, a.K, [&](int k) { return bf16_to_f32(load_u16(w + 2 * size_t(k))); });
  });
}

static void mm_q8_0(const Acts& a, const MatmulTask& t) {
  const int nb = a.K / 32;
  for_each_output(a, t, [&](const uint8_t* w, int tok) {
    const int8_t* xq = a.qs + size_t(tok) * a.K;
    const float* xd = a.d + size_t(tok) * nb;
    float acc = 0.f;
    for (int b = 0; b < nb; b++) {
      const uint8_t* blk = w + size_t(b) * kQ8_0Bytes;
      const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2);
      int sum = 0;
      for (int j = 0; j < 32; j++) sum += int(q[j]) * xq[32 * b + j];
      acc += float(sum) * (f16_to_f32(load_u16(blk)) * xd[b]);
    }
    return acc;
  });
}

static void mm_q4_0(const Acts& a, const MatmulTask& t) {
  const int nb = a.K / 32;
  for_each_output(a, t, [&](const uint8_t* w, int tok) {
    const int8_t* xq = a.qs + size_t(tok) * a.K;
    const float* xd = a.d + size_t(tok) * nb;
    float acc = 0.f;
    for (int b = 0; b < nb; b++) {
      const uint8_t* blk = w + size_t(b) * kQ4_0Bytes;
      const int8_t* x = xq + 32 * b;
      int sum = 0;
      for (int j = 0; j < 16; j++) {
        sum += (int(blk[2 + j] & 0x0f) - 8) * x[j];
        sum += (int(blk[2 + j] >> 4) - 8) * x[j + 16];
      }
      acc += float(sum) * (f16_to_f32(load_u16(blk)) * xd[b]);
    }
    return acc;
  });
}

static void mm_q4_k(const Acts& a, const MatmulTask& t) {
  const int nb = a.K / 256;
  for_each_output(a, t, [&](const uint8_t* w, int tok) {
    const int8_t* xq = a.qs + size_t(tok) * a.K;
    const float* xd = a.d + size_t(tok) * nb;
    const int16_t* bs = a.bsums + size_t(tok) * (a.K / 16);
    float acc = 0.f;
    for (int b = 0; b < nb; b++) {
      const uint8_t* blk = w + size_t(b) * kQ4_KBytes;
      const uint8_t* qs = blk + 16;
      const int8_t* x = xq + 256 * b;
      int sumq = 0, summ = 0;
      for (int c = 0; c < 4; c++) {
        uint8_t sc1, m1, sc2, m2;
        q4k_scale_min(2 * c, blk + 4, &sc1, &m1);
        q4k_scale_min(2 * c + 1, blk + 4, &sc2, &m2);
        int s1 = 0, s2 = 0;
        for (int l = 0; l < 32; l++) {
          s1 += int(qs[32 * c + l] & 0x0f) * x[64 * c + l];
          s2 += int(qs[32 * c + l] >> 4) * x[64 * c + 32 + l];
        }
        sumq += sc1 * s1 + sc2 * s2;
        const int16_t* bb = bs + 16 * b + 4 * c;
        summ += m1 * (bb[0] + bb[1]) + m2 * (bb[2] + bb[3]);
      }
      const float d = f16_to_f32(load_u16(blk)) * xd[b];
      const float dmin = f16_to_f32(load_u16(blk + 2)) * xd[b];
      acc += d * float(sumq) - dmin * float(summ);
    }
    return acc;
  });
}

static void mm_q6_k(const Acts& a, const MatmulTask& t) {
  const int nb = a.K / 256;
  for_each_output(a, t, [&](const uint8_t* w, int tok) {
    const int8_t* xq = a.qs + size_t(tok) * a.K;
    const float* xd = a.d + size_t(tok) * nb;
    float acc = 0.f;
    for (int b = 0; b < nb; b++) {
      const uint8_t* blk = w + size_t(b) * kQ6_KBytes;
      const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192);
      int sum = 0;
      for (int h = 0; h < 2; h++) {
        const uint8_t* ql = blk + 64 * h;
        const uint8_t* qh = blk + 128 + 32 * h;
        const int8_t* x = xq + 256 * b + 128 * h;
        const int8_t* s = sc + 8 * h;
        int a0[2] = {0, 0}, a2[2] = {0, 0}, a4[2] = {0, 0}, a6[2] = {0, 0};
        for (int l = 0; l < 32; l++) {
          const int g = l / 16;
          a0[g] += ((int((ql[l] & 0xf) | ((qh[l] & 3) << 4))) - 32) * x[l];
          a2[g] += ((int((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4))) - 32) * x[l + 32];
          a4[g] += ((int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4))) - 32) * x[l + 64];
          a6[g] += ((int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4))) - 32) * x[l + 96];
        }
        for (int g = 0; g < 2; g++) sum += s[g] * a0[g] + s[g + 2] * a2[g] + s[g + 4] * a4[g] + s[g + 6] * a6[g];
      }
      acc += (f16_to_f32(load_u16(blk + 208)) * xd[b]) * float(sum);
    }
    return acc;
  });
}

const Kernels kTable = {
    "scalar",  mm_f32,         mm_f16,          mm_bf16,    mm_q8_0, mm_q4_0, mm_q4_k, mm_q6_k,
    g_quantize_q8_0, g_quantize_q8_k, g_rms_norm, g_swiglu, g_add,   g_softmax, g_rope,
    g_f32_to_f16,    g_f16_to_f32,    g_attend,        nullptr,         0,               0,       0,       nullptr, nullptr,
};

}  // namespace

const Kernels* kernels_scalar() { return &kTable; }

}  // namespace flt

// ggml weight block layouts (ggml-common.h) and scalar number conversions.
// Every helper here has internal linkage (`static inline`): this header is included by
// translation units compiled for different instruction sets, and a shared inline definition
// could let the linker pick an AVX-512 copy for the portable path.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace flt {

// GGUF tensor type numbers (ggml.h enum ggml_type) that the native backend multiplies.
enum GgmlType : int {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ6_K = 14,
  kBF16 = 30,
};

constexpr int kQK8_0 = 32;     // Q8_0 / Q4_0 block: 32 weights
constexpr int kQK_K = 256;     // K-quant super-block: 256 weights
constexpr int kQ8_0Bytes = 34;  // f16 d, int8 qs[32]
constexpr int kQ4_0Bytes = 18;  // f16 d, uint8 qs[16] (nibbles)
constexpr int kQ4_KBytes = 144; // f16 d, f16 dmin, uint8 scales[12], uint8 qs[128]
constexpr int kQ6_KBytes = 210; // uint8 ql[128], uint8 qh[64], int8 scales[16], f16 d

// Bytes per row of `cols` elements; 0 when the type is unsupported or cols is not a whole
// number of blocks.
static inline size_t row_bytes(int type, int64_t cols) {
  switch (type) {
    case kF32: return size_t(cols) * 4;
    case kF16:
    case kBF16: return size_t(cols) * 2;
    case kQ8_0: return cols % kQK8_0 ? 0 : size_t(cols / kQK8_0) * kQ8_0Bytes;
    case kQ4_0: return cols % kQK8_0 ? 0 : size_t(cols / kQK8_0) * kQ4_0Bytes;
    case kQ4_K: return cols % kQK_K ? 0 : size_t(cols / kQK_K) * kQ4_KBytes;
    case kQ6_K: return cols % kQK_K ? 0 : size_t(cols / kQK_K) * kQ6_KBytes;
    default: return 0;
  }
}

static inline uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

static inline float bits_to_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

static inline uint32_t f32_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// IEEE half -> float, exact (subnormals, inf, NaN payload kept).
static inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0) {
    const float v = float(mant) * 5.9604644775390625e-8f;  // mant * 2^-24, exact
    return sign ? -v : v;
  }
  if (exp == 31) return bits_to_f32(sign | 0x7f800000u | (mant << 13));
  return bits_to_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

// float -> IEEE half, round to nearest even (like ggml's GGML_FP32_TO_FP16 / F16C).
static inline uint16_t f32_to_f16(float f) {
  const uint32_t u = f32_to_bits(f);
  const uint32_t sign = (u >> 16) & 0x8000;
  const uint32_t a = u & 0x7fffffff;
  if (a >= 0x7f800000) return uint16_t(a == 0x7f800000 ? sign | 0x7c00 : sign | 0x7e00 | ((a >> 13) & 0x3ff));
  if (a >= 0x477ff000) return uint16_t(sign | 0x7c00);
  if (a < 0x38800000) {
    const uint32_t e = a >> 23;
    const uint32_t shift = 126 - e;
    if (shift > 24) return uint16_t(sign);
    const uint32_t m = (a & 0x7fffff) | 0x800000;
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return uint16_t(sign | q);
  }
  uint32_t h = (((a >> 23) - 112) << 10) | ((a >> 13) & 0x3ff);
  const uint32_t rem = a & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
  return uint16_t(sign | h);
}

static inline float bf16_to_f32(uint16_t b) { return bits_to_f32(uint32_t(b) << 16); }

// ggml's nearest_int: round half to even via the 1.5 * 2^23 trick (valid for |v| < 2^22).
static inline int nearest_int(float v) {
  const float val = v + 12582912.f;
  int32_t i;
  std::memcpy(&i, &val, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// Q4_K sub-block j's 6-bit scale and min from the 12 packed scale bytes (get_scale_min_k4).
static inline void q4k_scale_min(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

}  // namespace flt

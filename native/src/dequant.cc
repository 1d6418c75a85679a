#include "dequant.h"

#include <cstring>

#include "ggml_blocks.h"

namespace flt {

bool dequantize_row(int type, const uint8_t* src, float* dst, int cols) {
  switch (type) {
    case kF32:
      std::memcpy(dst, src, size_t(cols) * 4);
      return true;
    case kF16:
      for (int i = 0; i < cols; i++) dst[i] = f16_to_f32(load_u16(src + 2 * i));
      return true;
    case kBF16:
      for (int i = 0; i < cols; i++) dst[i] = bf16_to_f32(load_u16(src + 2 * i));
      return true;
    case kQ8_0:
      for (int b = 0; b < cols / 32; b++) {
        const uint8_t* blk = src + size_t(b) * kQ8_0Bytes;
        const float d = f16_to_f32(load_u16(blk));
        for (int j = 0; j < 32; j++) dst[32 * b + j] = float(int8_t(blk[2 + j])) * d;
      }
      return true;
    case kQ4_0:
      for (int b = 0; b < cols / 32; b++) {
        const uint8_t* blk = src + size_t(b) * kQ4_0Bytes;
        const float d = f16_to_f32(load_u16(blk));
        for (int j = 0; j < 16; j++) {
          dst[32 * b + j] = float(int(blk[2 + j] & 0x0f) - 8) * d;
          dst[32 * b + j + 16] = float(int(blk[2 + j] >> 4) - 8) * d;
        }
      }
      return true;
    case kQ4_K:
      for (int b = 0; b < cols / 256; b++) {
        const uint8_t* blk = src + size_t(b) * kQ4_KBytes;
        const float d = f16_to_f32(load_u16(blk));
        const float dmin = f16_to_f32(load_u16(blk + 2));
        float* y = dst + 256 * b;
        for (int c = 0; c < 4; c++) {
          uint8_t sc, m;
          q4k_scale_min(2 * c, blk + 4, &sc, &m);
          const float d1 = d * sc, m1 = dmin * m;
          q4k_scale_min(2 * c + 1, blk + 4, &sc, &m);
          const float d2 = d * sc, m2 = dmin * m;
          const uint8_t* q = blk + 16 + 32 * c;
          for (int l = 0; l < 32; l++) {
            y[64 * c + l] = d1 * float(q[l] & 0x0f) - m1;
            y[64 * c + 32 + l] = d2 * float(q[l] >> 4) - m2;
          }
        }
      }
      return true;
    case kQ6_K:
      for (int b = 0; b < cols / 256; b++) {
        const uint8_t* blk = src + size_t(b) * kQ6_KBytes;
        const float d = f16_to_f32(load_u16(blk + 208));
        const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192);
        for (int h = 0; h < 2; h++) {
          const uint8_t* ql = blk + 64 * h;
          const uint8_t* qh = blk + 128 + 32 * h;
          const int8_t* s = sc + 8 * h;
          float* y = dst + 256 * b + 128 * h;
          for (int l = 0; l < 32; l++) {
            const int g = l / 16;
            y[l] = d * s[g] * float(int((ql[l] & 0xf) | ((qh[l] & 3) << 4)) - 32);
            y[l + 32] = d * s[g + 2] * float(int((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32);
            y[l + 64] = d * s[g + 4] * float(int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            y[l + 96] = d * s[g + 6] * float(int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
          }
        }
      }
      return true;
    default:
      return false;
  }
}

}  // namespace flt

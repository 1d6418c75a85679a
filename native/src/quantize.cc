#include "quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "ggml_blocks.h"

namespace flt {

namespace {

// make_qkx2_quants: x ~= scale * L - min over n values, L in [0, nmax], errors weighted.
// Returns the scale; *theMin receives -min (>= 0).
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* theMin,
                       uint8_t* laux, float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0];
  float sumW = weights[0];
  float sumX = sumW * x[0];
  for (int i = 1; i < n; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sumW += w;
    sumX += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; i++) L[i] = 0;
    *theMin = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float bestError = 0;
  for (int i = 0; i < n; i++) {
    int l = nearest_int(iscale * (x[i] - min));
    l = l < 0 ? 0 : (l > nmax ? nmax : l);
    L[i] = uint8_t(l);
    float diff = scale * l + min - x[i];
    diff = diff * diff;
    bestError += weights[i] * diff;
  }
  if (nstep < 1) {
    *theMin = -min;
    return scale;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sumL = 0, sumL2 = 0, sumXL = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * (x[i] - min));
      l = l < 0 ? 0 : (l > nmax ? nmax : l);
      laux[i] = uint8_t(l);
      const float w = weights[i];
      sumL += w * l;
      sumL2 += w * l * l;
      sumXL += w * l * x[i];
    }
    const float D = sumW * sumL2 - sumL * sumL;
    if (D > 0) {
      float thisScale = (sumW * sumXL - sumX * sumL) / D;
      float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      float curError = 0;
      for (int i = 0; i < n; ++i) {
        float diff = thisScale * laux[i] + thisMin - x[i];
        diff = diff * diff;
        curError += weights[i] * diff;
      }
      if (curError < bestError) {
        for (int i = 0; i < n; ++i) L[i] = laux[i];
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  *theMin = -min;
  return scale;
}

void quantize_q4_k_block(const float* x, uint8_t* y) {
  uint8_t L[256], laux[32];
  float weights[32], mins[8], scales[8];
  std::memset(y, 0, kQ4_KBytes);
  uint8_t* sc = y + 4;
  float maxScale = 0, maxMin = 0;
  for (int j = 0; j < 8; j++) {
    const float* s = x + 32 * j;
    float sumX2 = 0;
    for (int l = 0; l < 32; l++) sumX2 += s[l] * s[l];
    const float avX = std::sqrt(sumX2 / 32);
    for (int l = 0; l < 32; l++) weights[l] = avX + std::fabs(s[l]);
    scales[j] = make_qkx2_quants(32, 15, s, weights, L + 32 * j, &mins[j], laux, -1.f, 0.1f, 20);
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  const float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
  const float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
  for (int j = 0; j < 8; j++) {
    uint8_t ls = uint8_t(nearest_int(invScale * scales[j]));
    uint8_t lm = uint8_t(nearest_int(invMin * mins[j]));
    ls = ls > 63 ? 63 : ls;
    lm = lm > 63 ? 63 : lm;
    if (j < 4) {
      sc[j] = ls;
      sc[j + 4] = lm;
    } else {
      sc[j + 4] = uint8_t((ls & 0xF) | ((lm & 0xF) << 4));
      sc[j - 4] |= uint8_t((ls >> 4) << 6);
      sc[j] |= uint8_t((lm >> 4) << 6);
    }
  }
  const uint16_t hd = f32_to_f16(maxScale / 63.f), hm = f32_to_f16(maxMin / 63.f);
  std::memcpy(y, &hd, 2);
  std::memcpy(y + 2, &hm, 2);
  const float dAll = f16_to_f32(hd), mAll = f16_to_f32(hm);
  for (int j = 0; j < 8; j++) {
    uint8_t s, m;
    q4k_scale_min(j, sc, &s, &m);
    const float d = dAll * s;
    if (d == 0.f) continue;
    const float dm = mAll * m;
    for (int i = 0; i < 32; i++) {
      int l = nearest_int((x[32 * j + i] + dm) / d);
      L[32 * j + i] = uint8_t(l < 0 ? 0 : (l > 15 ? 15 : l));
    }
  }
  uint8_t* q = y + 16;
  for (int c = 0; c < 4; c++)
    for (int l = 0; l < 32; l++) q[32 * c + l] = uint8_t(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
}

}  // namespace

void quantize_q4_k(const float* src, size_t n, uint8_t* dst) {
  const size_t numBlocks = n / 256;
  const size_t numThreads = std::max<size_t>(1, std::min<size_t>(std::thread::hardware_concurrency(), numBlocks / 1024));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < numThreads; t++)
    threads.emplace_back([=] {
      for (size_t b = numBlocks * t / numThreads; b < numBlocks * (t + 1) / numThreads; b++)
        quantize_q4_k_block(src + 256 * b, dst + b * kQ4_KBytes);
    });
  for (auto& th : threads) th.join();
}

}  // namespace flt

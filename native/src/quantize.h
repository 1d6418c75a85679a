// Weight quantization in C++ (portable; blocks split over the machine's cores): a port of the reference quantizers in
// src/engine/quant, bit for bit, for making large test and benchmark models quickly.
#pragma once
#include <cstddef>
#include <cstdint>

namespace flt {

// Quantizes n floats (a multiple of 256) to Q4_K blocks at dst (n / 256 * 144 bytes), like
// quantize_row_q4_K_ref.
void quantize_q4_k(const float* src, size_t n, uint8_t* dst);

}  // namespace flt

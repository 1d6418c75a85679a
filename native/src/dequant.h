// Decoding of one row of any supported weight type to f32 (portable; used by embed).
#pragma once
#include <cstdint>

namespace flt {

// dst (cols) = row of `type` at src; returns false for an unsupported type.
bool dequantize_row(int type, const uint8_t* src, float* dst, int cols);

}  // namespace flt

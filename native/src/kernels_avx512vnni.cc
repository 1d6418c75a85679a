// AVX-512 kernel table with VNNI (binding.gyp defines FLT_VNNI and adds -mavx512vnni).
#include "kernels_avx512.inc"

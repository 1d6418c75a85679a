// AVX-512 F/BW/VL/DQ kernel table (see kernels_avx512.inc).
#include "kernels_avx512.inc"

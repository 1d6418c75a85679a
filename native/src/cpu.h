// Which kernel tables this CPU can run, best last, and the table for a requested ISA.
#pragma once
#include <string>
#include <vector>

#include "kernels.h"

namespace flt {

// Names of the instruction sets that are both compiled in and supported by this CPU, in
// increasing order: "scalar", then "avx2", "avx512", "avx512vnni", "amx" as available.
std::vector<std::string> supported_isas();

// The best supported table not above `cap` ("" = the best there is); nullptr when `cap` is not
// one of the names above.
const Kernels* select_kernels(const std::string& cap);

}  // namespace flt

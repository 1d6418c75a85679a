#include "cpu.h"

#if defined(FLT_X86)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif

namespace flt {

namespace {

struct Isa {
  const char* name;
  const Kernels* (*table)();
  bool (*supported)();
};

#if defined(FLT_X86)
bool has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
bool has_avx512() {
  return has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
bool has_avx512vnni() { return has_avx512() && __builtin_cpu_supports("avx512vnni"); }
// AMX-TILE and AMX-INT8 (CPUID.7.0:EDX bits 24, 25), and the kernel's permission for this
// process to use tile data (Linux arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA).
bool has_amx() {
  if (!has_avx512vnni()) return false;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 25))) return false;
#if defined(__linux__)
  static const bool granted = syscall(SYS_arch_prctl, 0x1023, 18) == 0;
  return granted;
#else
  return false;
#endif
}
#define FLT_X86_ISA(name, table, test) {name, table, test}
#else
bool never() { return false; }
#define FLT_X86_ISA(name, table, test) {name, nullptr, never}
#endif
bool always() { return true; }

// Every name is known on every platform so a cap means the same everywhere.
const Isa kIsas[] = {
    {"scalar", kernels_scalar, always},
    FLT_X86_ISA("avx2", kernels_avx2, has_avx2),
    FLT_X86_ISA("avx512", kernels_avx512, has_avx512),
    FLT_X86_ISA("avx512vnni", kernels_avx512vnni, has_avx512vnni),
    FLT_X86_ISA("amx", kernels_amx, has_amx),
};

}  // namespace

std::vector<std::string> supported_isas() {
  std::vector<std::string> out;
  for (const Isa& isa : kIsas)
    if (isa.supported()) out.emplace_back(isa.name);
  return out;
}

const Kernels* select_kernels(const std::string& cap) {
  const Kernels* best = nullptr;
  bool capFound = cap.empty();
  for (const Isa& isa : kIsas) {
    if (isa.supported()) best = isa.table();
    if (cap == isa.name) {
      capFound = true;
      break;
    }
  }
  return capFound ? best : nullptr;
}

}  // namespace flt

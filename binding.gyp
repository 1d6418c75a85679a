# The native backend (src/engine/backend/native): N-API addon with portable kernels and, on
# x86-64, AVX2 and AVX-512 kernel tables compiled with their own flags and chosen at run time
# from what the CPU reports. Never -march=native: the binary runs on any x86-64 / arm64 CPU.
{
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-O3", "-ffp-contract=off", "-fexceptions", "-fPIC"],
    "cflags": ["-O3", "-fPIC"],
    "include_dirs": ["native/src"],
  },
  "targets": [
    {
      "target_name": "flotilla_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/cpu.cc",
        "native/src/dequant.cc",
        "native/src/kernels_scalar.cc",
        "native/src/ops.cc",
        "native/src/quantize.cc",
        "native/src/thread_pool.cc",
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["FLT_X86=1"],
          "dependencies": ["flotilla_avx2", "flotilla_avx512", "flotilla_avx512vnni", "flotilla_amx"],
        }],
      ],
    },
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "flotilla_avx2",
          "type": "static_library",
          "sources": ["native/src/kernels_avx2.cc"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c"],
        },
        {
          "target_name": "flotilla_avx512",
          "type": "static_library",
          "sources": ["native/src/kernels_avx512.cc"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-Wno-uninitialized", "-Wno-maybe-uninitialized"],
        },
        {
          "target_name": "flotilla_avx512vnni",
          "type": "static_library",
          "sources": ["native/src/kernels_avx512vnni.cc"],
          "defines": ["FLT_VNNI=1"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni", "-Wno-uninitialized", "-Wno-maybe-uninitialized"],
        },
        {
          "target_name": "flotilla_amx",
          "type": "static_library",
          "sources": ["native/src/kernels_amx.cc"],
          "defines": ["FLT_X86=1"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni", "-mamx-tile", "-mamx-int8", "-Wno-uninitialized", "-Wno-maybe-uninitialized"],
        },
      ],
    }],
  ],
}

# Native parts of proofwatch, built by `node-gyp rebuild` (scripts/build-native.sh):
#   proofwatch_nvml    the Node addon (native/index.ts loads it)
#   fake_nvml          libnvidia-ml look-alike driven by a JSON scenario, for tests and demos
#   fake_nvml_legacy   the same without the entry points drivers before r510 lack, so tests
#                      can exercise the loader's fallbacks against a library that misses them
#   nvml_probe         plain executable for GPU hosts that have no Node
# None of them links libnvidia-ml: the loader dlopens it at run time.
{
  "variables": {
    "fake_nvml_sources": [
      "native/fake-nvml/src/fake_nvml.cc",
      "native/fake-nvml/src/scenario.cc",
      "native/fake-nvml/src/state.cc",
      "native/src/nvml_loader.cc",
    ],
  },
  "target_defaults": {
    "include_dirs": ["native/include", "native/src"],
    "cflags": ["-Wall", "-Wextra", "-pthread"],
    "cflags_cc": ["-std=c++17"],
    "ldflags": ["-pthread"],
    "libraries": ["-ldl"],
  },
  "targets": [
    {
      "target_name": "proofwatch_nvml",
      "sources": [
        "native/src/addon.cc",
        "native/src/device_reader.cc",
        "native/src/device_workers.cc",
        "native/src/nvml_loader.cc",
        "native/src/xid_events.cc",
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    },
    {
      "target_name": "fake_nvml",
      "type": "shared_library",
      "sources": ["<@(fake_nvml_sources)"],
      # Only the NVML entry points are exported; everything else stays private to the .so.
      # nlohmann/json reports parse errors by throwing, so this target keeps exceptions.
      "cflags": ["-fvisibility=hidden"],
      "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/fake-nvml/exports.map"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-fexceptions"],
    },
    {
      "target_name": "fake_nvml_legacy",
      "type": "shared_library",
      "sources": ["<@(fake_nvml_sources)"],
      "defines": ["FAKE_NVML_LEGACY_DRIVER"],
      "cflags": ["-fvisibility=hidden"],
      "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/fake-nvml/exports.map"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-fexceptions"],
    },
    {
      "target_name": "nvml_probe",
      "type": "executable",
      "sources": [
        "native/probe/nvml_probe.cc",
        "native/src/device_reader.cc",
        "native/src/nvml_loader.cc",
        "native/src/xid_events.cc",
      ],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-fexceptions"],
    },
    # The BN254 library (bn254/: field, curve, MSM building blocks, pairing), the same
    # sources the prover's CMake target `bn254` builds, as a static library the verifier
    # addon depends on (better-sqlite3's addon and its sqlite3 target). The flags come from
    # bn254/compile-flags.sh, as in CMake, and reach the addon through
    # direct_dependent_settings since the headers compile into it. Exceptions and RTTI are
    # on as in the CMake build: ThreadPool carries a task's exception back to its caller;
    # nothing the addon calls throws.
    {
      "target_name": "bn254",
      "type": "static_library",
      "sources": [
        "bn254/src/ff/backend_check.cpp",
        "bn254/src/ff/decimal.cpp",
        "bn254/src/pairing/pairing.cpp",
        "bn254/src/pairing/self_test.cpp",
        "bn254/src/util/thread_pool.cpp",
      ],
      "include_dirs": ["bn254/include"],
      "cflags": ["<!@(sh bn254/compile-flags.sh <(target_arch))"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-fexceptions", "-frtti"],
      "configurations": {"Release": {"cflags!": ["-fno-omit-frame-pointer"]}},
      "direct_dependent_settings": {
        "include_dirs": ["bn254/include"],
        "cflags": ["<!@(sh bn254/compile-flags.sh <(target_arch))"],
      },
    },
    # Groth16 verifier addon (verifier/native.ts loads it): the BN254 pairing of bn254/,
    # host code only.
    {
      "target_name": "proofwatch_verifier",
      "dependencies": ["bn254"],
      "sources": [
        "verifier/native/src/addon.cc",
        "verifier/native/src/groth16_verifier.cc",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "verifier/native/src",
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "configurations": {"Release": {"cflags!": ["-fno-omit-frame-pointer"]}},
    },
  ],
}

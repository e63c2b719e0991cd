# Native parts of proofwatch, built by `node-gyp rebuild` (scripts/build-native.sh):
#   proofwatch_nvml  the Node addon (native/index.ts loads it)
#   fake_nvml        libnvidia-ml look-alike driven by a JSON scenario, for tests and demos
#   nvml_probe       plain executable for GPU hosts that have no Node
# None of them links libnvidia-ml: the loader dlopens it at run time.
{
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
      "product_name": "fake_nvml",
      "sources": [
        "native/fake-nvml/src/fake_nvml.cc",
        "native/fake-nvml/src/scenario.cc",
        "native/fake-nvml/src/state.cc",
        "native/src/nvml_loader.cc",
      ],
      # Only the NVML entry points are exported; everything else stays private to the .so.
      # nlohmann/json reports parse errors by throwing, so this target keeps exceptions.
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
  ],
}

#!/bin/sh
# The compiler flags of the BN254 library, for every build that compiles it: CMake
# (bn254/CMakeLists.txt, for the prover) and node-gyp (binding.gyp, for the verifier addon)
# both ask this script, and pass the flags on to what includes the headers, so the field,
# curve and pairing code is compiled alike wherever it runs.
#   usage: compile-flags.sh ARCH     (uname -m spelling, or node-gyp's target_arch)
# -march stops at x86-64-v2 (SSE4.2, POPCNT): the fleet's and CI's machines vary. The
# MULX/ADX field product is inline assembly chosen at run time from CPUID, so it needs no
# -m flag. The frame pointer is omitted (node-gyp's Release default keeps it) because the
# Montgomery product wants every general register.
flags="-O3 -DNDEBUG -fomit-frame-pointer"
case "$1" in
x86_64 | x64 | AMD64 | amd64) flags="$flags -march=x86-64-v2" ;;
esac
echo "$flags"

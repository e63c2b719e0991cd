#!/usr/bin/env bash
# The GPU checks of prover/GPU.md in one go, for a machine with an NVIDIA GPU:
#   bash prover/tests/cuda_device_check.sh BUILD_DIR FIXTURES_DIR OUT_DIR [DEVICE]
# BUILD_DIR holds proofwatch-prover and prover-cuda-emu built with the CUDA backend;
# FIXTURES_DIR holds the test circuits (.cache/circuits/<name>/{circuit.zkey,
# witness.wtns}) and optionally bench/ (bench.r1cs, witness.wtns: a MimcChain circuit
# from bench/prover, keyed here with dev-setup). Writes gpu_checks.jsonl, proofs and
# timings to OUT_DIR; verify the proofs with snarkjs where Node is (GPU.md says how).
# Exit status 1 when any GPU result differs from the CPU's.
set -uo pipefail
build=$1 fixtures=$2 out=$3 device=${4:-0}
mkdir -p "$out"
fail=0
log() { echo "$*" | tee -a "$out/summary.txt"; }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
{
  echo devices
  for k in 10 12 14 16 18 20 22; do echo "gpu_msm_random $k $((1000 + k)) mixed $device"; done
  for s in bits zero one repeated full infinity; do echo "gpu_msm_random 16 77 $s $device"; done
  echo "gpu_msm_random 20 3 full $device"
  echo "gpu_msm_random 20 3 full $device"
  echo "gpu_msm_random 22 4 full $device"
  for k in 1 10 16 20 22; do echo "gpu_ntt_random $k $((500 + k)) $device"; done
  for k in 16 20 22; do echo "gpu_msm_profile $k 5 full $device 5"; done
  echo "gpu_msm_profile 20 5 mixed $device 5"
  echo "gpu_error_probe $device"
  echo "msm_stages 12 5 mixed"
} | "$build/prover-cuda-emu" >"$out/gpu_checks.jsonl"
cat "$out/gpu_checks.jsonl" | cut -c1-400
if grep -q '"equal":false\|"forward":false\|"inverse":false\|"error"' "$out/gpu_checks.jsonl"; then
  log "FAIL: a GPU MSM/NTT differs from the CPU or errored"
  fail=1
fi
grep -q 'out of device memory: cudaMallocAsync' "$out/gpu_checks.jsonl" || { log "FAIL: error probe"; fail=1; }

for name in multiplier multi_io mimc_4k; do
  d="$fixtures/circuits/$name"
  [ -f "$d/circuit.zkey" ] || continue
  "$build/proofwatch-prover" --backend cuda --device "$device" --seed 9 --timings "$out/$name-cuda-timings.json" \
    "$d/circuit.zkey" "$d/witness.wtns" "$out/$name-cuda-proof.json" "$out/$name-cuda-public.json"
  rc=$?
  "$build/proofwatch-prover" --backend cpu --seed 9 "$d/circuit.zkey" "$d/witness.wtns" \
    "$out/$name-cpu-proof.json" "$out/$name-cpu-public.json"
  if [ $rc -ne 0 ] || ! cmp -s "$out/$name-cuda-proof.json" "$out/$name-cpu-proof.json"; then
    log "FAIL: $name --backend cuda (exit $rc) differs from the CPU proof"
    fail=1
  else
    log "ok: $name --backend cuda proof equals the CPU proof (seed 9)"
  fi
done
d="$fixtures/circuits/mimc_4k"
"$build/proofwatch-prover" --backend cuda --inject-fault h-bitflip "$d/circuit.zkey" "$d/witness.wtns" \
  "$out/mimc_4k-fault-proof.json" "$out/mimc_4k-fault-public.json" || { log "FAIL: fault run"; fail=1; }
"$build/proofwatch-prover" --backend cuda --device 999 "$d/circuit.zkey" "$d/witness.wtns" /tmp/x.json /tmp/y.json \
  2>"$out/device999.txt"
log "--device 999: exit $? $(cat "$out/device999.txt")"

if [ -f "$fixtures/bench/bench.r1cs" ]; then
  b="$fixtures/bench"
  ( time "$build/proofwatch-prover" dev-setup "$b/bench.r1cs" /tmp/bench.zkey ) 2>&1 | tail -3
  for backend in cpu cuda cpu cuda; do
    "$build/proofwatch-prover" --backend $backend --timings "$out/bench-$backend-timings.json" \
      /tmp/bench.zkey "$b/witness.wtns" "$out/bench-$backend-proof.json" "$out/bench-$backend-public.json" \
      || { log "FAIL: bench $backend"; fail=1; }
    log "bench $backend: $(tr -d '\n ' <"$out/bench-$backend-timings.json")"
  done
fi
log "device check done, fail=$fail"
exit $fail

#!/usr/bin/env bash
# The GPU checks of prover/GPU.md in one go, for a machine with an NVIDIA GPU and no Node:
#   bash prover/tests/cuda_device_check.sh BUILD_DIR FIXTURES_DIR OUT_DIR [DEVICE]
# BUILD_DIR holds proofwatch-prover, proofwatch-prover-daemon, prover-cuda-emu and
# prover-bench-circuit built with the CUDA backend; FIXTURES_DIR holds the test circuits
# (.cache/circuits/<name>/{circuit.zkey,witness.wtns}). BENCH_LOGS (default "16 18 20")
# names the benchmark circuits to make there, key with dev-setup and prove on both
# backends. Writes gpu_checks.jsonl, bench.jsonl, proofs and summary.txt to OUT_DIR;
# verify the *-cuda-proof.json files with snarkjs where Node is (GPU.md says how).
# Exit status 1 when any GPU result differs from the CPU's.
set -uo pipefail
build=$1 fixtures=$2 out=$3 device=${4:-0}
mkdir -p "$out"
fail=0
log() { echo "$*" | tee -a "$out/summary.txt"; }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
log "cpu threads: $(nproc)"

# GPU against CPU, then device-only profiles: the layout's defaults and, for comparison,
# the fixed chunk 256 / 64-bucket segments of earlier runs.
{
  echo devices
  for k in 10 15 16 17 20; do echo "gpu_msm_random $k $((1000 + k)) mixed $device"; done
  echo "gpu_msm_random 22 4 full $device"
  for k in 10 14 18 20; do echo "gpu_g2_msm_random $k $((2000 + k)) mixed $device"; done
  for s in bits one repeated full infinity; do echo "gpu_g2_msm_random 14 78 $s $device"; done
  for k in 16 20; do echo "gpu_ntt_random $k $((500 + k)) $device"; done
  for k in 16 18 20 22; do
    echo "gpu_msm_profile $k 5 full $device 5"
    echo "gpu_msm_profile $k 5 full $device 5 256 64"
  done
  echo "gpu_msm_profile 20 5 full $device 5 64"
  # Point counts just under a power of two (a circuit's C query): the window choice.
  for n in 65534 262142 1048574; do echo "gpu_msm_profile_count $n 5 full $device 5"; done
  for k in 16 18 20; do echo "gpu_g2_msm_profile $k 6 full $device 5"; done
  echo "gpu_g2_msm_profile 20 6 full $device 5 256 64"
  echo "gpu_error_probe $device"
} | "$build/prover-cuda-emu" >"$out/gpu_checks.jsonl"
cut -c1-300 "$out/gpu_checks.jsonl"
if grep -q '"equal":false\|"forward":false\|"inverse":false\|"error"' "$out/gpu_checks.jsonl"; then
  log "FAIL: a GPU MSM/NTT differs from the CPU or errored"
  fail=1
fi
grep -q 'out of device memory: cudaMallocAsync' "$out/gpu_checks.jsonl" || { log "FAIL: error probe"; fail=1; }

# Fixture circuits: the CUDA proof is byte for byte the CPU proof under one seed.
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

# The known-answer canary (GPU.md "Canary"): every check passes, twice (the second run has
# the CUDA context's start-up behind it), each check's seconds in the report; no device, 8.
for run in 1 2; do
  "$build/proofwatch-prover" canary --device "$device" --json >"$out/canary-$run.json" 2>"$out/canary-$run.err"
  rc=$?
  log "canary run $run: exit $rc $(cut -c1-2000 "$out/canary-$run.json")"
  [ $rc -eq 0 ] || { log "FAIL: canary run $run (exit $rc): $(cat "$out/canary-$run.err")"; fail=1; }
done
"$build/proofwatch-prover" canary --device 999 2>"$out/canary-999.txt"
rc=$?
log "canary --device 999: exit $rc $(cat "$out/canary-999.txt")"
[ $rc -eq 8 ] || { log "FAIL: canary --device 999 should exit 8"; fail=1; }

# Proves bench folder $1's circuit with --backend $2 into oom-$2-*; sets rc, logs stderr.
oom_prove() {
  "$build/proofwatch-prover" --backend "$2" --device "$device" --seed 1 "$1/c.zkey" "$1/c.wtns" \
    "$out/oom-$2-proof.json" "$out/oom-$2-public.json" 2>"$out/oom-$2.txt"
  rc=$?
  log "--backend $2, 1 GiB free: exit $rc $(cat "$out/oom-$2.txt")"
}

# Out of device memory with a real key: another process holds all but 1 GiB. --backend
# cuda must refuse before uploading (exit 1, "out of device memory: this circuit needs
# ..."), and auto must prove on the CPU: the same proof as the CPU's under that seed.
oom_check() {
  local w=$1 holder i
  "$build/prover-cuda-emu" <<<"gpu_hold_memory $device 1024 60" >"$out/hold.txt" &
  holder=$!
  for i in $(seq 60); do [ -s "$out/hold.txt" ] && break; sleep 0.5; done
  log "another process holds device memory: $(head -1 "$out/hold.txt")"
  oom_prove "$w" cuda
  { [ $rc -eq 1 ] && grep -q 'out of device memory: this circuit needs' "$out/oom-cuda.txt"; } ||
    { log "FAIL: out-of-memory refusal"; fail=1; }
  oom_prove "$w" auto
  { [ $rc -eq 0 ] && cmp -s "$out/oom-auto-proof.json" "$w/cpu-1-proof.json"; } ||
    { log "FAIL: auto did not fall back to the CPU's proof"; fail=1; }
  kill "$holder" 2>/dev/null
  wait "$holder" 2>/dev/null
}

# Benchmark circuits: the daemon loads the key once (as the prover service runs it) and
# proves three witnesses per backend; the first CUDA proof pays the module load.
for k in ${BENCH_LOGS:-16 18 20}; do
  w=/tmp/bench-$k
  mkdir -p "$w"
  "$build/prover-bench-circuit" "$k" "$w/c.r1cs" "$w/c.wtns" 2>&1 | tee -a "$out/summary.txt"
  start=$EPOCHREALTIME
  "$build/proofwatch-prover" dev-setup "$w/c.r1cs" "$w/c.zkey" 2>/dev/null || { log "FAIL: dev-setup 2^$k"; fail=1; continue; }
  log "2^$k dev-setup $(awk "BEGIN { print $EPOCHREALTIME - $start }") s"
  for backend in cuda cpu; do
    for i in 1 2 3; do
      echo "{\"id\":\"$backend-$k-$i\",\"witness\":\"$w/c.wtns\",\"proof\":\"$w/$backend-$i-proof.json\",\"public\":\"$w/$backend-$i-public.json\",\"seed\":$i}"
    done | "$build/proofwatch-prover-daemon" --zkey "$w/c.zkey" --backend "$backend" --device "$device" |
      sed "s/^/{\"log\":$k,\"backend\":\"$backend\",\"answer\":/; s/\$/}/" | tee -a "$out/bench.jsonl" | cut -c1-400
  done
  for i in 1 2 3; do
    cmp -s "$w/cuda-$i-proof.json" "$w/cpu-$i-proof.json" || { log "FAIL: 2^$k proof $i differs between backends"; fail=1; }
  done
  cp "$w/cuda-1-proof.json" "$out/bench-$k-cuda-proof.json" 2>/dev/null
  [ "$k" = 20 ] && oom_check "$w"
  rm -f "$w/c.zkey"
done
log "device check done, fail=$fail"
exit $fail

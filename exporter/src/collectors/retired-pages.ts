import { gpuGauge, labelsOf, perGpuLabels, setIfPresent } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

export const retiredPages: CollectorFactory = {
  name: "retired_pages",
  defaultEnabled: true,
  groups: ["retiredPages"],
  description:
    "Memory pages retired for ECC errors (pre-Ampere GPUs), and whether a retirement awaits reboot",
  create(families) {
    const retired = gpuGauge(
      families,
      "proofwatch_gpu_retired_pages",
      "Device memory pages retired, by cause (multiple_single_bit_ecc|double_bit_ecc).",
      ["cause"],
    );
    const pending = gpuGauge(
      families,
      "proofwatch_gpu_retired_pages_pending",
      "1 when a page retirement waits for the next GPU reset or reboot.",
    );
    const causeLabels = perGpuLabels(({ gpu, uuid }) => ({
      singleBit: { gpu, uuid, cause: "multiple_single_bit_ecc" },
      doubleBit: { gpu, uuid, cause: "double_bit_ecc" },
    }));
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          const cause = causeLabels(gpu);
          setIfPresent(retired, cause.singleBit, values.get("retiredPagesSingleBitEcc"));
          setIfPresent(retired, cause.doubleBit, values.get("retiredPagesDoubleBitEcc"));
          setIfPresent(pending, labels, values.get("retiredPagesPending"));
        }
      },
    };
  },
};

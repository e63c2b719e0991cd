import { Gauge } from "prom-client";
import { labelsOf, readAll, setIfPresent } from "./read-all.js";
import type { CollectorFactory } from "./types.js";

export const retiredPages: CollectorFactory = {
  name: "retired_pages",
  defaultEnabled: true,
  description:
    "Memory pages retired for ECC errors (pre-Ampere GPUs), and whether a retirement awaits reboot",
  create(registry) {
    const retired = new Gauge({
      name: "proofwatch_gpu_retired_pages",
      help: "Device memory pages retired, by cause (multiple_single_bit_ecc|double_bit_ecc).",
      labelNames: ["gpu", "uuid", "cause"],
      registers: [registry],
    });
    const pending = new Gauge({
      name: "proofwatch_gpu_retired_pages_pending",
      help: "1 when a page retirement waits for the next GPU reset or reboot.",
      labelNames: ["gpu", "uuid"],
      registers: [registry],
    });
    return {
      collect: (context) =>
        readAll(context, "retired_pages", ["retiredPages"], (gpu, values) => {
          const labels = labelsOf(gpu);
          const cause = (name: string) => ({ ...labels, cause: name });
          setIfPresent(retired, cause("multiple_single_bit_ecc"), values.retiredPagesSingleBitEcc);
          setIfPresent(retired, cause("double_bit_ecc"), values.retiredPagesDoubleBitEcc);
          setIfPresent(pending, labels, values.retiredPagesPending);
        }),
    };
  },
};

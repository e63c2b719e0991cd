import { gpuGauge } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

export const identity: CollectorFactory = {
  name: "identity",
  defaultEnabled: true,
  groups: ["identity"],
  description: "proofwatch_gpu_info: name, driver, PCI bus id and serial of each GPU",
  create(families) {
    const info = gpuGauge(families, "proofwatch_gpu_info", "Identity of the GPU; always 1.", [
      "name",
      "driver_version",
      "pci_bus_id",
      "serial",
    ]);
    return {
      collect(readings, context) {
        for (const { gpu } of readings) {
          info.set(
            {
              gpu: String(gpu.index),
              uuid: gpu.uuid,
              name: gpu.name,
              driver_version: context.driverVersion,
              pci_bus_id: gpu.pciBusId,
              serial: gpu.serial,
            },
            1,
          );
        }
      },
    };
  },
};

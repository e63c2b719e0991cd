import type { GpuIdentity } from "../gpu-source.js";
import type { Labels } from "../scrape-families.js";
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
    // Built once per GPU identity, and again only when a new NVML init brings a new driver.
    const infoLabels = new WeakMap<GpuIdentity, Labels>();
    return {
      collect(readings, context) {
        for (const { gpu } of readings) {
          let labels = infoLabels.get(gpu);
          if (labels?.driver_version !== context.driverVersion) {
            labels = {
              gpu: String(gpu.index),
              uuid: gpu.uuid,
              name: gpu.name,
              driver_version: context.driverVersion,
              pci_bus_id: gpu.pciBusId,
              serial: gpu.serial,
            };
            infoLabels.set(gpu, labels);
          }
          info.set(labels, 1);
        }
      },
    };
  },
};

import type { GpuIdentity } from "../gpu-source.js";
import type { Labels } from "../scrape-families.js";
import { gpuGauge } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

export const identity: CollectorFactory = {
  name: "identity",
  defaultEnabled: true,
  groups: ["identity"],
  description:
    "proofwatch_gpu_info (name, driver, PCI bus id, serial, VBIOS and InfoROM of each GPU) and " +
    "proofwatch_driver_info (the host's driver and the CUDA version it supports)",
  create(families) {
    const info = gpuGauge(families, "proofwatch_gpu_info", "Identity of the GPU; always 1.", [
      "name",
      "driver_version",
      "pci_bus_id",
      "serial",
      "vbios_version",
      "inforom_version",
    ]);
    // One series per host: what a fleet-wide count by version, or a join on instance, needs
    // without counting every GPU. cuda_driver_version is "" where the driver cannot tell.
    const driver = families.add(
      "proofwatch_driver_info",
      "The NVIDIA driver on this host and the newest CUDA version it supports; always 1.",
      "gauge",
      ["driver_version", "cuda_driver_version"],
    );
    // Built once per GPU identity, and again only when a new NVML init brings a new driver.
    const infoLabels = new WeakMap<GpuIdentity, Labels>();
    let driverLabels: Labels = {};
    return {
      collect(readings, context) {
        if (
          driverLabels.driver_version !== context.driverVersion ||
          driverLabels.cuda_driver_version !== context.cudaDriverVersion
        ) {
          driverLabels = {
            driver_version: context.driverVersion,
            cuda_driver_version: context.cudaDriverVersion,
          };
        }
        driver.set(driverLabels, 1);
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
              vbios_version: gpu.vbiosVersion,
              inforom_version: gpu.inforomVersion,
            };
            infoLabels.set(gpu, labels);
          }
          info.set(labels, 1);
        }
      },
    };
  },
};

import { clocks } from "./clocks.js";
import { ecc } from "./ecc.js";
import { identity } from "./identity.js";
import { memory } from "./memory.js";
import { pcie } from "./pcie.js";
import { power } from "./power.js";
import { processes } from "./processes.js";
import { remappedRows } from "./remapped-rows.js";
import { retiredPages } from "./retired-pages.js";
import { thermal } from "./thermal.js";
import type { CollectorFactory } from "./types.js";
import { utilization } from "./utilization.js";
import { xid } from "./xid.js";

/** Every collector, by the name its --collector.<name> switch uses. */
export const COLLECTORS: readonly CollectorFactory[] = [
  identity,
  utilization,
  memory,
  thermal,
  power,
  pcie,
  clocks,
  ecc,
  retiredPages,
  remappedRows,
  processes,
  xid,
];

export type {
  Collector,
  CollectorFactory,
  GpuReading,
  ScrapeContext,
  SharedState,
} from "./types.js";

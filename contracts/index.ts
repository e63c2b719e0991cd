// Every message that crosses a process boundary, one schema each (README.md).
export * from "./alertmanager-webhook.js";
export * from "./bn254.js";
export * from "./canary-report.js";
export * from "./circuit-id.js";
export * from "./groth16.js";
export * from "./proof-submission.js";
export * from "./quarantine-list.js";

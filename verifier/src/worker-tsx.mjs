// Worker-thread entry when running from the TypeScript sources (vitest, `node --import tsx
// cli/main.ts`): Node 20 does not carry a parent's loader hooks into worker threads, so tsx
// is registered here, in the worker, before worker.ts is loaded. Compiled runs (dist/) start
// worker.js directly and never load this file.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");

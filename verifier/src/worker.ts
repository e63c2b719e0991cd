// Body of one verification worker thread: the only place that calls the native verifier, so
// that a pairing never runs on the thread serving HTTP. Messages are described in workers.ts.
import { parentPort } from "node:worker_threads";
import type { PreparedKey } from "../native.js";
import type { CheckItem, ToWorker, WorkerReply } from "./workers.js";

const port = parentPort;
if (!port) throw new Error("verifier/src/worker.ts runs as a worker thread only");

const send = (reply: WorkerReply) => port.postMessage(reply);

// Keys by the hash of their file; bounded, since a folder can be edited many times.
const KEY_CACHE_SIZE = 64;
const keys = new Map<string, PreparedKey>();

type Native = typeof import("../native.js");

async function loadNative(): Promise<Native | Error> {
  try {
    const native = await import("../native.js");
    if (!native.nativeVerifierAvailable()) {
      return new Error("the native verifier addon is not built (npm run build)");
    }
    return native;
  } catch (error) {
    return error as Error;
  }
}

function key(native: Native, keyHash: string, keyJson: string): PreparedKey {
  let prepared = keys.get(keyHash);
  if (!prepared) {
    prepared = native.prepareKey(keyJson);
    if (keys.size >= KEY_CACHE_SIZE) keys.delete(keys.keys().next().value as string);
    keys.set(keyHash, prepared);
  }
  return prepared;
}

const native = await loadNative();
send(native instanceof Error ? { type: "ready", error: native.message } : { type: "ready" });

port.on("message", (message: ToWorker) => {
  if (native instanceof Error) {
    send({ type: "error", seq: message.seq, message: native.message });
    return;
  }
  try {
    if (message.type === "prepare") {
      const prepared = native.prepareKey(message.keyJson);
      send({ type: "prepared", seq: message.seq, nPublic: prepared.nPublic });
      return;
    }
    const started = performance.now();
    // The items are canonical already (schema.ts `checkProof`): nothing is parsed again.
    const prepared = key(native, message.keyHash, message.keyJson);
    const verdicts =
      message.items.length === 1
        ? [native.verifyCanonicalProof(prepared, message.items[0] as CheckItem)]
        : native.verifyCanonicalBatch(prepared, message.items);
    send({
      type: "checked",
      seq: message.seq,
      verdicts: verdicts.map((v) => ({ result: v.result, reason: v.reason ?? null })),
      ms: performance.now() - started,
    });
  } catch (error) {
    send({ type: "error", seq: message.seq, message: (error as Error).message });
  }
});

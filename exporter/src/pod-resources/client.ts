// The kubelet's pod-resources API (v1 PodResourcesLister.List) over its unix socket, through
// @grpc/grpc-js and the kubelet's own .proto (exporter/proto/kubelet/podresources/v1).
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { z } from "zod";
import { packageRoot } from "../../../common/package-root.js";
import { describeIssues } from "../../../common/schema.js";

export { DEFAULT_POD_RESOURCES_SOCKET } from "./socket.js";

export function podResourcesProtoPath(): string {
  return join(packageRoot(), "exporter/proto/kubelet/podresources/v1/api.proto");
}

// proto-loader's decoding: camelCase field names, every repeated field present (possibly
// empty), int64 as strings (cpu ids; unused here, but never a lossy number).
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
};

let definition: grpc.GrpcObject | undefined;

/** The v1 package of the kubelet's .proto, loaded once. */
export function podResourcesPackage(): grpc.GrpcObject {
  definition ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(podResourcesProtoPath(), LOADER_OPTIONS),
  ).v1 as grpc.GrpcObject;
  return definition;
}

// Only the fields this exporter reads; the rest of the answer (CPUs, memory) passes unchecked.
const claimResource = z.object({
  driverName: z.string(),
  deviceName: z.string(),
  cdiDevices: z.array(z.object({ name: z.string() })),
});
const container = z.object({
  name: z.string(),
  devices: z.array(z.object({ resourceName: z.string(), deviceIds: z.array(z.string()) })),
  // Absent before Kubernetes 1.27: the kubelet then reports device-plugin devices only.
  dynamicResources: z
    .array(z.object({ claimResources: z.array(claimResource) }))
    .optional()
    .default([]),
});
const listResponse = z.object({
  podResources: z.array(
    z.object({ name: z.string(), namespace: z.string(), containers: z.array(container) }),
  ),
});

export type PodResourcesList = z.infer<typeof listResponse>;

/** A failed List; `kind` (a gRPC status name, or "invalid_answer") stays the same while the
 * cause does, where the message carries timings and addresses that change every call. */
export class PodResourcesError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

type ListCallback = (error: grpc.ServiceError | null, response?: unknown) => void;
interface ListerClient extends grpc.Client {
  List(
    request: Record<string, never>,
    options: grpc.CallOptions,
    callback: ListCallback,
  ): grpc.ClientUnaryCall;
}

/** One connection to the kubelet's socket; dropped after a failure so that the next call dials anew. */
export class PodResourcesClient {
  private client: ListerClient | undefined;

  constructor(private readonly socketPath: string) {}

  /** List, failing with a reason once `timeoutMs` has passed without an answer. */
  list(timeoutMs: number): Promise<PodResourcesList> {
    const client = this.connect();
    return new Promise((resolve, reject) => {
      client.List({}, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) {
          this.disconnect();
          const kind = grpc.status[error.code] ?? String(error.code);
          const why = error.details || error.message;
          reject(new PodResourcesError(kind, `List on ${this.socketPath}: ${kind}: ${why}`));
          return;
        }
        const parsed = listResponse.safeParse(response);
        if (!parsed.success) {
          const why = describeIssues(parsed.error);
          reject(new PodResourcesError("invalid_answer", `List on ${this.socketPath}: ${why}`));
          return;
        }
        resolve(parsed.data);
      });
    });
  }

  close(): void {
    this.disconnect();
  }

  private connect(): ListerClient {
    if (this.client === undefined) {
      const Lister = podResourcesPackage().PodResourcesLister as grpc.ServiceClientConstructor;
      // A reconnect backoff that has grown while the socket was missing (up to 2 minutes in
      // grpc-js) would outlast the socket's return; a fresh channel per failure does not.
      this.client = new Lister(`unix:${this.socketPath}`, grpc.credentials.createInsecure(), {
        // The kubelet answers for every pod on the node; grpc-js' default cap is 4 MiB.
        "grpc.max_receive_message_length": 16 * 1024 * 1024,
      }) as unknown as ListerClient;
    }
    return this.client;
  }

  private disconnect(): void {
    this.client?.close();
    this.client = undefined;
  }
}

// A stand-in for the kubelet's pod-resources endpoint: no kubelet can run on these machines, so
// this is a gRPC server speaking the kubelet's own .proto (the vendored copy the exporter loads)
// on a unix socket, answering List with whatever the test sets, or never answering at all.
import { createServer, type Server, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { podResourcesPackage } from "../../exporter/src/pod-resources/client.js";

/** ListPodResourcesResponse as proto-loader takes it (camelCase field names). */
export interface PodResource {
  name: string;
  namespace: string;
  containers: {
    name: string;
    devices?: { resourceName: string; deviceIds: string[] }[];
    dynamicResources?: {
      claimName: string;
      claimNamespace: string;
      claimResources: {
        driverName: string;
        poolName: string;
        deviceName: string;
        cdiDevices: { name: string }[];
      }[];
    }[];
  }[];
}

export class KubeletStandIn {
  /** What List answers, or "hang": the call is accepted and never answered. */
  answer: PodResource[] | "hang" = [];
  calls = 0;
  private readonly server = new grpc.Server();
  private readonly hung: grpc.sendUnaryData<unknown>[] = [];

  private constructor() {
    const service = (podResourcesPackage().PodResourcesLister as grpc.ServiceClientConstructor)
      .service;
    const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: "not in this stand-in" });
    this.server.addService(service, {
      List: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        this.calls += 1;
        if (this.answer === "hang") {
          this.hung.push(callback);
          return;
        }
        callback(null, { podResources: this.answer });
      },
      Get: unimplemented,
      GetAllocatableResources: unimplemented,
    });
  }

  static async listen(socketPath: string): Promise<KubeletStandIn> {
    const standIn = new KubeletStandIn();
    await new Promise<number>((resolve, reject) =>
      standIn.server.bindAsync(
        `unix:${socketPath}`,
        grpc.ServerCredentials.createInsecure(),
        (error, port) => (error ? reject(error) : resolve(port)),
      ),
    );
    return standIn;
  }

  close(): void {
    this.server.forceShutdown();
  }
}

/** A socket that accepts connections and never says a word, not even HTTP/2's preface. */
export async function listenSilently(socketPath: string): Promise<{ close(): void }> {
  const held: Socket[] = [];
  const server: Server = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    close() {
      for (const socket of held) socket.destroy();
      server.close();
    },
  };
}

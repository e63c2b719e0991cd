import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `host:port`, `[v6]:port` or `:port` (all interfaces), as Prometheus exporters take it. */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new Error(`invalid listen address "${text}": expected host:port, e.g. 0.0.0.0:9840`);
  }
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** Starts listening and resolves once bound, rejecting on EADDRINUSE and the like. */
export function listen(server: Server, address: ListenAddress): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(address.port, address.host, () => {
      server.off("error", onError);
      const bound = server.address() as AddressInfo;
      resolve({ host: address.host, port: bound.port });
    });
  });
}

/** Stops listening and resolves once closed: open connections, requests in flight included,
 * are dropped rather than waited for. */
export function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

export function urlOf(address: ListenAddress, scheme: "http" | "https" = "http"): string {
  const host = address.host === "0.0.0.0" || address.host === "::" ? "127.0.0.1" : address.host;
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ListenAddress {
  host: string;
  port: number;
}

/** What `:port` binds: every address, IPv6 and (dual-stack) IPv4, as Go's net.Listen does. */
export const EVERY_ADDRESS = "::";

/**
 * Parses `host:port`, `[v6]:port` or `:port` (every address, IPv4 and IPv6), as Prometheus
 * exporters take it.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new Error(
      `invalid listen address "${text}": expected host:port, [IPv6]:port or :port, e.g. :9840`,
    );
  }
  return { host: match[1] ?? (match[2] || EVERY_ADDRESS), port };
}

function listenOnce(server: Server, address: ListenAddress): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    // ipv6Only false: "::" takes IPv4 connections too (as ::ffff:a.b.c.d).
    server.listen({ port: address.port, host: address.host, ipv6Only: false }, () => {
      server.off("error", onError);
      const bound = server.address() as AddressInfo;
      resolve({ host: address.host, port: bound.port });
    });
  });
}

/**
 * Starts listening and resolves once bound, rejecting on EADDRINUSE and the like. On a host
 * without IPv6 (a kernel or container with it turned off) `:port` falls back to every IPv4
 * address.
 */
export async function listen(server: Server, address: ListenAddress): Promise<ListenAddress> {
  try {
    return await listenOnce(server, address);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const noIpv6 = code === "EAFNOSUPPORT" || code === "EADDRNOTAVAIL";
    if (address.host !== EVERY_ADDRESS || !noIpv6) throw error;
    return listenOnce(server, { host: "0.0.0.0", port: address.port });
  }
}

/** `host:port` as bound, `[::]:9840` for every address, for logs. */
export function formatAddress(address: ListenAddress): string {
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}

/** Stops listening and resolves once closed: open connections, requests in flight included,
 * are dropped rather than waited for. */
export function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

/** A URL this host can reach the server on: loopback when it listens on every address. */
export function urlOf(address: ListenAddress, scheme: "http" | "https" = "http"): string {
  const host = address.host === "0.0.0.0" || address.host === "::" ? "127.0.0.1" : address.host;
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

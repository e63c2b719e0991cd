// `:PORT` listens on every address, IPv4 and IPv6, as node_exporter's --web.listen-address does
// (issue 17), and the exporter takes that flag name as an alias of --listen.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatAddress, parseListenAddress } from "../../common/listen.js";
import { parseExporterArgs } from "../../exporter/src/cli.js";
import { type CliProcess, spawnCli } from "../helpers/cli.js";
import { until } from "../helpers/until.js";

/** Whether this machine can listen on ::1 (containers may have IPv6 turned off). */
async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(0, "::1", () => server.close(() => resolve(true)));
  });
}

const ipv6 = await hasIpv6Loopback();

describe("listen addresses", () => {
  it.each([
    [":9840", { host: "::", port: 9840 }, "[::]:9840"],
    ["0.0.0.0:9840", { host: "0.0.0.0", port: 9840 }, "0.0.0.0:9840"],
    ["[::1]:9840", { host: "::1", port: 9840 }, "[::1]:9840"],
    ["localhost:0", { host: "localhost", port: 0 }, "localhost:0"],
  ])("%s is %j, logged as %s", (text, address, logged) => {
    expect(parseListenAddress(text)).toEqual(address);
    expect(formatAddress(address)).toBe(logged);
  });

  it.each(["9840", "host:", ":99999", "[::1:9840"])("%s is refused", (text) => {
    expect(() => parseListenAddress(text)).toThrow(/expected host:port, \[IPv6\]:port or :port/);
  });

  it("--web.listen-address is --listen under node_exporter's name; both at once is refused", () => {
    const options = parseExporterArgs(["--web.listen-address", ":19840"]);
    expect(options !== "help" && options.listen).toEqual({ host: "::", port: 19840 });
    expect(() => parseExporterArgs(["--listen", ":1", "--web.listen-address", ":2"])).toThrow(
      /give one/,
    );
  });
});

const title = ipv6
  ? "proofwatch exporter --web.listen-address :PORT"
  : "proofwatch exporter --web.listen-address :PORT: SKIPPED, this machine cannot listen on ::1";

describe.skipIf(!ipv6)(title, () => {
  let proc: CliProcess;
  let port: number;

  beforeAll(async () => {
    proc = spawnCli("exporter", ["--web.listen-address", ":0"], {
      PROOFWATCH_NVML_LIBRARY: "/nonexistent/libnvidia-ml.so.1",
      PROOFWATCH_LOG_FORMAT: "logfmt",
    });
    const line = await until(
      () => /msg=listening address="\[::\]:(\d+)" url=(\S+)/.exec(proc.output()) ?? undefined,
      "the listening line",
      30_000,
    );
    port = Number(line[1]);
    expect(line[2]).toBe(`http://127.0.0.1:${port}`);
  }, 60_000);
  afterAll(async () => {
    proc?.child.kill("SIGTERM");
    await proc?.exited;
  });

  it.each(["127.0.0.1", "[::1]"])("answers over %s", async (host) => {
    const response = await fetch(`http://${host}:${port}/healthz`);
    expect(response.status).toBe(200);
  });
});

import { context, trace } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  configureLogging,
  createLogger,
  setLogFormat,
  setLogLevel,
  toLogfmt,
} from "../../common/log.js";
import { createTracing } from "../../common/tracing.js";

describe("log level and format", () => {
  let lines: string[];

  beforeEach(() => {
    lines = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    setLogLevel("info");
    setLogFormat("logfmt");
  });

  it("takes flags over the environment, and the environment over the defaults", () => {
    expect(configureLogging({}, {})).toEqual({ level: "info", format: "logfmt" });
    const env = { PROOFWATCH_LOG_LEVEL: "warn", PROOFWATCH_LOG_FORMAT: "json" };
    expect(configureLogging({}, env)).toEqual({ level: "warn", format: "json" });
    expect(configureLogging({ level: "debug", format: "logfmt" }, env)).toEqual({
      level: "debug",
      format: "logfmt",
    });
  });

  it.each([
    [{ level: "verbose" }, {}, '--log.level "verbose" is not one of debug, info, warn, error'],
    [{ format: "text" }, {}, '--log.format "text" is not one of logfmt, json'],
    [{}, { PROOFWATCH_LOG_LEVEL: "verbose" }, 'PROOFWATCH_LOG_LEVEL "verbose" is not one of'],
    [{}, { PROOFWATCH_LOG_FORMAT: "JSON" }, 'PROOFWATCH_LOG_FORMAT "JSON" is not one of'],
  ])("refuses %j %j with the accepted values", (flags, env, message) => {
    expect(() => configureLogging(flags, env)).toThrow(message);
  });

  it("writes one JSON object a line with time, level, component, msg and the fields", () => {
    configureLogging({ level: "debug", format: "json" }, {});
    const log = createLogger("test");
    log.debug("scraped", { gpu: 0, took: 0.25, error: new Error("NVML timeout"), big: 2n ** 70n });
    log.info('a "quoted"\nmessage', { msg: "cannot replace the message" });
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({
      level: "debug",
      component: "test",
      msg: "scraped",
      gpu: 0,
      took: 0.25,
      error: "NVML timeout",
      big: (2n ** 70n).toString(),
    });
    expect(Date.parse(String(first?.time))).not.toBeNaN();
    expect(second).toMatchObject({ level: "info", msg: 'a "quoted"\nmessage' });
  });

  it("writes logfmt by default and filters below the level", () => {
    configureLogging({ level: "warn" }, {});
    const log = createLogger("test");
    log.info("dropped");
    log.warn("kept", { path: "/a b" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^time=\S+ level=warn component=test msg=kept path="\/a b"$/);
  });

  it("puts the active span's trace_id and span_id on lines written under it, and only there", async () => {
    configureLogging({ format: "json" }, {});
    const log = createLogger("test");
    const tracing = createTracing({ service: "log-test", endpoint: null });
    const span = tracing.tracer.startSpan("job");
    log.info("before");
    await context.with(trace.setSpan(context.active(), span), async () => {
      log.info("inside", { trace_id: "not mine" });
      // Across an await as well: the context follows the async work.
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.warn("still inside");
    });
    log.info("after");
    span.end();
    await tracing.shutdown();
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const ids = { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
    expect(ids.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(parsed[1]).toMatchObject({ msg: "inside", ...ids });
    expect(parsed[2]).toMatchObject({ msg: "still inside", ...ids });
    for (const outside of [parsed[0], parsed[3]]) {
      expect(outside).not.toHaveProperty("trace_id");
      expect(outside).not.toHaveProperty("span_id");
    }
  });

  it("renders logfmt with time, level, component and msg first, then the fields in order", () => {
    const line = toLogfmt(
      JSON.stringify({
        level: "info",
        time: "2026-01-01T00:00:00.000Z",
        component: "prover",
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
        circuit: "multiplier",
        error: 'say "no"\nthen stop',
        empty: "",
        nested: { a: 1 },
        msg: "job finished",
      }),
    );
    expect(line).toBe(
      'time=2026-01-01T00:00:00.000Z level=info component=prover msg="job finished" trace_id=4bf92f3577b34da6a3ce929d0e0e4736 circuit=multiplier error="say \\"no\\"\\nthen stop" empty= nested="{\\"a\\":1}"\n',
    );
  });
});

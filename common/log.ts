// One line per event on stderr through pino, logfmt (the default: readable by people and by
// Loki/journald alike) or JSON (one object a line, for log pipelines that parse JSON), as
// Prometheus' exporters do with --log.format. pino writes JSON only; for logfmt its lines go
// through a small destination that re-renders each one. A line written while an OpenTelemetry
// span is active (a request, a proof job) carries that span's `trace_id` and `span_id`, so logs
// and traces join up. The Logger interface below is what the code depends on.
import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import pino from "pino";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export const LOG_FORMATS = ["logfmt", "json"] as const;
export type Level = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Keys every line carries in this order; a line's own fields never replace them. */
const FIRST_KEYS = ["time", "level", "component", "msg"] as const;
const RESERVED = new Set<string>([...FIRST_KEYS, "trace_id", "span_id"]);

function oneOf<T extends string>(accepted: readonly T[], text: string, source: string): T {
  if ((accepted as readonly string[]).includes(text)) return text as T;
  throw new Error(`${source} "${text}" is not one of ${accepted.join(", ")}`);
}

export function parseLogLevel(text: string, source = "--log.level"): Level {
  return oneOf(LOG_LEVELS, text, source);
}

export function parseLogFormat(text: string, source = "--log.format"): LogFormat {
  return oneOf(LOG_FORMATS, text, source);
}

// Until configureLogging runs (a service's start), an unknown environment value falls back to
// the default rather than turning filtering off; configureLogging then refuses it.
const lenient = <T>(parse: () => T, fallback: T): T => {
  try {
    return parse();
  } catch {
    return fallback;
  }
};
let threshold: Level = lenient(
  () => parseLogLevel(process.env.PROOFWATCH_LOG_LEVEL ?? "info", "PROOFWATCH_LOG_LEVEL"),
  "info",
);
let format: LogFormat = lenient(
  () => parseLogFormat(process.env.PROOFWATCH_LOG_FORMAT ?? "logfmt", "PROOFWATCH_LOG_FORMAT"),
  "logfmt",
);

/** The pino instance for the current format and level, and its children by component. */
let root: pino.Logger | null = null;
const children = new Map<string, pino.Logger>();

// pino gives a child the level its parent had when it was made: children are made again after
// a change rather than kept at the old level.
function reset(): void {
  root = null;
  children.clear();
}

export function setLogLevel(level: Level): void {
  threshold = level;
  reset();
}

export function setLogFormat(next: LogFormat): void {
  format = next;
  reset();
}

/**
 * Sets level and format from flags, else from PROOFWATCH_LOG_LEVEL / PROOFWATCH_LOG_FORMAT,
 * else info and logfmt. Throws, naming the accepted values, on an unknown one.
 */
export function configureLogging(
  flags: { level?: string | undefined; format?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): { level: Level; format: LogFormat } {
  const level =
    flags.level !== undefined
      ? parseLogLevel(flags.level)
      : parseLogLevel(env.PROOFWATCH_LOG_LEVEL ?? "info", "PROOFWATCH_LOG_LEVEL");
  const chosen =
    flags.format !== undefined
      ? parseLogFormat(flags.format)
      : parseLogFormat(env.PROOFWATCH_LOG_FORMAT ?? "logfmt", "PROOFWATCH_LOG_FORMAT");
  setLogLevel(level);
  setLogFormat(chosen);
  return { level, format: chosen };
}

/** A logfmt value: bare when it is one plain word, else a JSON string. */
function logfmtValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[\w.:/@+-]*$/.test(text ?? "") ? (text ?? "") : JSON.stringify(text ?? "");
}

/** pino's JSON line as logfmt: the four keys every line has first, then the rest in order. */
export function toLogfmt(jsonLine: string): string {
  const record = JSON.parse(jsonLine) as Record<string, unknown>;
  const keys = [
    ...FIRST_KEYS.filter((key) => key in record),
    ...Object.keys(record).filter((key) => !(FIRST_KEYS as readonly string[]).includes(key)),
  ];
  return `${keys.map((key) => `${key}=${logfmtValue(record[key])}`).join(" ")}\n`;
}

// process.stderr rather than pino.destination(2): the same synchronous write for a pipe or a
// file, and what a test (or vitest's console capture) sees.
const destinations: Record<LogFormat, pino.DestinationStream> = {
  json: { write: (line: string) => void process.stderr.write(line) },
  logfmt: { write: (line: string) => void process.stderr.write(toLogfmt(line)) },
};

/** The active span's ids, for the line being written inside a request or a job. */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const ids = span.spanContext();
  return isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

function rootLogger(): pino.Logger {
  root ??= pino(
    {
      level: threshold,
      base: undefined, // no pid and hostname on every line
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
    },
    destinations[format],
  );
  return root;
}

function componentLogger(component: string): pino.Logger {
  let child = children.get(component);
  if (!child) {
    child = rootLogger().child({ component });
    children.set(component, child);
  }
  return child;
}

/** Errors log their message (JSON gives {} for them), bigints their digits. */
function plain(value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === "bigint") return value.toString();
  return value;
}

function ownFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!RESERVED.has(key)) out[key] = plain(value);
  }
  return out;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(component: string): Logger {
  const write = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    const logger = componentLogger(component);
    if (logger.isLevelEnabled(level)) logger[level](ownFields(fields), msg);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

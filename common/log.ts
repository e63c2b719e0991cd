// One line per event on stderr, logfmt (the default: readable by people and by Loki/journald
// alike) or JSON (one object a line, for log pipelines that parse JSON), as Prometheus'
// exporters do with --log.format. Hand-written rather than pino: pino writes JSON only and
// would need a transport for logfmt; the Logger interface below is what the code depends on.
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export const LOG_FORMATS = ["logfmt", "json"] as const;
export type Level = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

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

export function setLogLevel(level: Level): void {
  threshold = level;
}

export function setLogFormat(next: LogFormat): void {
  format = next;
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

/** Errors log their message (JSON.stringify gives {} for them), bigints their digits. */
function plain(value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === "bigint") return value.toString();
  return value;
}

function quote(value: unknown): string {
  const text =
    typeof value === "string"
      ? value
      : JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return /^[\w.:/@+-]*$/.test(text ?? "") ? (text ?? "") : JSON.stringify(text ?? "");
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(component: string): Logger {
  const write = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (order[level] < order[threshold]) return;
    const base = { time: new Date().toISOString(), level, component, msg };
    // A field never overwrites the four every line carries.
    const extra = Object.entries(fields)
      .filter(([key]) => !(key in base))
      .map(([key, value]) => [key, plain(value)] as const);
    const line =
      format === "json"
        ? JSON.stringify({ ...base, ...Object.fromEntries(extra) }, (_key, v: unknown) =>
            typeof v === "bigint" ? v.toString() : v,
          )
        : [...Object.entries(base), ...extra]
            .map(([key, value]) => `${key}=${quote(value)}`)
            .join(" ");
    process.stderr.write(`${line}\n`);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

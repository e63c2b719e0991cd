// One-line, logfmt-style logs on stderr: readable by people and by Loki/journald alike.
type Level = "debug" | "info" | "warn" | "error";

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: Level = (process.env.PROOFWATCH_LOG_LEVEL as Level | undefined) ?? "info";

export function setLogLevel(level: Level): void {
  threshold = level;
}

function quote(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[\w.:/@+-]*$/.test(text) ? text : JSON.stringify(text);
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
    const parts = [
      `time=${new Date().toISOString()}`,
      `level=${level}`,
      `component=${component}`,
      `msg=${quote(msg)}`,
      ...Object.entries(fields).map(([key, value]) => `${key}=${quote(value)}`),
    ];
    process.stderr.write(`${parts.join(" ")}\n`);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

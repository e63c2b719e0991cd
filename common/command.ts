// What every `proofwatch <command>` does alike: -h/--help, --version, --log.level and
// --log.format (the Prometheus exporters' flags), one exit status convention (EXIT), numeric
// flags checked with the same rules and messages, and a service run until SIGINT or SIGTERM.
import { parseArgs } from "node:util";
import { configureLogging, LOG_FORMATS, LOG_LEVELS } from "./log.js";
import { packageVersion } from "./package-root.js";

/** Exit statuses of every command (README "Exit status"). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A mistake on the command line: the command exits 2 (EXIT.usage) and points at --help. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Flags every command takes, for parseArgs. */
export const HELP_FLAGS = {
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", default: false },
} as const;

/** Flags every service takes besides HELP_FLAGS. */
export const LOG_FLAGS = {
  "log.level": { type: "string" },
  "log.format": { type: "string" },
} as const;

export const SERVICE_FLAGS = { ...HELP_FLAGS, ...LOG_FLAGS } as const;

export const HELP_USAGE = `  -h, --help                show this help and exit
  --version                 print the version and exit
`;

export const LOG_USAGE = `Logging (on stderr):
  --log.level LEVEL         ${LOG_LEVELS.join("|")} (default: $PROOFWATCH_LOG_LEVEL, else info)
  --log.format FORMAT       ${LOG_FORMATS.join("|")}: key=value pairs, or one JSON object a line
                            (default: $PROOFWATCH_LOG_FORMAT, else logfmt)
`;

export function versionText(command: string): string {
  return `proofwatch ${command}, version ${packageVersion()} (node ${process.version})\n`;
}

/** -h/--help or --version among the arguments (before any `--`), whatever else they hold. */
export function helpOrVersion(argv: readonly string[]): "help" | "version" | null {
  const end = argv.indexOf("--");
  const args = end < 0 ? argv : argv.slice(0, end);
  if (args.includes("-h") || args.includes("--help")) return "help";
  if (args.includes("--version")) return "version";
  return null;
}

/**
 * Runs `parse`, turning what it throws (node's parseArgs errors, a flag's own check) into a
 * UsageError; an error from the system (a file named by a flag cannot be read) stays a
 * runtime failure.
 */
export function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UsageError || (error instanceof Error && "syscall" in error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    // parseArgs' hint about `--` (commands taking positionals) reads as noise next to a typo.
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ""), {
      cause: error,
    });
  }
}

/** Applies --log.level and --log.format (else the environment), refusing unknown values. */
export function configureLogFlags(argv: readonly string[]): void {
  const end = argv.indexOf("--");
  const { values } = parseArgs({
    args: [...(end < 0 ? argv : argv.slice(0, end))],
    options: LOG_FLAGS,
    strict: false,
    allowPositionals: true,
  });
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  asUsage(() =>
    configureLogging({ level: text(values["log.level"]), format: text(values["log.format"]) }),
  );
}

/** A whole-number flag, `fallback` when it is absent. */
export function wholeNumber(
  text: string | undefined,
  flag: string,
  fallback: number,
  min = 1,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be a whole number >= ${min}`);
  return n;
}

/** A share within 0..1 (an empty value is refused, not read as 0). */
export function ratio(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === "" || !(n >= 0 && n <= 1)) throw new Error(`${flag} must be within 0..1`);
  return n;
}

/**
 * `-h`/`--help` prints `usage`, `--version` the version; otherwise parses `argv` (what it
 * refuses is a UsageError), sets up logging from --log.level/--log.format, starts the service
 * and closes it on SIGINT or SIGTERM, exiting 0, or 1 when closing fails. Resolves with the
 * started service (undefined for help and version).
 */
export async function runService<Options, Service extends { close(): Promise<void> }>(
  command: string,
  argv: string[],
  usage: string,
  parse: (argv: string[]) => Options | "help",
  start: (options: Options) => Promise<Service>,
): Promise<Service | undefined> {
  const early = helpOrVersion(argv);
  if (early === "version") process.stdout.write(versionText(command));
  const options = early ? "help" : asUsage(() => parse(argv));
  if (options === "help") {
    if (early !== "version") process.stdout.write(usage);
    return undefined;
  }
  configureLogFlags(argv);
  const service = await start(options);
  const stop = () => {
    service.close().then(
      () => process.exit(EXIT.ok),
      () => process.exit(EXIT.failure),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return service;
}

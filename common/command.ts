// What every `proofwatch <command>` does alike: check numeric flags with the same rules and
// messages, and run a service until SIGINT or SIGTERM closes it.

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
 * Prints `usage` for "help"; otherwise starts the service and closes it on SIGINT or SIGTERM,
 * exiting 0, or 1 when closing fails. Resolves with the started service (undefined for help).
 */
export async function runService<Options, Service extends { close(): Promise<void> }>(
  options: Options | "help",
  usage: string,
  start: (options: Options) => Promise<Service>,
): Promise<Service | undefined> {
  if (options === "help") {
    process.stdout.write(usage);
    return undefined;
  }
  const service = await start(options);
  const stop = () => {
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return service;
}

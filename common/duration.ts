const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses Prometheus-style durations ("250ms", "2s", "1m") into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}": expected e.g. 500ms, 2s, 1m`);
  return Number(match[1]) * (units[match[2] as string] as number);
}

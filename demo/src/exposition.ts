// Reads Prometheus text exposition back into samples: for the demo table and for assertions.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Number() reads "NaN" but not the exposition's "+Inf" and "-Inf". */
function parseValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      if (name && type) types.set(name, type);
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? "").matchAll(LABEL)) {
      labels[key as string] = JSON.parse(`"${raw}"`) as string;
    }
    samples.push({ name: match[1] as string, labels, value: parseValue(match[3] as string) });
  }
  return { samples, types };
}

/** Samples of one metric whose labels include every pair in `where`. */
export function find(
  exposition: Exposition,
  name: string,
  where: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(where).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The single value of a metric for the given labels; throws if absent or ambiguous. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  where: Record<string, string> = {},
): number {
  const matches = find(exposition, name, where);
  if (matches.length !== 1) {
    throw new Error(`${name}${JSON.stringify(where)}: expected 1 sample, found ${matches.length}`);
  }
  return (matches[0] as Sample).value;
}

// The per-GPU metric families, rebuilt every scrape and written in Prometheus' text format.
//
// Why not prom-client here: it renders ~1000 series (8 GPUs) in about 3 ms and sets them in
// another 1 (bench/RESULTS.md), which alone breaks the exporter's 5 ms p99 scrape budget.
// These families need none of its features (no histograms, no accumulation across scrapes,
// every series written once per scrape), so a flat list of samples rendered in one pass is
// enough. The exporter's own metrics stay in prom-client, and `promtool check metrics`
// runs on the combined output in the tests.

export type FamilyType = "gauge" | "counter";

interface Sample {
  labels: Readonly<Record<string, string>>;
  value: number;
}

const NEEDS_ESCAPE = /[\\\n"]/;
// Label values are almost always plain (indices, UUIDs, codes): test before rewriting.
const escapeLabel = (value: string) =>
  NEEDS_ESCAPE.test(value)
    ? value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
    : value;
const escapeHelp = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  return String(value);
}

export class GpuFamily {
  private samples: Sample[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: FamilyType,
    readonly labelNames: readonly string[],
  ) {}

  /** Records this scrape's value of one series; each series is written once per scrape. */
  set(labels: Readonly<Record<string, string>>, value: number): void {
    this.samples.push({ labels, value });
  }

  reset(): void {
    this.samples = [];
  }

  /** Appends the family's lines; a family with no series this scrape writes nothing. */
  render(lines: string[]): void {
    if (this.samples.length === 0) return;
    lines.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const { labels, value } of this.samples) {
      const pairs = this.labelNames.map((key) => `${key}="${escapeLabel(labels[key] ?? "")}"`);
      lines.push(`${this.name}{${pairs.join(",")}} ${formatValue(value)}`);
    }
  }
}

export class GpuFamilies {
  private readonly families: GpuFamily[] = [];

  /** A family labelled `gpu` and `uuid`, plus any bounded extra labels. */
  add(
    name: string,
    help: string,
    type: FamilyType,
    extraLabels: readonly string[] = [],
  ): GpuFamily {
    const family = new GpuFamily(name, help, type, ["gpu", "uuid", ...extraLabels]);
    this.families.push(family);
    return family;
  }

  reset(): void {
    for (const family of this.families) family.reset();
  }

  render(): string {
    const lines: string[] = [];
    for (const family of this.families) family.render(lines);
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }
}

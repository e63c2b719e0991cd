// The metric families the exporter rebuilds every scrape (per-GPU values and the scrape's
// report on itself), written in Prometheus' text format.
//
// Why not prom-client here: it renders ~1000 series (8 GPUs) in about 3 ms and sets them in
// another 1 (bench/RESULTS.md), which alone breaks the exporter's 5 ms p99 scrape budget.
// These families need none of its features (no histograms, no accumulation across scrapes,
// every series written once per scrape). What sets the tail is garbage collection, so a
// scrape allocates little here: each series' text up to its value is encoded once and
// cached, the values live in arrays reused from scrape to scrape, and the text is written
// into one reused buffer (integers digit by digit), copied out once per scrape. The exporter's
// lifetime metrics stay in prom-client, and `promtool check metrics` runs on the combined
// output in the tests.

export type FamilyType = "gauge" | "counter";
export type Labels = Readonly<Record<string, string>>;

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

const ZERO = 0x30;
const MINUS = 0x2d;
const NEWLINE = 0x0a;

/** A growable byte buffer kept across scrapes. */
class TextWriter {
  private buffer = Buffer.allocUnsafeSlow(64 * 1024);
  private length = 0;

  start(): void {
    this.length = 0;
  }

  bytes(chunk: Buffer): void {
    this.reserve(chunk.length);
    chunk.copy(this.buffer, this.length);
    this.length += chunk.length;
  }

  text(text: string): void {
    this.reserve(Buffer.byteLength(text));
    this.length += this.buffer.write(text, this.length, "utf8");
  }

  /** A sample value as Prometheus writes it; safe integers without a string in between. */
  value(value: number): void {
    if (!Number.isSafeInteger(value)) {
      this.text(formatValue(value));
      return;
    }
    this.reserve(17);
    let rest = value;
    if (rest < 0) {
      this.buffer[this.length++] = MINUS;
      rest = -rest;
    }
    let digits = 1;
    for (let scale = 10; scale <= rest; scale *= 10) digits += 1;
    for (let i = this.length + digits - 1; i >= this.length; i--) {
      this.buffer[i] = ZERO + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    this.length += digits;
  }

  newline(): void {
    this.reserve(1);
    this.buffer[this.length++] = NEWLINE;
  }

  /** A copy of what was written: the response may still be sending when the next scrape writes. */
  copy(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** Label values -> the next level, and at the last label the series' text before its value. */
type SeriesTrie = Map<string, SeriesTrie | Buffer>;

// Label values are bounded (GPU indices and identities, codes), so the cache stays small;
// the cap only guards against a label that turns out not to be.
const MAX_CACHED_SERIES = 10_000;

export class ScrapeFamily {
  private readonly header: Buffer;
  private trie: SeriesTrie = new Map();
  private cachedSeries = 0;
  // This scrape's series, as parallel arrays kept from one scrape to the next.
  private readonly prefixes: Buffer[] = [];
  private readonly values: number[] = [];
  private count = 0;
  private readonly unlabelled: Buffer;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: FamilyType,
    readonly labelNames: readonly string[],
  ) {
    this.header = Buffer.from(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
    this.unlabelled = Buffer.from(`${name} `);
  }

  /** Records this scrape's value of one series; each series is written once per scrape. */
  set(labels: Labels, value: number): void {
    this.prefixes[this.count] = this.prefixOf(labels);
    this.values[this.count] = value;
    this.count += 1;
  }

  reset(): void {
    this.count = 0;
  }

  /** Writes the family's text; a family with no series this scrape writes nothing. */
  render(out: TextWriter): void {
    if (this.count === 0) return;
    out.bytes(this.header);
    for (let i = 0; i < this.count; i++) {
      out.bytes(this.prefixes[i] as Buffer);
      out.value(this.values[i] as number);
      out.newline();
    }
  }

  /** `name{label="value",...} ` for these labels, from the cache. */
  private prefixOf(labels: Labels): Buffer {
    const names = this.labelNames;
    if (names.length === 0) return this.unlabelled;
    let node = this.trie;
    for (let i = 0; i < names.length - 1; i++) {
      const value = labels[names[i] as string] ?? "";
      let next = node.get(value) as SeriesTrie | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const last = labels[names[names.length - 1] as string] ?? "";
    let prefix = node.get(last) as Buffer | undefined;
    if (prefix === undefined) {
      if (this.cachedSeries >= MAX_CACHED_SERIES) {
        this.trie = new Map();
        this.cachedSeries = 0;
        return this.prefixOf(labels);
      }
      const pairs = names.map((key) => `${key}="${escapeLabel(labels[key] ?? "")}"`);
      prefix = Buffer.from(`${this.name}{${pairs.join(",")}} `);
      node.set(last, prefix);
      this.cachedSeries += 1;
    }
    return prefix;
  }
}

export class ScrapeFamilies {
  private readonly families: ScrapeFamily[] = [];
  private readonly out = new TextWriter();

  /** A family labelled `gpu` and `uuid`, plus any bounded extra labels. */
  perGpu(
    name: string,
    help: string,
    type: FamilyType,
    extraLabels: readonly string[] = [],
  ): ScrapeFamily {
    return this.add(name, help, type, ["gpu", "uuid", ...extraLabels]);
  }

  /** A family with labels of its own (bounded), or none. */
  add(
    name: string,
    help: string,
    type: FamilyType,
    labelNames: readonly string[] = [],
  ): ScrapeFamily {
    const family = new ScrapeFamily(name, help, type, labelNames);
    this.families.push(family);
    return family;
  }

  reset(): void {
    for (const family of this.families) family.reset();
  }

  /** This scrape's exposition (UTF-8), after `before` (the text of other registries). */
  render(before = ""): Buffer {
    this.out.start();
    this.out.text(before);
    for (const family of this.families) family.render(this.out);
    return this.out.copy();
  }
}

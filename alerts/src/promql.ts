// PromQL shapes more than one rule uses, written once.

/** Each line of `text` indented by `spaces`, for an expression nested in another. */
export function indent(text: string, spaces: number): string {
  const pad = " ".repeat(spaces);
  return text
    .split("\n")
    .map((line) => pad + line)
    .join("\n");
}

/**
 * Any new event on a counter in the last 10 minutes, including on a series that appeared already
 * above 0 (no increase() over its first sample): the second operand catches a series whose value
 * differs from the last one seen in the hour before the window, or that had none there. A scrape
 * gap with an unchanged value does not fire it again (alerts/README.md, "New counter series").
 */
export function newEvents(series: string): string {
  return [
    `increase(${series}[10m]) > 0`,
    "or",
    "(",
    `  ${series} > 0`,
    "  unless",
    `  last_over_time(${series}[1h] offset 10m)`,
    `    == ${series}`,
    ")",
  ].join("\n");
}

/**
 * A component's scrape failing: its job by name (the configured matchers), or any target that
 * exposed `marker`, a metric only that component has, in the last day.
 */
export function scrapeDown(jobMatchers: string, marker: string): string {
  return [
    `up{${jobMatchers}} == 0`,
    "or",
    `up == 0 and on (job, instance) last_over_time(${marker}[1d])`,
  ].join("\n");
}

/** A regex matcher on one label for a list of values: `xid=~"48|63"`, or `=` for one value. */
export function oneOf(label: string, values: readonly (string | number)[]): string {
  return values.length === 1
    ? `${label}="${values[0]}"`
    : `${label}=~"${values.map(String).join("|")}"`;
}

// Writes a rule group as the YAML people read in alerts/: comments kept, long PromQL as literal
// blocks with its line breaks, descriptions as folded blocks. A YAML library would re-wrap
// both and drop the comments, so this writer knows the one shape it writes and nothing else;
// test/alerts/generated.test.ts parses what it writes and compares it with the rules.
import { parse } from "yaml";
import type { RenderedGroup, RenderedRecord, RenderedRule } from "./rule.js";

/** Rule keys start at column 8; an `expr` longer than this line goes into a literal block. */
const EXPR_LINE_WIDTH = 80;

// YAML 1.1 reads these as booleans or null (Prometheus' parser among them); never plain.
const YAML11_WORDS = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;

/** Whether `text` reads back as itself when written without quotes after `key: `. */
function isPlainSafe(text: string): boolean {
  if (text === "" || text.trim() !== text || text.includes("\n")) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(text) || /: |:$| #/.test(text)) return false;
  if (YAML11_WORDS.test(text)) return false;
  try {
    return (parse(`k: ${text}`) as { k?: unknown } | null)?.k === text;
  } catch {
    return false;
  }
}

function scalar(text: string): string {
  if (isPlainSafe(text)) return text;
  // Double quotes where nothing needs escaping (the style the repository's YAML formatter
  // keeps); otherwise single quotes, which need no escaping but of the quote itself, so PromQL
  // and Go templates keep their backslashes as written.
  if (!/["\\\n]/.test(text)) return JSON.stringify(text);
  if (!text.includes("\n")) return `'${text.replaceAll("'", "''")}'`;
  return JSON.stringify(text);
}

function blockLines(lines: readonly string[], indent: string, where: string): string {
  return lines
    .map((line) => {
      // A line that starts with a space would change how a block folds or where it starts.
      if (line === "" || line !== line.trim()) {
        throw new Error(`${where}: block line with leading or trailing space: "${line}"`);
      }
      return `${indent}${line}\n`;
    })
    .join("");
}

function comment(lines: readonly string[], indent: string): string {
  return lines.map((line) => (line ? `${indent}# ${line}\n` : `${indent}#\n`)).join("");
}

function expr(rule: { expr: string; alert?: string; record?: string }): string {
  const name = rule.alert ?? rule.record;
  const key = "        expr: ";
  if (!rule.expr.includes("\n") && key.length + rule.expr.length <= EXPR_LINE_WIDTH) {
    return `${key}${scalar(rule.expr)}\n`;
  }
  // PromQL lines keep their own indentation, relative to the block's.
  const lines = rule.expr.split("\n");
  for (const line of lines) {
    if (line.trim() === "" || line !== line.trimEnd()) {
      throw new Error(`${name}: expr line empty or with trailing space: "${line}"`);
    }
  }
  if (lines[0]?.startsWith(" ")) throw new Error(`${name}: expr starts with a space`);
  return `        expr: |\n${lines.map((line) => `          ${line}\n`).join("")}`;
}

function writeRecord(rule: RenderedRecord): string {
  return `${comment(rule.comment, "      ")}      - record: ${scalar(rule.record)}\n${expr(rule)}`;
}

function writeRule(rule: RenderedRule): string {
  let out = comment(rule.comment, "      ");
  out += `      - alert: ${scalar(rule.alert)}\n`;
  out += expr(rule);
  if (rule.for !== undefined) out += `        for: ${scalar(rule.for)}\n`;
  out += "        labels:\n";
  for (const [name, value] of Object.entries(rule.labels)) {
    out += `          ${name}: ${scalar(value)}\n`;
  }
  const { summary, description, runbook_url } = rule.annotations;
  out += "        annotations:\n";
  out += `          summary: ${scalar(summary)}\n`;
  out += "          description: >-\n";
  out += blockLines(description, "            ", `${rule.alert} description`);
  out += `          runbook_url: ${scalar(runbook_url)}\n`;
  return out;
}

/** The text of alerts/<group.file>. */
export function writeGroup(group: RenderedGroup): string {
  return (
    comment(group.header, "") +
    "groups:\n" +
    `  - name: ${scalar(group.name)}\n` +
    "    rules:\n" +
    [...group.records.map(writeRecord), ...group.rules.map(writeRule)].join("\n")
  );
}

// Input is parsed at each service's edge, JSON first and then a zod schema; this is how
// their refusals read.
import type { z } from "zod";

/** The first few zod issues, one line: what a 400 says. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
}

/**
 * Deepest nesting of arrays and objects `parseJson` takes. Every document proofwatch reads is a
 * few levels deep (a proof is 3); JSON.parse itself takes any depth, but code that walks the
 * value recursively (zod, JSON.stringify, a canonical form) runs out of stack a few thousand
 * levels down, and a body of `[[[[…` costs an attacker one byte a level.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON.parse that answers rather than throws: the value, or "not JSON: <why>". Nesting deeper
 * than `maxDepth` is refused before parsing. The reason never quotes the text: V8's messages
 * do ("Unexpected token 'r', "root:x:0:0"... is not valid JSON"), and a reason may be served by
 * an API while the text came from a file nobody meant to publish.
 */
export function parseJson(
  text: string,
  maxDepth = MAX_JSON_DEPTH,
): { ok: true; value: unknown } | { ok: false; error: string } {
  const deep = nestedBeyond(text, maxDepth);
  if (deep !== -1) {
    return {
      ok: false,
      error: `not JSON: nested deeper than ${maxDepth} levels (at position ${deep})`,
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: `not JSON: ${withoutExcerpt((error as Error).message)}` };
  }
}

/** Where `text` opens its `maxDepth + 1`th nested array or object, or -1: one pass, brackets
 * inside strings skipped. Text that is not JSON is left for JSON.parse to refuse. */
function nestedBeyond(text: string, maxDepth: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return -1;
}

function withoutExcerpt(message: string): string {
  if (/^Unexpected token\b/.test(message)) return "unexpected token";
  return message.replace(/"[\s\S]*"(\.\.\.)?/g, "(text not shown)");
}

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

/** JSON.parse that answers rather than throws: the value, or "not JSON: <why>". */
export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
}

// Input is parsed with zod at each service's edge; this is how its refusals read.
import type { z } from "zod";

/** The first few zod issues, one line: what a 400 says. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
}

/**
 * `describe` for tests that run `proofwatch-prover canary`: skipped, visibly (the reason in
 * the suite name and on stderr), while the prover binary is missing or was built before the
 * canary command; CI builds it first, so there they run.
 */
import { describe } from "vitest";
import { canarySupported } from "../../prover/service/src/canary.js";
import { proverPath } from "../prover/fixtures.js";

const missing = (await canarySupported(proverPath))
  ? undefined
  : `${proverPath} is missing or has no canary command; run \`npm run build\``;

export function describeWithCanary(title: string, body: () => void): void {
  if (missing !== undefined) console.warn(`SKIPPED ${title}: ${missing}`);
  describe.skipIf(missing !== undefined)(
    missing === undefined ? title : `${title} (skipped: ${missing})`,
    body,
  );
}

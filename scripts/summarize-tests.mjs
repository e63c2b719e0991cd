// Prints vitest's totals from its JSON report as CI's closing line: "N passed, N failed".
import { existsSync, readFileSync } from "node:fs";

const [report, lintFailed] = process.argv.slice(2);
let passed = 0;
let failed = lintFailed === "1" ? 1 : 0;
let skipped = 0;
if (report && existsSync(report)) {
  const results = JSON.parse(readFileSync(report, "utf8"));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped += results.numPendingTests + results.numTodoTests;
  // A file that fails to load has no tests but must still fail the run.
  failed += results.testResults.filter(
    (file) => file.status === "failed" && file.assertionResults.length === 0,
  ).length;
} else {
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);

// A steady stream of proof jobs for the demo circuit (`multiplier`: c = a * b, c public), each
// with the public signal the proof must show, as a rollup's scheduler would send them, with
// the scheduler's credentials.
import { randomInt } from "node:crypto";
import { bearer } from "./credentials.js";
import { DEMO_CIRCUIT, type Suite } from "./suite.js";

export interface Feeder {
  /** Ids of the jobs the prover service accepted, in order. */
  readonly submitted: string[];
  /** Submissions that failed (network error or a non-2xx answer), with the last error. */
  readonly errors: { count: number; last: string | null };
  stop(): Promise<void>;
}

/** Witness of `multiplier` as `witnessValues`: w[0] = 1, then the output c, then a and b. */
function job(id: string) {
  const a = BigInt(randomInt(2, 1 << 20));
  const b = BigInt(randomInt(2, 1 << 20));
  const c = (a * b).toString();
  return {
    id,
    circuit: DEMO_CIRCUIT,
    witnessValues: ["1", c, a.toString(), b.toString()],
    expectedPublicSignals: [c],
  };
}

/** Submits `perSecond` jobs a second to the suite's prover service until stopped. */
export function startFeeder(
  suite: Pick<Suite, "urls" | "credentials">,
  perSecond: number,
  prefix = "demo",
): Feeder {
  const url = `${suite.urls.prover}/v1/jobs`;
  const headers = { "content-type": "application/json", ...bearer(suite.credentials.scheduler) };
  const submitted: string[] = [];
  const errors = { count: 0, last: null as string | null };
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  const submit = () => {
    n += 1;
    const body = job(`${prefix}-${n}`);
    const request = fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    })
      .then(async (response) => {
        if (response.ok) submitted.push(body.id);
        else {
          errors.count += 1;
          errors.last = `HTTP ${response.status} ${await response.text()}`;
        }
      })
      .catch((error: unknown) => {
        errors.count += 1;
        errors.last = String(error);
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const timer = setInterval(submit, 1000 / perSecond);
  return {
    submitted,
    errors,
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}

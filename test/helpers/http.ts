// Small HTTP pieces of the service tests: calls to the APIs under test, and reading what
// the tests' stand-in servers are sent.
import type { IncomingMessage } from "node:http";

export interface JsonReply {
  status: number;
  headers: Headers;
  /** The reply's JSON object; {} for an empty body. */
  body: Record<string, unknown>;
}

/** POSTs `body` as JSON, or `raw` as it is (for bodies that are not JSON on purpose). */
export async function postJson(
  url: string,
  body: unknown,
  options: { raw?: string; headers?: Record<string, string> } = {},
): Promise<JsonReply> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** A request's whole body, as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

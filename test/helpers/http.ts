// Small HTTP calls the service tests make against the APIs under test.

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

// The quarantine service's operator API from the outside: what the `proofwatch quarantine
// release|release-node|reset-breaker|status|list` verbs send (docs/quarantine.md). Answers come
// back as the service wrote them, so that the CLI prints exactly what the service said.

export interface AdminClientOptions {
  /** The service's base URL, e.g. http://127.0.0.1:9842. */
  url: string;
  /** Bearer token for the service's web config; none sends no credentials. */
  token?: string;
}

export interface AdminReply {
  status: number;
  ok: boolean;
  /** The body as the service sent it (JSON text). */
  text: string;
}

export class AdminClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(options: AdminClientOptions) {
    this.base = options.url.replace(/\/$/, "");
    this.headers = { "content-type": "application/json" };
    if (options.token) this.headers.authorization = `Bearer ${options.token}`;
  }

  /** Puts one GPU back in service. */
  release(uuid: string, reason: string): Promise<AdminReply> {
    return this.post(`/v1/quarantine/${encodeURIComponent(uuid)}/release`, reason);
  }

  /** Releases a node escalation. */
  releaseNode(host: string, reason: string): Promise<AdminReply> {
    return this.post(`/v1/nodes/${encodeURIComponent(host)}/release`, reason);
  }

  /** Closes the breaker, so that quarantines are acted on again. */
  resetBreaker(reason: string): Promise<AdminReply> {
    return this.post("/v1/breaker/reset", reason);
  }

  /** The breaker, the limits, the known GPUs and the pending actions. */
  status(): Promise<AdminReply> {
    return this.request("GET", "/v1/status");
  }

  /** The quarantine list. */
  list(): Promise<AdminReply> {
    return this.request("GET", "/v1/quarantine");
  }

  private post(path: string, reason: string): Promise<AdminReply> {
    return this.request("POST", path, JSON.stringify({ reason }));
  }

  private async request(method: "GET" | "POST", path: string, body?: string): Promise<AdminReply> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: this.headers,
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, ok: response.ok, text: await response.text() };
  }
}

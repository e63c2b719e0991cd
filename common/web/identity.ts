// Who a request proved itself to be. The web-security layer (common/web/) sets it on
// `res.locals.identity` for every request that passed authentication; a handler that
// changes state reads it from there and never from the body.

export type AuthMethod = "bearer" | "basic" | "certificate" | "insecure";

export interface Identity {
  /** How the caller proved itself; "insecure" only when the service runs with its insecure flag. */
  method: AuthMethod;
  /** The name it proved: the bearer token's name, the basic-auth user, or the certificate's CN
   * (its first SAN when it has no CN); "anonymous" for "insecure". */
  name: string;
  /** Every name the credentials vouch for: the name itself, and for a certificate its CN and
   * every DNS, IP, email and URI SAN. An authorization rule matches any of them. */
  names: readonly string[];
}

/** The identity that the web layer attached to a response's request, if any. */
export function identityOf(locals: Record<string, unknown>): Identity | undefined {
  return locals.identity as Identity | undefined;
}

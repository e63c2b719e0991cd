// What a client certificate proves, and whether a connection's certificate satisfies the
// configured client_auth_type (exporter-toolkit's names for Go's tls.ClientAuthType). Node's
// TLS server is run with rejectUnauthorized off so that these rules can change with a
// reloaded configuration; a connection that breaks them is closed right after its handshake.
import type { PeerCertificate, TLSSocket } from "node:tls";
import type { TlsSettings } from "./config.js";
import type { Identity } from "./identity.js";

/** Every SAN of a certificate, as written in Node's `subjectaltname` ("DNS:a, IP Address:b"). */
export function subjectAltNames(cert: PeerCertificate): string[] {
  if (!cert.subjectaltname) return [];
  return cert.subjectaltname
    .split(/,\s*/)
    .map((entry) => entry.slice(entry.indexOf(":") + 1))
    .filter((name) => name !== "");
}

function hasCertificate(cert: PeerCertificate | undefined): cert is PeerCertificate {
  return cert !== undefined && cert !== null && Object.keys(cert).length > 0;
}

/** Why a freshly handshaken connection must be closed, or undefined when it may stay. */
export function connectionRefusal(socket: TLSSocket, tls: TlsSettings): string | undefined {
  const cert = socket.getPeerCertificate();
  const present = hasCertificate(cert);
  switch (tls.clientAuthType) {
    case "NoClientCert":
    case "RequestClientCert":
      return undefined;
    case "RequireAnyClientCert":
      if (!present) return "no client certificate";
      break;
    case "VerifyClientCertIfGiven":
      if (present && !socket.authorized) return `client certificate: ${socket.authorizationError}`;
      return undefined;
    case "RequireAndVerifyClientCert":
      if (!present) return "no client certificate";
      if (!socket.authorized) return `client certificate: ${socket.authorizationError}`;
      break;
  }
  if (tls.clientAllowedSans && present) {
    const sans = subjectAltNames(cert);
    if (!sans.some((san) => tls.clientAllowedSans?.includes(san))) {
      return "client certificate has no allowed SAN";
    }
  }
  return undefined;
}

/**
 * The identity a client certificate proves: only one verified against the configured client
 * CA (without one, Node would count any certificate from a public CA as authorized).
 */
export function certificateIdentity(socket: TLSSocket, tls: TlsSettings): Identity | undefined {
  if (!tls.clientCa || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!hasCertificate(cert)) return undefined;
  const cn = typeof cert.subject?.CN === "string" ? cert.subject.CN : undefined;
  const names = [...new Set([...(cn ? [cn] : []), ...subjectAltNames(cert)])];
  const name = names[0];
  return name === undefined ? undefined : { method: "certificate", name, names };
}

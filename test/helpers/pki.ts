// Certificates made by openssl per run: a CA with a server certificate for 127.0.0.1, client
// certificates by name (CN and a DNS SAN of that name), and a client from a CA nobody trusts.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";

export interface KeyPair {
  cert: string;
  key: string;
}

export interface Pki {
  ca: string;
  server: KeyPair;
  /** The client named "client", and every other name asked for. */
  client: KeyPair;
  clients: Record<string, KeyPair>;
  /** A client certificate from a CA the service does not trust. */
  stranger: KeyPair;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    "req",
    "-x509",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-subj",
    `/CN=${name}`,
    "-days",
    "2",
  );
}

function makeLeaf(dir: string, name: string, ca: string, extensions: string): KeyPair {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    dir,
    "req",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  );
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  );
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

export function makePki(dir: string, clientNames: readonly string[] = []): Pki {
  makeCa(dir, "ca");
  makeCa(dir, "other-ca");
  const server = makeLeaf(
    dir,
    "server",
    "ca",
    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  const clients: Record<string, KeyPair> = {};
  for (const name of ["client", ...clientNames]) {
    clients[name] = makeLeaf(
      dir,
      name,
      "ca",
      `subjectAltName=DNS:${name}\nextendedKeyUsage=clientAuth\n`,
    );
  }
  const stranger = makeLeaf(dir, "stranger", "other-ca", "extendedKeyUsage=clientAuth\n");
  return { ca: join(dir, "ca.crt"), server, client: clients.client as KeyPair, clients, stranger };
}

export interface TlsReply {
  status: number;
  body: string;
}

/** One HTTPS request trusting the PKI's CA, presenting `client` when given. */
export function requestTls(
  url: string,
  pki: Pki,
  options: {
    method?: string;
    body?: string;
    client?: KeyPair;
    headers?: Record<string, string>;
  } = {},
): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? (options.body === undefined ? "GET" : "POST"),
        ca: readFileSync(pki.ca),
        ...(options.client
          ? { cert: readFileSync(options.client.cert), key: readFileSync(options.client.key) }
          : {}),
        headers: { "content-type": "application/json", ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

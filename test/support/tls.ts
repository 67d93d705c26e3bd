// Test certificates made with the real openssl at test time: a CA of the test's own and server
// certificates it signs for a host name, valid for a chosen number of days.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requireTool, runOk } from "./tools";

export interface TestCertificate {
  /** PEM of the server certificate and its key. */
  certificate: string;
  key: string;
  /** PEM of the CA that signed it. */
  ca: string;
  /** The certificate's notAfter, Unix seconds (as openssl reads it back). */
  notAfter: number;
}

/** A CA and a server certificate for `host` valid for `days`, made in a temporary directory. */
export function makeTestCertificate(host: string, days: number): TestCertificate {
  const openssl = requireTool("openssl");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-tls-"));
  const at = (f: string) => path.join(dir, f);
  try {
    runOk(
      openssl,
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=ops-baseline test CA"].concat([
        "-keyout",
        at("ca.key"),
        "-out",
        at("ca.pem"),
      ]),
    );
    runOk(openssl, [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${host}`,
      "-keyout",
      at("tls.key"),
      "-out",
      at("tls.csr"),
    ]);
    fs.writeFileSync(at("ext.cnf"), `subjectAltName=DNS:${host}\n`);
    runOk(openssl, [
      "x509",
      "-req",
      "-in",
      at("tls.csr"),
      "-CA",
      at("ca.pem"),
      "-CAkey",
      at("ca.key"),
      "-CAcreateserial",
      "-days",
      String(days),
      "-extfile",
      at("ext.cnf"),
      "-out",
      at("tls.crt"),
    ]);
    const end = runOk(openssl, ["x509", "-noout", "-enddate", "-in", at("tls.crt")]).trim();
    const notAfter = Date.parse(end.replace(/^notAfter=/, "")) / 1000;
    return {
      certificate: fs.readFileSync(at("tls.crt"), "utf8"),
      key: fs.readFileSync(at("tls.key"), "utf8"),
      ca: fs.readFileSync(at("ca.pem"), "utf8"),
      notAfter,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

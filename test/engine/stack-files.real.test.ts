// The stack files through the real Pulumi CLI (toolchain/install.sh): the documented passphrases
// open their secrets, a wrong one does not, and the configuration the engine hands a program is
// what the program's loader accepts.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { loadStackConfig } from "../../stacks/config/load";
import { encryptedSecretNames, namespaceValues } from "../../stacks/config/read";
import { engine } from "../support/engine";
import { REPO_ROOT, STACKS } from "../support/stack-files";

const PASSPHRASES: Record<string, string> = { dev: "ops-baseline-dev", prod: "ops-baseline-example" };

for (const stack of STACKS) {
  test(`${stack}: the engine decrypts the stack file's secrets and the program accepts its config`, () => {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const before = fs.readFileSync(file, "utf8");
    const e = engine();
    try {
      const wrong = e.run(["stack", "init", stack], { passphrase: "not-the-passphrase" });
      assert.notEqual(wrong.status, 0, "a wrong passphrase is refused");
      assert.match(wrong.stderr, /incorrect passphrase/);

      const init = e.run(["stack", "init", stack], { passphrase: PASSPHRASES[stack] });
      assert.equal(init.status, 0, init.stderr);
      const shown = e.run(["config", "--stack", stack, "--json", "--show-secrets"], { passphrase: PASSPHRASES[stack] });
      assert.equal(shown.status, 0, shown.stderr);
      const entries = JSON.parse(shown.stdout) as Record<string, { value: string; secret: boolean }>;
      assert.equal(entries["ops-baseline:secrets"].secret, true, "the secrets map is secret to the engine");
      const flat = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.value]));
      const config = loadStackConfig({
        file: `Pulumi.${stack}.yaml`,
        stack,
        values: namespaceValues(flat),
        encryptedSecrets: encryptedSecretNames(before),
      });
      for (const [name, value] of Object.entries(config.secrets)) {
        assert.ok(value.length >= 8, `${name} decrypts to a value`);
        assert.doesNotMatch(
          before,
          new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
          `${name} is not in the file in plain text`,
        );
      }
    } finally {
      e.cleanup();
      assert.equal(fs.readFileSync(file, "utf8"), before, "the stack file is left as it was");
    }
  });
}

// Secret templates: rendered files and job arguments that need a secret carry `${secret:<name>}`
// placeholders; a target fills them from Pulumi secrets at the edge, so the plain-text plan
// (and every golden file) never holds a secret value.

const PLACEHOLDER = /\$\{secret:([A-Za-z][A-Za-z0-9_]*)\}/g;

/** Fills a template; throws naming the placeholder when a secret is not set. */
export function fillSecretTemplate(template: string, secrets: Record<string, string>, where: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = secrets[name];
    if (value === undefined) {
      throw new Error(`${where} refers to secret "${name}", which is not set in the stack's secrets`);
    }
    return value;
  });
}

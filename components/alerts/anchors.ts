// Where an alert's runbook_url points: its own section of the stack's generated runbook. A module
// of its own so that the alert config schema and the custom rules it holds can both use it.
/** The anchor of an alert's section in the generated runbook: its name in lower case (unique). */
export function runbookAnchor(alertName: string): string {
  return alertName.toLowerCase();
}

export function runbookUrl(config: { runbookBaseUrl: string }, alertName: string): string {
  return `${config.runbookBaseUrl}#${runbookAnchor(alertName)}`;
}

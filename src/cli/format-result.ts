import type { PipelineResult } from '../workflows/types.js';

const metric = (m: Record<string, number> | null | undefined, name: string) =>
  m?.[name] === undefined ? 'n/a' : m[name]!.toFixed(4);

/** How many lines of a failure's evidence people see; `--json` has all of it. */
export const FAILURE_LINES = 40;

/**
 * The evidence under a failure's first line (the first line is the result's reason): which
 * validation rules failed, where the command's log is, the last lines of its stderr.
 */
export function failureEvidence(error: { type: string; message: string }, maxLines = FAILURE_LINES): string[] {
  const rest = error.message.split('\n').slice(1).filter((l) => l.trim());
  const shown = rest.slice(0, maxLines).map((l) => `    ${l}`);
  if (rest.length > maxLines) shown.push(`    … ${rest.length - maxLines} more line(s); --json shows them all`);
  return shown;
}

/** A pipeline result as a few lines for people. */
export function formatResult(r: PipelineResult): string {
  const lines = [`${r.outcome.toUpperCase()}: ${r.reason}`];
  if (r.outcome === 'promoted' || r.outcome === 'rejected' || r.outcome === 'rolled_back') {
    const names = Object.keys(r.metrics.candidate).filter((k) => k !== 'rows');
    lines.push(`  candidate v${r.version}: ${names.map((n) => `${n} ${metric(r.metrics.candidate, n)}`).join(', ')}`);
    if (r.metrics.production) lines.push(`  production:   ${names.map((n) => `${n} ${metric(r.metrics.production, n)}`).join(', ')}`);
  }
  if (r.outcome === 'failed') lines.push(...failureEvidence(r.error));
  if (r.dataFingerprint) lines.push(`  data: ${r.dataFingerprint.rows} rows, sha256 ${r.dataFingerprint.sha256.slice(0, 16)}`);
  return lines.join('\n');
}

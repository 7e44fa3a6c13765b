import type { PipelineResult } from '../workflows/types.js';

const metric = (m: Record<string, number> | null | undefined, name: string) =>
  m?.[name] === undefined ? 'n/a' : m[name]!.toFixed(4);

/** A pipeline result as a few lines for people. */
export function formatResult(r: PipelineResult): string {
  const lines = [`${r.outcome.toUpperCase()}: ${r.reason}`];
  if (r.outcome === 'promoted' || r.outcome === 'rejected' || r.outcome === 'rolled_back') {
    const names = Object.keys(r.metrics.candidate).filter((k) => k !== 'rows');
    lines.push(`  candidate v${r.version}: ${names.map((n) => `${n} ${metric(r.metrics.candidate, n)}`).join(', ')}`);
    if (r.metrics.production) lines.push(`  production:   ${names.map((n) => `${n} ${metric(r.metrics.production, n)}`).join(', ')}`);
  }
  if (r.dataFingerprint) lines.push(`  data: ${r.dataFingerprint.rows} rows, sha256 ${r.dataFingerprint.sha256.slice(0, 16)}`);
  return lines.join('\n');
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s" → 30000. Deterministic and dependency-free, so workflows may use it too. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new TypeError(`not a duration: ${JSON.stringify(text)} (expected e.g. 30s, 10m, 2h)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

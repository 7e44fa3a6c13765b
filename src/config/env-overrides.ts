import { parse as parseYaml } from 'yaml';

const PREFIX = 'RETRAIN__';

/**
 * Lets an operator change a threshold without editing the file:
 * RETRAIN__CHURN__TRIGGER__MAXRELATIVEDROP=0.1 sets models.churn.trigger.maxRelativeDrop.
 * Segments match existing keys case-insensitively; the value is read as a YAML scalar.
 * The result is validated by the schema like the file itself.
 */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (raw === null || typeof raw !== 'object') return raw;
  const root = structuredClone(raw) as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || value === undefined) continue;
    const segments = name.slice(PREFIX.length).split('__');
    setPath(root, ['models', ...segments], parseYaml(value) as unknown);
  }
  return root;
}

function setPath(root: Record<string, unknown>, segments: string[], value: unknown): void {
  let cur = root;
  segments.forEach((segment, i) => {
    const key = Object.keys(cur).find((k) => k.toLowerCase() === segment.toLowerCase()) ?? segment;
    if (i === segments.length - 1) {
      cur[key] = value;
      return;
    }
    const next = cur[key];
    if (next === null || typeof next !== 'object') cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  });
}

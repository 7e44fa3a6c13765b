import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { configSchema, modelSchema } from '../../src/config/model-schema.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const reference = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Data checks'));

/** The object schema inside optional/default/prefault/refine wrappers, if there is one. */
function objectOf(schema: z.ZodType): z.ZodObject | null {
  let s: z.ZodType = schema;
  for (let i = 0; i < 10; i++) {
    if (s instanceof z.ZodObject) return s;
    const inner = (s as unknown as { def: { innerType?: z.ZodType; in?: z.ZodType } }).def;
    const next = inner.innerType ?? inner.in;
    if (!next) return null;
    s = next;
  }
  return null;
}

function keys(schema: z.ZodType, prefix: string): string[] {
  const obj = objectOf(schema);
  if (!obj) return [];
  return Object.entries(obj.shape).flatMap(([k, v]) => [`${prefix}${k}`, ...keys(v as z.ZodType, `${prefix}${k}.`)]);
}

// The reference in the README is written for people; this test keeps it from going stale.
describe('README config reference', () => {
  it('mentions every key of the config schema', () => {
    const all = [...keys(configSchema, ''), ...keys(modelSchema, 'models.<name>.')];
    const missing = all.filter((k) => !reference.includes(`\`${k.split('.').at(-1)}\``) && !reference.includes(k.split('.').at(-1)!));
    assert.deepEqual(missing, [], `README "Configuration" does not mention: ${missing.join(', ')}`);
  });
});

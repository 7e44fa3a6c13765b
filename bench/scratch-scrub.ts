import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HISTORIES_DIR, scrubPaths } from '../test/helpers/record-history.js';
let changed = 0;
for (const f of readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'))) {
  const file = path.join(HISTORIES_DIR, f);
  const before = readFileSync(file, 'utf8');
  const after = `${JSON.stringify(scrubPaths(JSON.parse(before), process.argv[2]!), null, 1)}\n`;
  if (after !== before) { writeFileSync(file, after); changed++; }
}
console.log('changed', changed);

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every file under `dir`, relative, in a stable (byte-wise sorted) order. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** sha256 over names and contents, streamed, so equal folders hash equal wherever they live. */
export async function hashDirectory(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const rel of await listFiles(dir)) {
    hash.update(`${rel.split(path.sep).join('/')}\0`);
    for await (const chunk of createReadStream(path.join(dir, rel))) hash.update(chunk as Buffer);
    hash.update('\0');
  }
  return hash.digest('hex');
}

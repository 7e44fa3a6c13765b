/**
 * Repository path globs as in GitHub Actions' `paths:` filters: `*` matches within one path
 * segment, `**` across segments, `?` one character; everything else is literal.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      // `**/` also matches no folder at all: `data/**/x.csv` matches `data/x.csv`.
      const folders = glob[i + 2] === '/';
      re += folders ? '(?:.*/)?' : '.*';
      i += folders ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[\\^$.+()|{}[\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export const matchesAny = (file: string, globs: readonly string[]) => globs.some((g) => globToRegExp(g).test(file));

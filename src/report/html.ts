/**
 * HTML text and attribute escaping. Every string from data (column names, category values,
 * reasons, trigger details) goes through `esc` before it reaches the page, so a value such as
 * `</svg><script>` is shown, never parsed.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A number for people: 4 significant digits, integers as they are, NaN/Infinity spelled out. */
export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '—';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'n/a' : x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x)) return String(x);
  return Number(x.toPrecision(digits)).toString();
}

/** A link only for http(s) URLs: anything else (javascript:, data:) is shown as text. */
export function link(href: string | undefined, text: string): string {
  if (!href || !/^https?:\/\//i.test(href)) return esc(text);
  return `<a href="${esc(href)}">${esc(text)}</a>`;
}

export const PAGE_CSS = `
:root{--ref:#7f8fa6;--cur:#e17055;--ok:#2d8a4e;--bad:#c0392b;--muted:#666;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f}
body{margin:0 auto;max-width:1100px;padding:24px;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}h3{font-size:1em;margin:.8em 0 .2em}
table{border-collapse:collapse;margin:.4em 0;font-size:.92em}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f5f5f7}
.fired,.drifted,.bad{color:var(--bad);font-weight:600}.quiet,.ok{color:var(--ok)}.muted{color:var(--muted)}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.promoted{background:#2d8a4e}.rejected{background:#b9770e}.skipped{background:#7f8c8d}.failed{background:#c0392b}.rolled_back{background:#8e44ad}
.cols{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}.card{border:1px solid #ddd;border-radius:6px;padding:8px}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}svg{display:block;max-width:100%}
code{background:#f5f5f7;padding:0 3px;border-radius:3px;word-break:break-all}
`;

/**
 * A whole page. The Content-Security-Policy forbids every fetch and every script, so the file shows
 * the same offline as online and a value that slipped past escaping still could not run.
 */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${PAGE_CSS}</style></head>
<body>${body}</body></html>
`;
}

import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { execa } from 'execa';
import { findChromium } from '../../src/report/chromium.js';

/**
 * Headless Chromium with the network cut off: every request goes to a proxy on a closed port
 * (127.0.0.1:9), so a page that tried to fetch anything would fail to, and say so on its console.
 * Console messages and CSP refusals are read from Chromium's own log (--enable-logging=stderr).
 */
const OFFLINE = ['--headless', '--disable-gpu', '--no-sandbox', '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>', '--no-first-run', '--disable-extensions', '--enable-logging=stderr', '--v=0'];

export interface BrowserLoad {
  dom: string;
  /** Console messages (any level) and refused loads the page caused. */
  console: string[];
}

export function chromium(): string {
  const bin = findChromium();
  if (!bin) throw new Error('Chromium is not installed: run `npm run setup` (as root it apt-get installs chromium)');
  return bin;
}

const pageMessages = (stderr: string) => stderr.split('\n').filter((l) => /:CONSOLE[:(]|Refused to|Uncaught/.test(l));

export async function loadPage(file: string, profileDir: string): Promise<BrowserLoad> {
  const r = await execa(chromium(), [...OFFLINE, `--user-data-dir=${profileDir}`, '--dump-dom', `file://${file}`], { reject: false, timeout: 120_000 });
  if (r.exitCode !== 0) throw new Error(`chromium --dump-dom ${file} exited ${r.exitCode}: ${r.stderr.slice(-2000)}`);
  return { dom: r.stdout, console: pageMessages(r.stderr) };
}

export async function screenshot(file: string, png: string, profileDir: string): Promise<void> {
  const r = await execa(chromium(), [...OFFLINE, `--user-data-dir=${profileDir}`, '--hide-scrollbars', '--window-size=1200,1600', `--screenshot=${png}`, `file://${file}`], { reject: false, timeout: 120_000 });
  if (r.exitCode !== 0) throw new Error(`chromium --screenshot ${file} exited ${r.exitCode}: ${r.stderr.slice(-2000)}`);
}

/** Width, height and the variance of the grey level over every pixel of an 8-bit RGB(A) PNG. */
export function pngStats(file: string): { width: number; height: number; variance: number; distinct: number } {
  const buf = readFileSync(file);
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error(`${file}: only 8-bit non-interlaced PNGs are decoded`);
      colorType = data[9]!;
    }
    if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : colorType === 0 ? 1 : 0;
  if (!bpp) throw new Error(`${file}: PNG colour type ${colorType} not decoded`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const prev = Buffer.alloc(stride);
  const line = Buffer.alloc(stride);
  let sum = 0;
  let sq = 0;
  const seen = new Set<number>();
  for (let y = 0; y < height; y++) {
    const off = y * (stride + 1);
    const filter = raw[off]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[off + 1 + x]!;
      const a = x >= bpp ? line[x - bpp]! : 0;
      const b = prev[x]!;
      const c = x >= bpp ? prev[x - bpp]! : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      line[x] = (v + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const i = x * bpp;
      const grey = bpp >= 3 ? (line[i]! * 299 + line[i + 1]! * 587 + line[i + 2]! * 114) / 1000 : line[i]!;
      sum += grey;
      sq += grey * grey;
      if (seen.size < 1000) seen.add((line[i]! << 16) | ((line[i + 1] ?? 0) << 8) | (line[i + 2] ?? 0));
    }
    line.copy(prev);
  }
  const n = width * height;
  return { width, height, variance: sq / n - (sum / n) ** 2, distinct: seen.size };
}

/** SVG shapes in a dumped DOM with a non-zero size: bars, lines and markers that carry data. */
export function drawnShapes(dom: string): { rects: number; paths: number; circles: number } {
  const rects = [...dom.matchAll(/<rect\b[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/g)].filter((m) => Number(m[1]) > 0 && Number(m[2]) > 0).length;
  const paths = [...dom.matchAll(/<path\b[^>]*\bd="M[^"]*L[^"]*"/g)].length;
  const circles = [...dom.matchAll(/<circle\b[^>]*\br="([\d.]+)"/g)].filter((m) => Number(m[1]) > 0).length;
  return { rects, paths, circles };
}

import { StringDecoder } from 'node:string_decoder';

/**
 * The last lines a command wrote to stderr, for the error a failed step carries. Output arrives
 * in chunks cut anywhere (mid-line, even mid-character), so the unfinished last line is carried
 * into the next chunk instead of being split on its own: a Python traceback stays whole.
 * A carriage return overwrites the line, as a terminal shows it (progress bars keep their last
 * state). Lines and the line count are bounded: the tail travels in workflow history.
 */
export class StderrTail {
  private readonly decoder = new StringDecoder('utf8');
  private readonly lines: string[] = [];
  private partial = '';

  constructor(
    readonly maxLines = 30,
    readonly maxLineChars = 1000,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const parts = text.split('\n');
    // Bounded for memory only (a line that never ends); shown lines are cut in add()/text().
    this.partial = overwritten(parts.pop() ?? '', true).slice(-4 * this.maxLineChars);
    for (const line of parts) this.add(line);
  }

  /** The tail so far, the unfinished last line included (a command may die mid-line). */
  text(): string {
    const rest = this.partial + this.decoder.end();
    const last = this.bound(overwritten(rest, false));
    return [...this.lines, ...(last.trim() ? [last] : [])].slice(-this.maxLines).join('\n');
  }

  private add(raw: string): void {
    const line = this.bound(overwritten(raw, false));
    if (!line.trim()) return;
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }

  private bound(line: string): string {
    return line.length > this.maxLineChars ? `${line.slice(0, this.maxLineChars)}…` : line;
  }
}

/**
 * What is left of a line after carriage returns: the text after the last one. A trailing "\r"
 * may be the first half of "\r\n" (or a progress bar about to redraw), so an unfinished line
 * keeps it until the next chunk says which.
 */
function overwritten(line: string, unfinished: boolean): string {
  const trailing = line.endsWith('\r');
  const body = trailing ? line.slice(0, -1) : line;
  const kept = body.slice(body.lastIndexOf('\r') + 1);
  return unfinished && trailing ? `${kept}\r` : kept;
}

/**
 * Where a value sits in a JSON text, by its key path: enough of a JSON scanner to put a diagnostic on the line of
 * a failing number in an eval file, however it is indented. Pure.
 */

export interface TextRange {
  readonly start: number;
  readonly end: number;
}

class Scanner {
  pos = 0;

  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  /** Skips a string starting at pos (a quote) and returns its value. */
  string(): string {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length && this.text[this.pos] !== '"') this.pos += this.text[this.pos] === '\\' ? 2 : 1;
    this.pos++;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  /** Skips any value starting at pos; returns its range, or the range of the value at `path` inside it. */
  value(path: readonly string[]): TextRange | undefined {
    this.skipSpace();
    const start = this.pos;
    const c = this.text[this.pos];
    if (c === '{' || c === '[') return this.container(c, path, start);
    if (c === '"') this.string();
    else while (this.pos < this.text.length && !/[\s,}\]]/.test(this.text[this.pos]!)) this.pos++;
    return path.length === 0 ? { start, end: this.pos } : undefined;
  }

  private container(open: '{' | '[', path: readonly string[], start: number): TextRange | undefined {
    const close = open === '{' ? '}' : ']';
    this.pos++;
    let found: TextRange | undefined;
    for (let index = 0; ; index++) {
      this.skipSpace();
      if (this.text[this.pos] === close || this.pos >= this.text.length) break;
      let key = String(index);
      if (open === '{') {
        key = this.string();
        this.skipSpace();
        this.pos++; // ':'
      }
      const inner = this.value(key === path[0] && found === undefined ? path.slice(1) : ['\u0000']);
      if (key === path[0] && found === undefined) found = inner;
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
    }
    this.pos++;
    if (path.length === 0) return { start, end: this.pos };
    return found;
  }
}

/** The range of the value at `path` (object keys, array indices as strings) in `text`; undefined when absent. */
export function locateJsonValue(text: string, path: readonly string[]): TextRange | undefined {
  try {
    return new Scanner(text).value(path);
  } catch {
    return undefined;
  }
}

// Splits a byte stream into lines with a hard bound on line length, so a peer that never sends a
// newline cannot make us buffer without limit.
import { TandemError } from './errors.js';

export class LineReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxLine: number, private readonly onLine: (line: string) => void) {}

  /** Feed a chunk; throws TANDEM_E_PROTOCOL when a line exceeds the bound. */
  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      this.check(this.pendingBytes + piece.length);
      const line = this.pendingBytes === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
      if (line.length > 0) this.onLine(line.toString('utf8'));
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.check(this.pendingBytes + rest.length);
      this.pending.push(rest);
      this.pendingBytes += rest.length;
    }
  }

  private check(length: number): void {
    if (length > this.maxLine) {
      throw new TandemError('TANDEM_E_PROTOCOL', `line longer than ${this.maxLine} bytes`);
    }
  }
}

// What an application was told: every write acknowledged through a Primary's NBD export, by
// offset and checksum. Writers never reuse an offset, so after a crash each acknowledged block
// has exactly one right content. Verification reads the whole volume through another real NBD
// client (nbdcopy) from whichever node is Primary now.
import { execa } from 'execa';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { ControlClient } from '../../src/daemon/control-client.js';
import type { TandemEvent } from '../../src/daemon/events.js';

export const BLOCK = 4096;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export class AckedWrites {
  readonly acked = new Map<number, string>();
  private next = 0;

  constructor(private readonly sizeBytes: number) {}

  /** `workers` concurrent writers on fresh offsets until `stop` resolves, `count` writes, or an
   *  error; with `pauseMs`, each writer waits that long after each write (a steady, slower stream). */
  async write(socket: string, opts: { count?: number; workers?: number; stop?: Promise<void>; pauseMs?: number } = {}): Promise<{ ok: number; error: string | null }> {
    const client = await NbdClient.open(socket);
    let stopped = false;
    void opts.stop?.then(() => { stopped = true; });
    let ok = 0;
    let error: string | null = null;
    const limit = opts.count ?? Infinity;
    const worker = async (): Promise<void> => {
      while (!stopped && error === null && ok < limit) {
        const offset = this.next++ * BLOCK;
        if (offset + BLOCK > this.sizeBytes) throw new Error('volume full: no fresh offset left to write');
        const data = randomBytes(BLOCK);
        try {
          await client.write(offset, data);
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
          return;
        }
        this.acked.set(offset, sha(data));
        ok++;
        if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
      }
    };
    await Promise.all(Array.from({ length: opts.workers ?? 4 }, worker));
    client.close();
    return { ok, error };
  }

  /** Offsets whose acknowledged content is not what the export now returns. */
  async lost(socket: string, scratchDir: string): Promise<number[]> {
    const copy = join(scratchDir, `readback-${process.pid}-${Date.now()}.img`);
    await execa('nbdcopy', [`nbd+unix:///?socket=${socket}`, copy], { stdin: 'ignore' });
    const image = readFileSync(copy);
    rmSync(copy);
    return this.lostIn(image);
  }

  /** The same check on a node's backing file (a Secondary has no export to read through). */
  lostInFile(path: string): number[] {
    return this.lostIn(readFileSync(path));
  }

  private lostIn(image: Buffer): number[] {
    return [...this.acked].filter(([offset, digest]) => sha(image.subarray(offset, offset + BLOCK)) !== digest).map(([o]) => o);
  }
}

/** One write through an export (at an offset AckedWrites never uses), retried until served: when service is back. */
export async function firstWriteServed(socket: string, offset: number, deadline: number): Promise<number> {
  for (;;) {
    try {
      const client = await NbdClient.open(socket);
      try {
        await client.write(offset, randomBytes(BLOCK));
        return Date.now();
      } finally {
        client.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`no write served through ${socket}: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Every event a node's tandemd publishes, with the time this process received it. */
export class EventLog {
  readonly events: (TandemEvent & { at: number })[] = [];
  private close: (() => void) | null = null;

  constructor(private readonly controlSocket: string) {}

  async open(): Promise<this> {
    this.close = await new ControlClient(this.controlSocket).subscribe(
      (e) => this.events.push({ ...(e as TandemEvent), at: Date.now() }), () => undefined);
    return this;
  }

  first(match: (e: TandemEvent) => boolean): (TandemEvent & { at: number }) | undefined {
    return this.events.find(match);
  }

  stop(): void { this.close?.(); }
}

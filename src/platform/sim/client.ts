// The NBD client of the simulation: it drives the NbdBackend the engine exports on its Primary
// (captured by SimPlatform.startExport) the way the NBD connection does (src/nbd/connection.ts:
// requests already checked against the size and the payload limit; a backend answers with a
// value, a Promise, or a throw). Like a real client that needs ordering, it never has two
// overlapping requests in flight: a request that would overlap one in flight is skipped.
//
// Every write carries headers that name it (content.ts) and is recorded in the model when issued;
// acknowledgements, failures and flushes update the model; every read is checked against it.
import type { NbdBackend } from '../../nbd/backend.js';
import { makeWriteData, sectorContent, SECTOR } from './content.js';
import type { DataModel, WriteKind, WriteRecord } from './model.js';
import type { IoOp } from './workload.js';

export interface Export {
  node: string;
  volume: number;
  backend: NbdBackend;
}

export interface ClientHooks {
  now(): number;
  modelOf(node: string): DataModel;
  nextWriteId(): number;
  note(text: string): void;
  acked(w: WriteRecord, node: string): void;
  readChecked(node: string, volume: number, offset: number, problems: string[]): void;
}

interface Op {
  node: string;
  volume: number;
  offset: number;
  length: number;
  op: IoOp | 'sweep';
  record: WriteRecord | null;
  /** the export the request went to; it dies with its node */
  exp: Export;
}

export interface ClientStats {
  issued: number;
  acked: number;
  failed: number;
  reads: number;
  readErrors: number;
  skipped: number;
}

export class Client {
  readonly exports = new Map<string, Export>();
  private readonly inFlight = new Set<Op>();
  /** sweep reads waiting to be issued (after a promotion) */
  private readonly sweeps: Array<{ node: string; volume: number; offset: number; length: number }> = [];
  /** a checkpoint holds new requests back for a moment */
  paused = false;
  /** the schedule is over: no new requests */
  stopped = false;
  readonly stats: ClientStats = { issued: 0, acked: 0, failed: 0, reads: 0, readErrors: 0, skipped: 0 };

  constructor(private readonly hooks: ClientHooks) {}

  get busy(): boolean {
    return this.inFlight.size > 0 || this.sweeps.length > 0;
  }

  exportChanged(node: string, volume: number, backend: NbdBackend | null): void {
    const key = `${node}/${volume}`;
    if (backend) this.exports.set(key, { node, volume, backend });
    else this.exports.delete(key);
  }

  /** The node died: what it had in flight may or may not have happened; nobody will answer. */
  nodeDied(node: string): void {
    for (const op of [...this.inFlight]) {
      if (op.node !== node) continue;
      this.inFlight.delete(op);
      if (op.record && op.record.state === 'pending') op.record.state = 'unknown';
    }
    for (let i = this.sweeps.length - 1; i >= 0; i--) if (this.sweeps[i].node === node) this.sweeps.splice(i, 1);
  }

  /** Issue one request of the schedule on the volume's export (`choose` picks among several). */
  issue(op: IoOp, volume: number, offset: number, length: number, fua: boolean, choose: (candidates: Export[]) => Export): void {
    if (this.paused || this.stopped) return;
    const candidates = [...this.exports.values()].filter((e) => e.volume === volume);
    if (candidates.length === 0) { this.stats.skipped++; return; }
    const exp = candidates.length === 1 ? candidates[0] : choose(candidates);
    if (op !== 'flush' && (offset + length > exp.backend.size || this.overlaps(exp, offset, length))) { this.stats.skipped++; return; }
    this.start({ node: exp.node, volume, offset, length, op, record: null, exp }, fua);
  }

  /** Read all of every volume through this node's exports, checking every sector (after a promotion). */
  sweep(node: string): void {
    for (const exp of this.exports.values()) {
      if (exp.node !== node) continue;
      const chunk = 1024 * 1024;
      for (let off = 0; off < exp.backend.size; off += chunk) this.sweeps.push({ node, volume: exp.volume, offset: off, length: Math.min(chunk, exp.backend.size - off) });
    }
    this.pumpSweeps();
  }

  private pumpSweeps(): void {
    while (this.sweeps.length > 0) {
      const s = this.sweeps[0];
      const exp = this.exports.get(`${s.node}/${s.volume}`);
      if (!exp) { this.sweeps.shift(); continue; }
      if (this.overlaps(exp, s.offset, s.length)) return; // after the write in the way
      this.sweeps.shift();
      this.start({ ...s, op: 'sweep', record: null, exp }, false);
    }
  }

  private overlaps(exp: Export, offset: number, length: number): boolean {
    for (const op of this.inFlight) {
      if (op.exp.volume !== exp.volume || op.op === 'flush') continue;
      if (op.offset < offset + length && offset < op.offset + op.length) return true;
    }
    return false;
  }

  private start(op: Op, fua: boolean): void {
    const b = op.exp.backend;
    const model = this.hooks.modelOf(op.node);
    let call: () => unknown;
    let covered: WriteRecord[] = [];
    switch (op.op) {
      case 'read': case 'sweep':
        call = () => b.read(op.offset, op.length);
        break;
      case 'flush':
        covered = model.flushIssued(op.volume);
        call = () => b.flush();
        break;
      default: {
        const kind: WriteKind = op.op === 'write' ? 'data' : op.op;
        const id = this.hooks.nextWriteId();
        const rec: WriteRecord = {
          id, volume: op.volume, offset: op.offset, length: op.length, kind, fua, node: op.node,
          issuedAt: this.hooks.now(), state: 'pending', ackedAt: null, durable: false,
        };
        op.record = rec;
        model.issued(rec);
        const data = kind === 'data' ? makeWriteData(id, op.offset, op.length) : null;
        call = kind === 'data' ? () => b.write(op.offset, data!, fua)
          : kind === 'zero' ? () => b.writeZeroes(op.offset, op.length, fua, false)
            : () => b.trim(op.offset, op.length, fua);
      }
    }
    this.stats.issued++;
    this.inFlight.add(op);
    let result: unknown;
    try {
      result = call();
    } catch (err) {
      this.finish(op, err, undefined, covered);
      return;
    }
    if (result instanceof Promise) result.then((v) => this.finish(op, null, v, covered), (err) => this.finish(op, err ?? new Error('rejected'), undefined, covered));
    else this.finish(op, null, result, covered);
  }

  private finish(op: Op, err: unknown, value: unknown, covered: WriteRecord[]): void {
    if (!this.inFlight.delete(op)) return; // its node died: the answer comes from a dead process
    const model = this.hooks.modelOf(op.node);
    if (err) {
      this.stats.failed++;
      if (op.op === 'read' || op.op === 'sweep') this.stats.readErrors++;
      if (op.record) op.record.state = 'failed';
      this.hooks.note(`client: ${op.op} ${op.offset}+${op.length} on ${op.node} failed: ${errText(err)}`);
    } else if (op.op === 'read' || op.op === 'sweep') {
      this.stats.reads++;
      this.checkRead(op, value, model);
    } else if (op.op === 'flush') {
      this.stats.acked++;
      model.flushAcked(covered);
    } else if (op.record) {
      this.stats.acked++;
      model.acked(op.record, this.hooks.now());
      this.hooks.acked(op.record, op.node);
    }
    this.pumpSweeps();
  }

  private checkRead(op: Op, value: unknown, model: DataModel): void {
    const problems: string[] = [];
    if (!Buffer.isBuffer(value) || value.length !== op.length) {
      problems.push(`read returned ${Buffer.isBuffer(value) ? `${value.length} bytes` : typeof value}, ${op.length} were asked for`);
    } else {
      const first = op.offset / SECTOR;
      for (let i = 0; i * SECTOR < op.length; i++) {
        const why = model.check(op.volume, first + i, sectorContent(value, i * SECTOR, first + i));
        if (why) { problems.push(`sector ${first + i} (byte ${(first + i) * SECTOR}): ${why}`); if (problems.length >= 4) break; }
      }
    }
    this.hooks.readChecked(op.node, op.volume, op.offset, problems);
  }
}

function errText(err: unknown): string {
  if (err instanceof Error) return `${(err as { code?: string }).code ?? ''} ${err.message}`.trim();
  return String(err);
}

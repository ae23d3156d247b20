// When a Secondary acknowledges a replicated write (secondary.ts). Protocol B's RecvAck goes once
// the write is issued to the disk, not on arrival: a kill of the process then loses none of what
// it acknowledged, so a Secondary back in the same boot is trusted on B as on C (restart.ts; sim
// seed 453808767). The engine's objects are stood in for by the few fields applyWrite uses.
import t from 'tap';
import type { Peer } from '../../src/engine/peer.js';
import { applyMessage } from '../../src/engine/secondary.js';
import type { WireMessage } from '../../src/wire/messages.js';

interface Harness {
  peer: Peer;
  /** what the Secondary did, in order: 'issue' (disk.write called), 'done' (the write completed), and each ack sent */
  events: string[];
  /** resolves the AL activation (beginWrite's promise) */
  activate: () => void;
  /** completes the disk write */
  complete: () => void;
}

function harness(protocol: 'A' | 'B' | 'C', opts: { coldExtent?: boolean; diskThrows?: boolean } = {}): Harness {
  const events: string[] = [];
  let activate = (): void => undefined;
  let complete = (): void => undefined;
  const meta = {
    endUnacknowledged: () => undefined,
    beginWrite: () => (opts.coldExtent ? new Promise<void>((resolve) => { activate = resolve; }) : null),
    endWrite: () => undefined,
    markOutOfSync: () => undefined,
  };
  const disk = {
    write: () => {
      if (opts.diskThrows) throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
      events.push('issue');
      return new Promise<void>((resolve) => { complete = () => { events.push('done'); resolve(); }; });
    },
  };
  const volume = { index: 0, sizeBytes: 1 << 20, attached: true, meta, disk, beginActivity: () => undefined, endActivity: () => undefined };
  const resource = {
    role: 'Secondary',
    volume: () => volume,
    peers: new Map(),
    localDiskFailed: () => undefined,
  };
  const peer = {
    resource,
    protocol,
    lostWhilePrimary: false,
    sendControl: (msg: { type: string; seq: number }) => events.push(`${msg.type} #${msg.seq}`),
  } as unknown as Peer;
  return { peer, events, activate: () => activate(), complete: () => complete() };
}

const write = (seq: number): WireMessage => ({
  type: 'Write', volume: 0, seq, epoch: 1, offset: 4096, flags: { fua: false, flush: false }, missing: 0, data: Buffer.alloc(4096, 7),
} as unknown as WireMessage);

const settle = () => new Promise((resolve) => setImmediate(resolve));

t.test('protocol B: the RecvAck follows the issue of the write, and precedes its completion', async (t) => {
  const h = harness('B');
  const applied = applyMessage(h.peer, write(5));
  t.same(h.events, ['issue', 'RecvAck #5'], 'issued, then acknowledged as received, while the write is in flight');
  h.complete();
  await applied;
  t.same(h.events, ['issue', 'RecvAck #5', 'done', 'WriteAck #5'], 'the WriteAck once it is stored');
});

t.test('protocol B: no RecvAck while the activity log is being activated (the write is not issued yet)', async (t) => {
  const h = harness('B', { coldExtent: true });
  const applied = applyMessage(h.peer, write(6));
  await settle();
  t.same(h.events, [], 'nothing acknowledged before the write is issued');
  h.activate();
  await settle();
  t.same(h.events, ['issue', 'RecvAck #6'], 'acknowledged once issued');
  h.complete();
  await applied;
  t.same(h.events, ['issue', 'RecvAck #6', 'done', 'WriteAck #6']);
});

t.test('protocol B: a write the disk refuses at once is not acknowledged as received (NegAck only)', async (t) => {
  const h = harness('B', { diskThrows: true });
  await applyMessage(h.peer, write(7));
  t.same(h.events, ['NegAck #7']);
});

t.test('protocol C and A: no RecvAck', async (t) => {
  for (const protocol of ['C', 'A'] as const) {
    const h = harness(protocol);
    const applied = applyMessage(h.peer, write(8));
    h.complete();
    await applied;
    t.same(h.events, ['issue', 'done', 'WriteAck #8'], `protocol ${protocol}`);
  }
});

t.test('a write whose link is gone is applied and answers nothing', async (t) => {
  const h = harness('B');
  const applied = applyMessage(h.peer, write(9), true);
  h.complete();
  await applied;
  t.same(h.events, ['issue', 'done']);
});

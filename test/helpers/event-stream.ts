// `tandem events --json` as an administrator runs it: a CLI process per node whose stdout lines
// are collected as parsed events. The CLI says nothing when it has subscribed, so `live()` repeats
// a trigger until an event it causes shows up (the trigger must cause one each time it runs):
// from then on nothing is missed.
import { execa, type ResultPromise } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { TANDEM_BIN } from './cli.js';
import type { TestCluster } from './daemons.js';

export interface StreamedEvent { kind: string; resource: string; time: string; [field: string]: unknown }

export class CliEventStream {
  readonly events: StreamedEvent[] = [];
  private readonly child: ResultPromise;

  constructor(cluster: TestCluster, node: string) {
    this.child = execa(process.execPath, [TANDEM_BIN, 'events', '--json'], { env: cluster.envFor(node), reject: false, stdin: 'ignore', buffer: false });
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) this.events.push(JSON.parse(l) as StreamedEvent);
    });
  }

  /** Run `trigger` until an event matching `sign` arrives (the stream is then subscribed). */
  async live(trigger: () => Promise<unknown>, sign: (e: StreamedEvent) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await trigger();
      for (let i = 0; i < 20; i++) {
        if (this.events.some(sign)) return;
        await sleep(100);
      }
    }
    throw new Error('tandem events --json never showed the triggering event');
  }

  of(kind: string): StreamedEvent[] {
    return this.events.filter((e) => e.kind === kind);
  }

  stop(): void {
    this.child.kill('SIGINT');
  }
}

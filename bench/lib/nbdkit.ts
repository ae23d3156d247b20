// The baseline server: nbdkit's file plugin over a unix socket, in the foreground.
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cleanup } from './cleanup.js';

export interface NbdkitServer {
  uri: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startNbdkitFile(file: string, socket: string, cleanup: Cleanup): Promise<NbdkitServer> {
  const child = execa('nbdkit', ['-f', '-U', socket, 'file', file], { reject: false, stdin: 'ignore' });
  const stop = cleanup.add(`stop nbdkit (pid ${child.pid})`, async () => {
    child.kill('SIGTERM');
    await child;
  });
  const uri = `nbd+unix:///?socket=${socket}`;
  await waitForExport(uri, () => child.exitCode !== null, 'nbdkit');
  return { uri, pid: child.pid!, stop };
}

/** Poll with nbdinfo until the export answers (the server is up and negotiating). */
export async function waitForExport(uri: string, exited: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`${what} exited before serving ${uri}`);
    const r = await execa('nbdinfo', ['--size', uri], { reject: false, stdin: 'ignore' });
    if (r.exitCode === 0) return;
    await sleep(50);
  }
  throw new Error(`${what} did not serve ${uri} within 15 s`);
}

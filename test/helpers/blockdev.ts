// A kernel block device on top of an NBD export without the nbd module: nbdfuse exposes the
// export as a file, losetup makes it a block device. Everything is undone at teardown, even
// when the test fails half-way.
import { execa } from 'execa';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Teardown { teardown(fn: () => unknown): void }

/** nbdfuse on `dir`; returns the file that is the export. */
export async function fuseAttach(t: Teardown, uri: string, dir: string): Promise<{ file: string; detach: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const pidFile = `${dir}.pid`;
  const proc = execa('nbdfuse', ['-P', pidFile, dir, uri], { reject: false });
  const detach = async (): Promise<void> => {
    await execa('fusermount3', ['-u', dir], { reject: false });
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await proc;
  };
  t.teardown(detach);
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(50);
  if (!existsSync(pidFile)) throw new Error(`nbdfuse did not start: ${(await proc).stderr}`);
  return { file: join(dir, 'nbd'), detach };
}

export async function loopAttach(t: Teardown, file: string): Promise<{ dev: string; detach: () => Promise<void> }> {
  const dev = (await execa('losetup', ['-f', '--show', file])).stdout.trim();
  let attached = true;
  const detach = async (): Promise<void> => {
    if (!attached) return;
    attached = false;
    await execa('losetup', ['-d', dev], { reject: false });
  };
  t.teardown(detach);
  return { dev, detach };
}

export async function mount(t: Teardown, dev: string, dir: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  await execa('mount', [dev, dir]);
  let mounted = true;
  const umount = async (): Promise<void> => {
    if (!mounted) return;
    mounted = false;
    await execa('umount', [dir], { reject: false });
  };
  t.teardown(umount);
  return umount;
}

// The fuse frontend: nbdfuse presents the export as a file on a FUSE mount, and a loop device
// makes that file a block device. For nodes without the kernel NBD driver (this is the one that
// runs on machines whose kernel has no modules). The loop device does direct I/O on the FUSE file,
// so there is no second page cache between the file system and the export; flushes go through
// (loop → fsync of the FUSE file → nbdfuse → NBD FLUSH).
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TandemError } from '../../../lib/errors.js';
import { exists, missingPrograms, type AttachedDevice, type ExportTarget, type FrontendDriver } from './driver.js';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const FILE = 'volume';

export const fuseFrontend: FrontendDriver = {
  kind: 'fuse',

  async unavailable() {
    const missing = await missingPrograms([['nbdfuse', 'libnbd-bin'], ['fusermount3', 'fuse3'], ['losetup', 'mount']]);
    if (missing) return missing;
    if (!(await exists('/dev/fuse'))) return 'no /dev/fuse on this node (the kernel has no FUSE support)';
    if (!(await exists('/dev/loop-control'))) return 'no /dev/loop-control on this node (the kernel has no loop device support)';
    return null;
  },

  async attach(target: ExportTarget, workDir: string): Promise<AttachedDevice> {
    const mountpoint = join(workDir, 'fuse');
    await mkdir(mountpoint, { recursive: true });
    const pid = await startNbdfuse(target.uri, mountpoint, workDir);
    const attached: AttachedDevice = { kind: 'fuse', device: '', mountpoint, pid };
    try {
      attached.device = await loopAttach(join(mountpoint, FILE));
      return attached;
    } catch (err) {
      await this.detach(attached);
      throw err;
    }
  },

  async detach(attached: AttachedDevice): Promise<void> {
    if (attached.device) await loopDetach(attached.device, attached.mountpoint ? join(attached.mountpoint, FILE) : null);
    if (attached.mountpoint) await stopNbdfuse(attached.mountpoint, attached.pid ?? null);
  },
};

/** nbdfuse in its own session (a signal to the daemon's group does not reach it); returns its pid once it serves. */
async function startNbdfuse(uri: string, mountpoint: string, workDir: string): Promise<number> {
  const pidFile = join(workDir, 'nbdfuse.pid');
  const logFile = join(workDir, 'nbdfuse.log');
  await rm(pidFile, { force: true });
  const log = openSync(logFile, 'w');
  const child = spawn('nbdfuse', ['-P', pidFile, join(mountpoint, FILE), uri], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited: string | null = null;
  child.once('exit', (code, signal) => { exited = signal ?? `exit ${code}`; });
  child.once('error', (err) => { exited = err.message; });
  child.unref();
  const until = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const text = await readFile(pidFile, 'utf8').catch(() => '');
    if (/^\d+/.test(text)) return Number.parseInt(text, 10);
    if (exited !== null || Date.now() > until) {
      const output = (await readFile(logFile, 'utf8').catch(() => '')).trim();
      if (exited === null) child.kill('SIGKILL');
      throw new TandemError('TANDEM_E_FRONTEND', `nbdfuse could not present ${uri} as a file (${exited ?? `not ready after ${START_TIMEOUT_MS} ms`})${output ? `: ${output}` : ''}`, {
        hint: 'check that the export answers (nbdinfo URI) and that FUSE works on this node (/dev/fuse)',
      });
    }
    await sleep(20);
  }
}

async function loopAttach(file: string): Promise<string> {
  const r = await execa('losetup', ['--find', '--show', '--direct-io=on', file], { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    throw new TandemError('TANDEM_E_FRONTEND', `losetup could not attach a loop device to ${file}: ${String(r.stderr).trim()}`, {
      hint: 'check free loop devices (losetup -l) and /dev/loop-control',
    });
  }
  return String(r.stdout).trim();
}

/** Detach the loop device if it is still the one on our file (a recycled number is someone else's). */
async function loopDetach(device: string, file: string | null): Promise<void> {
  const r = await execa('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE'], { reject: false, stdin: 'ignore' });
  const rows = r.exitCode === 0 && String(r.stdout).trim() ? (JSON.parse(String(r.stdout)).loopdevices as Array<{ name: string; 'back-file': string | null }>) : [];
  const row = rows.find((x) => x.name === device);
  if (!row) return;
  // the FUSE file as this mount namespace sees it; one whose namespace died shows as '/volume'
  const backing = row['back-file'] ?? '';
  if (file !== null && !backing.startsWith(file) && backing !== `/${FILE}`) return;
  const d = await execa('losetup', ['--detach', device], { reject: false, stdin: 'ignore' });
  if (d.exitCode !== 0) throw new TandemError('TANDEM_E_FRONTEND', `losetup could not detach ${device}: ${String(d.stderr).trim()}`);
}

/** Unmount the FUSE file (nbdfuse then exits); a dead or stuck nbdfuse is killed and the mount lazily removed. */
async function stopNbdfuse(mountpoint: string, pid: number | null): Promise<void> {
  const alive = async (): Promise<boolean> => pid !== null && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('nbdfuse');
  await execa('fusermount3', ['-u', mountpoint], { reject: false, stdin: 'ignore' });
  const until = Date.now() + STOP_TIMEOUT_MS;
  while ((await alive()) && Date.now() < until) await sleep(20);
  if (await alive()) {
    try { process.kill(pid!, 'SIGKILL'); } catch { /* gone meanwhile */ }
  }
  // a dead nbdfuse leaves its mount behind ("Transport endpoint is not connected")
  await execa('fusermount3', ['-u', '-z', mountpoint], { reject: false, stdin: 'ignore' });
}

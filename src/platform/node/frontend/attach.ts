// A volume's block device while its node is Primary: the chosen frontend's kernel device under a
// stable name, <dev dir>/<resource>/<volume> (as DRBD's /dev/drbd/by-res/<res>/<vol>), removed on
// detach. What was attached is recorded under the state directory before the name appears, so a
// daemon killed with -9 leaves enough behind for the agent or the next daemon to undo it, and
// nothing is undone while the device is in use.
import { mkdir, readdir, readFile, readlink, rename, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TandemError } from '../../../lib/errors.js';
import { chooseFrontend, FRONTENDS, type FrontendSetting } from './choose.js';
import { deviceUse } from './device-use.js';
import type { AttachedDevice, ExportTarget, FrontendKind } from './driver.js';

export interface FrontendDirs {
  /** stable device names: <devDir>/<resource>/<volume> */
  devDir: string;
  /** per-volume work directories and state records: <stateDir>/<resource>/<volume>/ */
  stateDir: string;
}

export interface VolumeRef { resource: string; volume: number }

/** An attached frontend, as the export that owns it sees it. */
export interface Frontend {
  readonly kind: FrontendKind;
  /** the stable path: /dev/tandem/<res>/<vol> */
  readonly path: string;
  /** the kernel device behind it: /dev/loop3, /dev/nbd0 */
  readonly device: string;
  /** why it cannot be detached now (mounted, open), or null */
  busy(): Promise<string | null>;
  /** remove the name and the kernel device; refuses (TANDEM_E_BUSY) while in use */
  detach(): Promise<void>;
}

interface StateRecord extends AttachedDevice {
  path: string;
  /** the daemon that attached it */
  ownerPid: number;
}

/** This volume's own directory: FUSE mount point, pid and log files, state record (and a private export socket). */
export const volumeWorkDir = (dirs: Pick<FrontendDirs, 'stateDir'>, v: VolumeRef): string => join(dirs.stateDir, v.resource, String(v.volume));
const recordFile = (dir: string): string => join(dir, 'state.json');
export const devicePath = (dirs: FrontendDirs, v: VolumeRef): string => join(dirs.devDir, v.resource, String(v.volume));

/** Attach the frontend the setting asks for (null for `none`), after undoing what a dead owner left. */
export async function attachFrontend(setting: FrontendSetting, v: VolumeRef, target: ExportTarget, dirs: FrontendDirs): Promise<Frontend | null> {
  const driver = await chooseFrontend(setting, v.resource);
  if (!driver) return null;
  const dir = volumeWorkDir(dirs, v);
  await releaseVolume(dir, v);
  const path = devicePath(dirs, v);
  await refuseForeignName(path, v);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const attached = await driver.attach(target, dir);
  const record: StateRecord = { ...attached, path, ownerPid: process.pid };
  try {
    await writeFile(recordFile(dir), JSON.stringify(record) + '\n', { mode: 0o600 });
    await mkdir(dirname(path), { recursive: true });
    await symlink(attached.device, `${path}.new`).catch(async () => {
      await rm(`${path}.new`, { force: true });
      await symlink(attached.device, `${path}.new`);
    });
    await rename(`${path}.new`, path); // atomic: the name never points at nothing
  } catch (err) {
    await release(dir, record).catch(() => undefined);
    throw err;
  }
  return {
    kind: attached.kind, path, device: attached.device,
    busy: () => deviceUse(attached.device),
    detach: async () => {
      const why = await deviceUse(attached.device);
      if (why) throw busyError(v, path, why);
      await release(dir, record);
    },
  };
}

/**
 * Undo every frontend a (dead) daemon left for a resource on this node: what the agent does on
 * stop or demote when tandemd is gone. Returns the device paths released; TANDEM_E_BUSY when one
 * is still mounted or open (nothing of that volume is touched then).
 */
export async function releaseFrontends(dirs: Pick<FrontendDirs, 'stateDir'>, resource: string): Promise<string[]> {
  const volumes = await readdir(join(dirs.stateDir, resource)).catch(() => [] as string[]);
  const released: string[] = [];
  for (const volume of volumes.filter((x) => /^\d+$/.test(x))) {
    const path = await releaseVolume(join(dirs.stateDir, resource, volume), { resource, volume: Number(volume) });
    if (path) released.push(path);
  }
  return released;
}

/** Release what the record in `dir` describes, if any; returns the device path it had. */
async function releaseVolume(dir: string, v: VolumeRef): Promise<string | null> {
  const record = await readRecord(dir);
  if (!record) return null;
  const why = await deviceUse(record.device);
  if (why) throw busyError(v, record.path, why, 'left by an earlier run of tandemd ');
  await release(dir, record);
  return record.path;
}

async function release(dir: string, record: StateRecord): Promise<void> {
  if ((await readlink(record.path).catch(() => null)) === record.device) await rm(record.path, { force: true });
  await rmdir(dirname(record.path)).catch(() => undefined); // the resource's directory, once empty
  const driver = FRONTENDS.find((f) => f.kind === record.kind)!;
  await driver.detach(record);
  await rm(recordFile(dir), { force: true });
}

async function readRecord(dir: string): Promise<StateRecord | null> {
  const text = await readFile(recordFile(dir), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as StateRecord;
  } catch {
    return null; // torn by a crash before the device name existed: nothing to undo by name
  }
}

/** A name we did not record (an administrator's link, another node sharing the directory) is never replaced while used. */
async function refuseForeignName(path: string, v: VolumeRef): Promise<void> {
  const target = await readlink(path).catch(() => null);
  if (target === null) return;
  const why = await deviceUse(path);
  if (why) throw busyError(v, path, why, `(pointing at ${target}, not recorded by this node) `);
  await rm(path, { force: true });
}

function busyError(v: VolumeRef, path: string, why: string, whose = ''): TandemError {
  return new TandemError('TANDEM_E_BUSY', `volume ${v.volume} of ${v.resource}: ${path} ${whose}is ${why}`, {
    hint: `unmount it or stop what has it open (fuser -vm ${path}), then try again`,
    details: { resource: v.resource, volume: v.volume, device: path, use: why },
  });
}

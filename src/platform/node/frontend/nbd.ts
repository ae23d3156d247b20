// The nbd frontend: the kernel's own NBD client (/dev/nbdN) connected to the export by
// nbd-client, which configures the device over netlink and leaves the connection to the kernel.
// Needs the nbd module loaded; where it is missing the frontend says so before trying anything.
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import { TandemError } from '../../../lib/errors.js';
import { exists, missingPrograms, type AttachedDevice, type ExportTarget, type FrontendDriver } from './driver.js';

/** seconds the kernel waits on a request before failing it (a dead daemon must not hang I/O forever) */
const REQUEST_TIMEOUT_SEC = 30;

export const nbdFrontend: FrontendDriver = {
  kind: 'nbd',

  async unavailable() {
    if (!(await exists('/sys/module/nbd'))) {
      return 'the kernel NBD driver is not loaded on this node (no /sys/module/nbd): load it with modprobe nbd, or use frontend = fuse';
    }
    return missingPrograms([['nbd-client', 'nbd-client']]);
  },

  async attach(target: ExportTarget): Promise<AttachedDevice> {
    const tried: string[] = [];
    for (const device of await freeDevices()) {
      const r = await execa('nbd-client', nbdClientArgs(target, device), { reject: false, stdin: 'ignore' });
      if (r.exitCode === 0) return { kind: 'nbd', device };
      tried.push(`${device}: ${String(r.stderr).trim().split('\n').pop()}`);
      if (!/busy|in use|already/i.test(String(r.stderr))) break; // not a race for the device: do not try the next one
    }
    throw new TandemError('TANDEM_E_FRONTEND', `nbd-client could not connect a kernel NBD device to ${target.uri}${tried.length ? `: ${tried.join('; ')}` : ': no free /dev/nbdN'}`, {
      hint: 'load the nbd module with more devices (modprobe nbd nbds_max=64), or use frontend = fuse',
    });
  },

  async detach(attached: AttachedDevice): Promise<void> {
    const check = await execa('nbd-client', ['-c', attached.device], { reject: false, stdin: 'ignore' });
    if (check.exitCode !== 0) return; // not connected (any more)
    const r = await execa('nbd-client', ['-d', attached.device], { reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0) throw new TandemError('TANDEM_E_FRONTEND', `nbd-client could not disconnect ${attached.device}: ${String(r.stderr).trim()}`);
  },
};

/** nbd-client's command line for one export on one device (netlink, the default of nbd-client ≥ 3.17). */
export function nbdClientArgs(target: ExportTarget, device: string): string[] {
  const where = target.address.kind === 'unix' ? ['-unix', target.address.path] : [target.address.host, String(target.address.port)];
  return [...where, device, '-name', target.exportName, '-block-size', '4096', '-timeout', String(REQUEST_TIMEOUT_SEC)];
}

/** /dev/nbdN devices no client is connected to (the kernel shows a pid for connected ones). */
async function freeDevices(): Promise<string[]> {
  const names = (await readdir('/sys/block').catch(() => [] as string[])).filter((n) => /^nbd\d+$/.test(n));
  const free: string[] = [];
  for (const n of names.sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))) {
    if (!(await exists(`/sys/block/${n}/pid`))) free.push(`/dev/${n}`);
  }
  return free;
}

// What a frontend kind is: a way to turn an NBD export into a kernel block device on this node.
// One file per kind (nbd.ts, fuse.ts); choose.ts picks one; attach.ts gives the result its stable
// name (/dev/tandem/<res>/<vol>) and the state record that lets anyone undo it after a crash.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export type FrontendKind = 'nbd' | 'fuse';

/** A kernel block device attached to an export, as recorded for whoever detaches it. */
export interface AttachedDevice {
  kind: FrontendKind;
  /** the kernel's device node: /dev/loop3, /dev/nbd0 */
  device: string;
  /** fuse: the FUSE mount point and the nbdfuse process serving it */
  mountpoint?: string;
  pid?: number;
}

/** The export a frontend connects to. */
export interface ExportTarget {
  /** NBD URI with the export name (nbd+unix:///r0%2F0?socket=… or nbd://host:port/r0%2F0) */
  uri: string;
  exportName: string;
  address: { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };
}

export interface FrontendDriver {
  readonly kind: FrontendKind;
  /** null when this node can run this frontend, else why not (with what to install or load) */
  unavailable(): Promise<string | null>;
  /** attach; `workDir` is this volume's private directory (mount points, pid and log files) */
  attach(target: ExportTarget, workDir: string): Promise<AttachedDevice>;
  /** detach a device attached by this driver, by this process or a dead one; idempotent */
  detach(attached: AttachedDevice): Promise<void>;
}

/** The absolute path of a program on PATH, or null. */
export async function onPath(program: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const candidate = join(dir, program);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return null;
}

export async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** The programs a frontend needs that are not installed, as a sentence; null when all are. */
export async function missingPrograms(programs: Array<[program: string, debianPackage: string]>): Promise<string | null> {
  const missing: Array<[string, string]> = [];
  for (const [program, pkg] of programs) if ((await onPath(program)) === null) missing.push([program, pkg]);
  if (missing.length === 0) return null;
  const pkgs = [...new Set(missing.map(([, p]) => p))].join(' ');
  return `${missing.map(([p]) => p).join(', ')} not installed (Debian: apt install ${pkgs})`;
}

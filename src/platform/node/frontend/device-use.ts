// Who uses a block device: mounted, held by another driver, open by a process, or claimed
// exclusively by someone this process cannot see (another mount namespace). DRBD refuses to
// demote an open device; so does Tandem, and this is how it knows. Everything here is
// asynchronous: the daemon asks while it serves the device's I/O on the same event loop.
import { constants } from 'node:fs';
import { open, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';

/** Why `device` cannot be taken away now, in words for an administrator; null when nobody uses it. */
export async function deviceUse(device: string): Promise<string | null> {
  let path: string;
  let rdev: { major: number; minor: number };
  try {
    path = await realpath(device);
    const st = await stat(path);
    if (!st.isBlockDevice()) return null;
    rdev = { major: Math.floor(st.rdev / 256) & 0xfff, minor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) };
  } catch {
    return null; // gone: nobody can use it
  }
  const id = `${rdev.major}:${rdev.minor}`;
  const mounts = await mountPoints(id);
  if (mounts.length > 0) return `mounted on ${mounts.join(', ')}`;
  const holders = await readdir(`/sys/dev/block/${id}/holders`).catch(() => [] as string[]);
  if (holders.length > 0) return `held by ${holders.join(', ')}`;
  const openers = await processesWith(path);
  if (openers.length > 0) return `open by ${openers.slice(0, 5).join(', ')}${openers.length > 5 ? ` and ${openers.length - 5} more` : ''}`;
  return exclusiveClaim(path);
}

/** Mount points of the device in this mount namespace (/proc/self/mountinfo field 3 is major:minor). */
async function mountPoints(id: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text.split('\n').map((l) => l.split(' ')).filter((f) => f[2] === id).map((f) => unescapeMount(f[4]));
}

function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Processes (of this PID namespace) with the device open: "pid 123 (dd)". */
async function processesWith(path: string): Promise<string[]> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  const found: string[] = [];
  await Promise.all(pids.map(async (pid) => {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) !== path) continue;
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
      found.push(`pid ${pid} (${comm})`);
      return;
    }
  }));
  return found.sort();
}

/**
 * The kernel refuses an O_EXCL open of a block device that is mounted or claimed, in any
 * namespace: the last word when nothing visible explains it.
 */
async function exclusiveClaim(path: string): Promise<string | null> {
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_EXCL | constants.O_NONBLOCK);
    await handle.close();
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EBUSY') return 'in use (claimed exclusively: mounted in another mount namespace, or held by another driver)';
    return null; // ENXIO and the like: no device behind the node, so nobody can be using it
  }
}

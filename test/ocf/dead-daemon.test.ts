// ocf:tandem:replica when tandemd dies on the Promoted node (kill -9), with real daemons and the
// fuse frontend: monitor says 7 and removes the stale score; demote and stop undo the block
// device the dead daemon left, but refuse (1, with the reason) while it is still mounted; start
// brings tandemd back by itself instead of banning the node.
import t from 'tap';
import { execa } from 'execa';
import { existsSync, mkdirSync, readlinkSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/daemon/control-client.js';
import { agentCluster } from './agent-cluster.js';
import { runAgent } from './helpers.js';
import { peersUpToDate, waitFor } from '../helpers/wait.js';

const skip = userInfo().uid === 0 ? false : 'needs root: FUSE mounts and loop devices';

t.test('kill -9 of tandemd on the Primary: monitor 7, demote refused while mounted then 0, stop 0, start restarts tandemd', { skip }, async (t) => {
  const { cluster, score, params } = await agentCluster('tandem-ocf-dead-', { frontend: 'fuse' });
  t.teardown(() => cluster.destroy());
  for (const n of ['alpha', 'bravo']) t.equal((await runAgent('start', params(n))).rc, 0, `start on ${n}`);
  t.equal((await cluster.cli('alpha', ['primary', 'r0', '--force'])).exitCode, 0, 'first promotion by hand (new data)');
  await waitFor(cluster, 'alpha', 'r0', 'bravo UpToDate', peersUpToDate(['bravo']));
  const device = join(cluster.root, 'dev', 'alpha', 'r0', '0');
  const loop = readlinkSync(device);
  const mnt = join(cluster.root, 'mnt');
  mkdirSync(mnt);
  await execa('mkfs.ext4', ['-q', '-F', device]);
  await execa('mount', [device, mnt]);
  t.teardown(() => execa('umount', [mnt], { reject: false }));
  t.equal((await runAgent('monitor', params('alpha'))).rc, 8, 'Promoted');
  t.equal(await score('alpha'), '10064');

  await cluster.kill('alpha');
  const mon = await runAgent('monitor', params('alpha'));
  t.equal(mon.rc, 7, 'monitor: not running');
  t.match(mon.reason, /tandemd is not running on node alpha/);
  t.equal(await score('alpha'), null, 'the stale score is removed: a dead node must not look best');

  const busy = await runAgent('demote', params('alpha'));
  t.equal(busy.rc, 1, 'demote refused while the file system is still mounted on the dead device');
  t.match(busy.reason, new RegExp(`demote of r0: tandemd is not running, and volume 0 of r0: ${device} left by an earlier run of tandemd is mounted on ${mnt}`));
  t.ok(existsSync(device), 'the device is left alone');

  await execa('umount', [mnt]);
  const demote = await runAgent('demote', params('alpha'));
  t.equal(demote.rc, 0, `demote: ${demote.stderr.trim()}`);
  t.match(demote.stderr, new RegExp(`removed the block devices it left: ${device}`));
  t.notOk(existsSync(device), 'the device is gone');
  const loops = String((await execa('losetup', ['--list', '--noheadings', '--output', 'NAME'])).stdout);
  t.notMatch(loops, new RegExp(`^${loop}$`, 'm'), `${loop} is detached`);
  t.equal((await runAgent('stop', params('alpha'))).rc, 0, 'stop: nothing left to do');

  const start = await runAgent('start', params('alpha'));
  t.equal(start.rc, 0, `start brings tandemd back (${start.stderr.trim()})`);
  t.match(start.stderr, /tandemd is not running: started tandemd directly \(pid \d+/);
  const control = new ControlClient(join(cluster.envFor('alpha').TANDEM_RUN_DIR, 'alpha.ctl'));
  const { pid } = await control.call<{ pid: number }>('ping');
  t.teardown(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
  const s = await waitFor(cluster, 'alpha', 'r0', 'alpha up and connected', (x) => x.connections.every((c) => c.connectionState === 'Connected'));
  t.equal(s.role, 'Secondary', 'started Secondary');
  t.equal((await runAgent('monitor', params('alpha'))).rc, 0, 'monitor: running');
});

// fencing = resource-only on a 3-node cluster without STONITH: the Primary's replication link is
// cut (corosync unaffected); see fencing-scenario.ts for what must happen.
import t from 'tap';
import { userInfo } from 'node:os';
import { cutReplicationLinkOfPrimary } from './fencing-scenario.js';
import { TandemCluster } from './tandem-cluster.js';

const skip = userInfo().uid === 0 ? false : 'needs root: network namespaces, corosync and pacemaker';

t.test('resource-only: constraint placed, outdated peers never promoted, lifted after resync', { skip }, async (t) => {
  const tc = await TandemCluster.start({ nodes: 3, fencing: 'resource-only' });
  t.teardown(() => tc.stop());
  t.teardown(() => { if (!t.passing()) t.comment(tc.diagnostics()); });
  await cutReplicationLinkOfPrimary(t, tc);
});

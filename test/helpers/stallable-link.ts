// One replication link of a test cluster through stall proxies: `a` dials `b` through one proxy,
// `b` dials `a` through another, so whichever connection wins crosses one. Every node's
// configuration is written (the others' unchanged); `direct()` writes them back without the
// proxies, for daemons started afterwards. Proxies are resumed and stopped at teardown.
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import type { TestCluster } from './daemons.js';
import { StallProxy } from './stall-proxy.js';
import type { status } from './wait.js';

/** Pings far apart and patient: a stalled link stays up while the test needs it (the resource's extra lines). */
export const PATIENT_PINGS = ['ping-interval = 120s', 'ping-timeout = 30s'];

/** A two-node resource's status: UpToDate, Established with an UpToDate peer, nothing out of sync. */
export function settledWithPeer(s: Awaited<ReturnType<typeof status>>): boolean {
  const c = s.connections[0];
  return s.volumes[0].diskState === 'UpToDate' && c.connectionState === 'Connected' && c.volumes[0].replicationState === 'Established'
    && c.volumes[0].peerDiskState === 'UpToDate' && c.volumes[0].outOfSyncBytes === 0;
}

export interface StallableLink {
  proxies: StallProxy[];
  stall(): void;
  /** closes the proxied connections (a side that closed while stalled closes the other now) */
  stop(): Promise<void>;
  /** node configurations without the proxies */
  direct(): void;
}

export async function stallableLink(t: Test, cluster: TestCluster, res: string, nodes: string[], a: string, b: string): Promise<StallableLink> {
  const file = `${res}.ini`;
  const text = readFileSync(`${cluster.configDir}/${file}`, 'utf8');
  const port = (n: string): number => Number(new RegExp(`\\[node\\.${n}\\]\\nid = \\d+\\naddress = 127\\.0\\.0\\.1:(\\d+)`).exec(text)![1]);
  const proxies = [new StallProxy(port(b)), new StallProxy(port(a))];
  t.teardown(async () => { for (const p of proxies) { p.resume(); await p.stop(); } });
  const [toB, toA] = [await proxies[0].start(), await proxies[1].start()];
  const via = (n: string, p: number): string => text.replace(`address = 127.0.0.1:${port(n)}`, `address = 127.0.0.1:${p}`);
  for (const n of nodes) cluster.writeNodeConfig(n, file, n === a ? via(b, toB) : n === b ? via(a, toA) : text);
  return {
    proxies,
    stall: () => { for (const p of proxies) p.stall(); },
    stop: async () => { for (const p of proxies) await p.stop(); },
    direct: () => { for (const n of nodes) cluster.writeNodeConfig(n, file, text); },
  };
}

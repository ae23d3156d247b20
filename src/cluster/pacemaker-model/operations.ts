// The operations (with the timeouts each agent advertises in its meta-data) every generated
// primitive carries. Without them Pacemaker uses its 20 s default for start and stop, which is too
// short for a Filesystem, a database or the replica itself.
//
// ocf:tandem:replica's come from its own meta-data (src/ocf/metadata.ts). The others are what
// resource-agents 4.12 / pacemaker 2.1 advertise; test/cluster/pacemaker-model/operations.test.ts
// reads the installed agents' meta-data and fails if this table disagrees with it.
import { ACTIONS, AGENT_NAME, AGENT_PROVIDER } from '../../ocf/metadata.js';
import type { AgentRef, Op } from './model.js';

interface Advertised {
  start: number;
  stop: number;
  monitor: { intervalSec: number; timeoutSec: number };
}

/** Agent (`provider:type`, or `class:type` without provider) → what its meta-data advertises. */
export const ADVERTISED: Readonly<Record<string, Advertised>> = {
  'heartbeat:Filesystem': { start: 60, stop: 60, monitor: { intervalSec: 20, timeoutSec: 40 } },
  'heartbeat:IPaddr2': { start: 20, stop: 20, monitor: { intervalSec: 10, timeoutSec: 20 } },
  'heartbeat:LVM-activate': { start: 90, stop: 90, monitor: { intervalSec: 30, timeoutSec: 90 } },
  'heartbeat:anything': { start: 20, stop: 20, monitor: { intervalSec: 10, timeoutSec: 20 } },
  'heartbeat:oracle': { start: 120, stop: 120, monitor: { intervalSec: 120, timeoutSec: 30 } },
  'heartbeat:oralsnr': { start: 120, stop: 120, monitor: { intervalSec: 10, timeoutSec: 30 } },
  'heartbeat:sybaseASE': { start: 300, stop: 300, monitor: { intervalSec: 30, timeoutSec: 100 } },
  'heartbeat:db2': { start: 120, stop: 120, monitor: { intervalSec: 20, timeoutSec: 60 } },
  'heartbeat:ethmonitor': { start: 60, stop: 20, monitor: { intervalSec: 10, timeoutSec: 60 } },
  'pacemaker:ping': { start: 60, stop: 20, monitor: { intervalSec: 10, timeoutSec: 60 } },
  'pacemaker:booth-site': { start: 20, stop: 20, monitor: { intervalSec: 10, timeoutSec: 20 } },
  // systemd units have no meta-data; these are the values pcs itself uses for them
  'systemd:*': { start: 100, stop: 100, monitor: { intervalSec: 60, timeoutSec: 100 } },
  // fence agents: Pacemaker runs only monitor on a schedule; 20 s is fence-agents' advertised value
  'stonith:*': { start: 20, stop: 20, monitor: { intervalSec: 60, timeoutSec: 20 } },
};

export function advertisedKey(a: AgentRef): string {
  if (a.class === 'systemd' || a.class === 'stonith') return `${a.class}:*`;
  return `${a.provider ?? a.class}:${a.type}`;
}

export function isReplicaAgent(a: AgentRef): boolean {
  return a.class === 'ocf' && a.provider === AGENT_PROVIDER && a.type === AGENT_NAME;
}

/**
 * Operations for a primitive of this agent: start, stop and one monitor for ordinary agents;
 * for ocf:tandem:replica every action of its meta-data that Pacemaker schedules. `monitorIntervalSec`
 * (VCS MonitorInterval) overrides the advertised interval of a single monitor.
 */
export function operationsFor(agent: AgentRef, opts: { monitorIntervalSec?: number } = {}): Op[] {
  if (isReplicaAgent(agent)) return replicaOperations();
  const adv = ADVERTISED[advertisedKey(agent)];
  if (!adv) throw new Error(`no advertised operations for ${agent.class}:${agent.provider ?? ''}:${agent.type}`);
  const ops: Op[] = [
    { name: 'start', intervalSec: 0, timeoutSec: adv.start },
    { name: 'stop', intervalSec: 0, timeoutSec: adv.stop },
    { name: 'monitor', intervalSec: opts.monitorIntervalSec ?? adv.monitor.intervalSec, timeoutSec: adv.monitor.timeoutSec },
  ];
  // stonith devices are never started or stopped like resources: only the monitor matters
  return agent.class === 'stonith' ? ops.filter((o) => o.name === 'monitor') : ops;
}

/** The replica's actions as its meta-data lists them (meta-data and validate-all are never scheduled). */
function replicaOperations(): Op[] {
  return ACTIONS.filter((a) => a.name !== 'meta-data' && a.name !== 'validate-all').map((a) => ({
    name: a.name as Op['name'],
    intervalSec: a.intervalSec ?? 0,
    timeoutSec: a.timeoutSec,
    ...(a.role ? { role: a.role } : {}),
  }));
}

// The Pacemaker objects of one Tandem resource, built the same way for `pacemaker config` and
// `migrate vcs`: the promotable clone of ocf:tandem:replica (ids tandem-<res>, tandem-<res>-clone,
// which the agent and the fence handler also use), the Filesystem on the Promoted node's block
// device, and the constraints that keep services where, and after, the replica is promoted.
import { AGENT_NAME, AGENT_PROVIDER, PARAMETERS } from '../../ocf/metadata.js';
import { TandemError } from '../../lib/errors.js';
import type { Clone, Constraint, NvPairs, Primitive } from './model.js';
import { operationsFor } from './operations.js';

export function primitiveId(resource: string): string {
  return `tandem-${resource}`;
}

export function cloneId(resource: string): string {
  return `tandem-${resource}-clone`;
}

/** Where the frontend puts volume `volume` of `resource` while this node is Primary. */
export function deviceOf(resource: string, volume: number | string): string {
  return `/dev/tandem/${resource}/${volume}`;
}

/**
 * Agent parameters in the order the meta-data defines them, each checked against it: a name the
 * agent does not know is a usage error, not a silently ignored attribute.
 */
export function replicaParams(resource: string, extra: NvPairs = []): NvPairs {
  const given = new Map<string, string>([['resource', resource]]);
  for (const [name, value] of extra) {
    const def = PARAMETERS.find((p) => p.name === name);
    if (!def) {
      throw new TandemError('TANDEM_E_USAGE', `ocf:${AGENT_PROVIDER}:${AGENT_NAME} has no parameter '${name}'`, {
        hint: `its parameters: ${PARAMETERS.map((p) => p.name).join(', ')} (crm_resource --show-metadata ocf:${AGENT_PROVIDER}:${AGENT_NAME})`,
      });
    }
    if (name === 'resource' && value !== resource) {
      throw new TandemError('TANDEM_E_USAGE', `resource=${value} contradicts the resource being configured (${resource})`, { hint: 'leave the resource parameter out' });
    }
    if (def.type === 'boolean' && !/^(true|false)$/.test(value)) {
      throw new TandemError('TANDEM_E_USAGE', `${name}=${value}: ${name} is a boolean`, { hint: `write ${name}=true or ${name}=false` });
    }
    if (def.type === 'integer' && !/^-?\d+$/.test(value)) {
      throw new TandemError('TANDEM_E_USAGE', `${name}=${value}: ${name} is an integer`, { hint: `for example ${name}=${def.default ?? '10'}` });
    }
    given.set(name, value);
  }
  return PARAMETERS.filter((p) => given.has(p.name)).map((p) => [p.name, given.get(p.name)!]);
}

export interface ReplicaObjects {
  primitive: Primitive;
  clone: Clone;
}

/**
 * The promotable clone of one resource. `instances` is clone-max: the nodes (or sites) of this
 * Pacemaker cluster that hold the resource's data; at most one is Promoted.
 */
export function replicaClone(resource: string, instances: number, params: NvPairs = [], comment?: string): ReplicaObjects {
  const agent = { class: 'ocf' as const, provider: AGENT_PROVIDER, type: AGENT_NAME };
  const primitive: Primitive = {
    id: primitiveId(resource), agent, params: replicaParams(resource, params), meta: [], ops: operationsFor(agent),
    ...(comment ? { comment } : {}),
  };
  const clone: Clone = {
    id: cloneId(resource), child: primitive.id, promotable: true,
    meta: [['promotable', 'true'], ['promoted-max', '1'], ['promoted-node-max', '1'], ['clone-max', String(instances)], ['clone-node-max', '1'], ['notify', 'true']],
  };
  return { primitive, clone };
}

/** Filesystem on the block device of a volume, which exists only on the Promoted node. */
export function filesystemOn(id: string, resource: string, volume: number, directory: string, fstype: string, options = '', comment?: string): Primitive {
  const agent = { class: 'ocf' as const, provider: 'heartbeat', type: 'Filesystem' };
  const params: NvPairs = [['device', deviceOf(resource, volume)], ['directory', directory], ['fstype', fstype]];
  if (options !== '') params.push(['options', options]);
  return { id, agent, params, meta: [], ops: operationsFor(agent), ...(comment ? { comment } : {}) };
}

/**
 * `target` runs only where `clone` is Promoted and starts only after the promotion: the device it
 * uses exists there and then. Ids are fixed by the two names, so both commands write the same ones.
 */
export function runsWherePromoted(target: string, clone: string): Constraint[] {
  return [
    { kind: 'colocation', id: `${target}-with-${clone}-promoted`, rsc: target, withRsc: clone, withRole: 'Promoted', score: 'INFINITY' },
    { kind: 'order', id: `${clone}-promote-then-${target}`, first: clone, firstAction: 'promote', then: target, thenAction: 'start', orderKind: 'Mandatory' },
  ];
}

// The Pacemaker constraints Tandem owns: `tandem-fence-<res>`, placed by the fence-peer handler,
// forbid the Promoted role on every node that is not known UpToDate; lifted by unfence-peer (and by
// reconcile) once every peer is UpToDate again. Ownership is by id prefix: Tandem never touches a
// constraint it did not create, and every operation is idempotent.
//
//   <rsc_location id="tandem-fence-r0" rsc="tandem-r0-clone">
//     <rule id="tandem-fence-r0-rule" role="Promoted" score="-INFINITY">          (AND of:)
//       <expression id="tandem-fence-r0-expr-alpha" attribute="#uname" operation="ne" value="alpha"/>
//     </rule>
//   </rsc_location>
import { parseStringPromise } from 'xml2js';
import { assert } from '../lib/assert.js';
import { TandemError } from '../lib/errors.js';
import { AGENT_NAME, AGENT_PROVIDER } from '../ocf/metadata.js';
import type { Cib } from './cib.js';
import { el } from './xml.js';

export const FENCE_PREFIX = 'tandem-fence-';

export interface FenceConstraint {
  id: string;
  /** the Tandem resource it fences */
  resource: string;
  /** the clone it constrains */
  rsc: string;
  /** nodes still allowed to be promoted (known UpToDate) */
  allowed: string[];
}

export function fenceId(resource: string): string {
  return `${FENCE_PREFIX}${resource}`;
}

export function fenceConstraintXml(c: Omit<FenceConstraint, 'id'>): string {
  assert(c.allowed.length > 0, 'a fence constraint must allow at least the node that places it');
  const id = fenceId(c.resource);
  return el('rsc_location', { id, rsc: c.rsc }, [
    el('rule', { id: `${id}-rule`, role: 'Promoted', score: '-INFINITY' },
      [...c.allowed].sort().map((n) => el('expression', { id: `${id}-expr-${n}`, attribute: '#uname', operation: 'ne', value: n }))),
  ]);
}

/** The clone that runs ocf:tandem:replica with resource=<res> (found in the CIB, not guessed). */
export async function findClone(cib: Cib, resource: string): Promise<string> {
  const xml = await cib.query(`//clone[primitive[@class='ocf' and @provider='${AGENT_PROVIDER}' and @type='${AGENT_NAME}']`
    + `[instance_attributes/nvpair[@name='resource' and @value='${resource}']]]`);
  const ids = xml === null ? [] : [...xml.matchAll(/<clone\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
  if (ids.length !== 1) {
    throw new TandemError('TANDEM_E_PACEMAKER', ids.length === 0
      ? `no Pacemaker clone of ocf:tandem:replica with resource=${resource} in the CIB`
      : `several clones manage resource ${resource}: ${ids.join(', ')}`, {
      hint: `create it with the output of 'tandem pacemaker config ${resource}'`,
    });
  }
  return ids[0];
}

export async function listConstraints(cib: Cib): Promise<FenceConstraint[]> {
  const xml = await cib.query(`//constraints/rsc_location[starts-with(@id, '${FENCE_PREFIX}')]`);
  if (xml === null) return [];
  const doc = await parseStringPromise(`<list>${xml}</list>`);
  const locations = (doc.list?.rsc_location ?? []) as { $: { id: string; rsc: string }; rule?: { expression?: { $: { value: string; operation: string } }[] }[] }[];
  return locations.map((l) => ({
    id: l.$.id,
    resource: l.$.id.slice(FENCE_PREFIX.length),
    rsc: l.$.rsc,
    allowed: (l.rule?.[0]?.expression ?? []).filter((e) => e.$.operation === 'ne').map((e) => e.$.value).sort(),
  }));
}

export type PlaceOutcome = 'placed' | 'already-placed' | 'updated';

/** Forbid promotion everywhere but `allowed`. Placing the same constraint twice leaves one. */
export async function placeConstraint(cib: Cib, resource: string, allowed: string[]): Promise<PlaceOutcome> {
  const existing = (await listConstraints(cib)).find((c) => c.resource === resource);
  const rsc = existing?.rsc ?? await findClone(cib, resource);
  const xml = fenceConstraintXml({ resource, rsc, allowed });
  if (!existing) {
    await cib.create('constraints', xml);
    return 'placed';
  }
  if (existing.allowed.join(',') === [...allowed].sort().join(',')) return 'already-placed';
  // replaced in one CIB update: the ban is never absent in between
  await cib.replace(`//constraints/rsc_location[@id='${fenceId(resource)}']`, xml);
  return 'updated';
}

/** Lift the constraint; lifting one that is not there succeeds. */
export async function liftConstraint(cib: Cib, resource: string): Promise<'lifted' | 'absent'> {
  const existing = (await listConstraints(cib)).some((c) => c.resource === resource);
  await cib.deleteById('constraints', 'rsc_location', fenceId(resource));
  return existing ? 'lifted' : 'absent';
}

/** What a resource needs: a ban allowing only these nodes, or none (null). */
export type DesiredFencing = Map<string, string[] | null>;

export interface ReconcileReport { placed: string[]; updated: string[]; lifted: string[]; kept: string[] }

/** Bring the owned constraints of the named resources to the desired state; others are untouched. */
export async function reconcile(cib: Cib, desired: DesiredFencing): Promise<ReconcileReport> {
  const report: ReconcileReport = { placed: [], updated: [], lifted: [], kept: [] };
  for (const [resource, allowed] of desired) {
    if (allowed === null) {
      if ((await liftConstraint(cib, resource)) === 'lifted') report.lifted.push(fenceId(resource));
      continue;
    }
    const outcome = await placeConstraint(cib, resource, allowed);
    ({ placed: report.placed, updated: report.updated, 'already-placed': report.kept })[outcome].push(fenceId(resource));
  }
  return report;
}

/** A location constraint that bears on promoting one node: its id and what it adds to the node's promotion score. */
export interface PromotionConstraint {
  id: string;
  /** '-INFINITY' (forbidden) or the points it adds */
  score: '-INFINITY' | number;
  because: string;
}

/**
 * The constraints Pacemaker adds to `node`'s promotion score for `clone`: Tandem's fence
 * constraint of the resource when it does not allow the node, and location constraints on the
 * clone for the Promoted role on that node (pcs resource ban/move --promoted leave those).
 */
export async function promotionConstraints(cib: Cib, resource: string, clone: string, node: string): Promise<PromotionConstraint[]> {
  const out: PromotionConstraint[] = [];
  const fence = (await listConstraints(cib)).find((c) => c.resource === resource);
  if (fence && !fence.allowed.includes(node)) {
    out.push({ id: fence.id, score: '-INFINITY', because: `Tandem's fence constraint allows promotion only on ${fence.allowed.join(', ')}` });
  }
  const xml = await cib.query(`//constraints/rsc_location[@rsc='${clone}'][@node='${node}'][@role='Promoted' or @role='Master']`);
  if (xml !== null) {
    const doc = await parseStringPromise(`<list>${xml}</list>`);
    for (const l of (doc.list?.rsc_location ?? []) as { $: { id: string; score?: string } }[]) {
      const raw = l.$.score ?? '0';
      const score = /^-(INFINITY|inf)$/i.test(raw) ? '-INFINITY' as const : Number.parseInt(raw.replace(/^\+?(INFINITY|inf)$/i, '1000000'), 10);
      out.push({ id: l.$.id, score, because: `a location constraint for the Promoted role on ${node} (score ${raw})` });
    }
  }
  return out;
}

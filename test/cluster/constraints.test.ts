// Scheduler tests: the fence constraint goes into a CIB file through cibadmin (CIB_file), and
// crm_simulate shows whom Pacemaker would promote with it and without it.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { Cib } from '../../src/cluster/cib.js';
import {
  fenceConstraintXml, findClone, liftConstraint, listConstraints, placeConstraint, reconcile,
} from '../../src/cluster/constraints.js';
import { buildModel, render } from '../../src/cluster/pacemaker-config.js';
import { resourceConfig } from './fixture-config.js';
import { clusterCibText, promotedAfterSimulation, run, scratch } from './pcmk-tools.js';

const s = scratch('constraints');
t.teardown(() => s.remove());

const generated = render(buildModel(resourceConfig('r0', ['alpha', 'bravo', 'charlie'])), 'cib');
let n = 0;
/** bravo has the best score: without a constraint it is the one promoted */
function freshCluster(): { file: string; cib: Cib } {
  const file = s.file(`cib-${n++}.xml`);
  writeFileSync(file, clusterCibText(generated, { alpha: 1000, bravo: 10000, charlie: 1000 }, 'master-tandem-r0'));
  return { file, cib: new Cib({ env: { ...s.env, CIB_file: file }, deadlineMs: 10_000 }) };
}
const count = (file: string, text: string): number => readFileSync(file, 'utf8').split(text).length - 1;

t.test('the clone is found in the CIB by its ocf:tandem:replica primitive', async (t) => {
  const { cib } = freshCluster();
  t.equal(await findClone(cib, 'r0'), 'tandem-r0-clone');
  await t.rejects(findClone(cib, 'r5'), { code: 'TANDEM_E_PACEMAKER', message: /no Pacemaker clone of ocf:tandem:replica with resource=r5/ });
});

t.test('fencing forbids promotion of every node not UpToDate; lifting restores it', async (t) => {
  const { file, cib } = freshCluster();
  t.same(await promotedAfterSimulation(file, s.env), ['bravo'], 'control: the best score wins');

  t.equal(await placeConstraint(cib, 'r0', ['alpha']), 'placed');
  const v = await run('crm_verify', ['-x', file], { ...s.env });
  t.equal(v.exitCode, 0, `crm_verify accepts the CIB with the constraint: ${v.stderr}`);
  t.same(await promotedAfterSimulation(file, s.env), ['alpha'], 'bravo and charlie are fenced off');
  t.same(await listConstraints(cib), [{ id: 'tandem-fence-r0', resource: 'r0', rsc: 'tandem-r0-clone', allowed: ['alpha'] }]);

  t.equal(await liftConstraint(cib, 'r0'), 'lifted');
  t.same(await listConstraints(cib), []);
  t.same(await promotedAfterSimulation(file, s.env), ['bravo'], 'bravo is promoted again');
});

t.test('idempotent: placing twice leaves one constraint, lifting a missing one succeeds', async (t) => {
  const { file, cib } = freshCluster();
  t.equal(await placeConstraint(cib, 'r0', ['alpha']), 'placed');
  t.equal(await placeConstraint(cib, 'r0', ['alpha']), 'already-placed');
  t.equal(count(file, 'id="tandem-fence-r0"'), 1);
  t.equal(await placeConstraint(cib, 'r0', ['charlie', 'alpha']), 'updated', 'a newly UpToDate node is allowed again');
  t.equal(count(file, 'id="tandem-fence-r0"'), 1);
  t.same((await listConstraints(cib))[0].allowed, ['alpha', 'charlie']);
  t.same(await promotedAfterSimulation(file, s.env), ['alpha'], 'alpha and charlie score 1000 each; bravo still fenced');
  t.equal(await liftConstraint(cib, 'r0'), 'lifted');
  t.equal(await liftConstraint(cib, 'r0'), 'absent');
});

t.test('reconcile touches only its own constraints', async (t) => {
  const { file, cib } = freshCluster();
  const admin = '<rsc_location id="cli-ban-tandem-r0-clone-on-charlie" rsc="tandem-r0-clone" role="Promoted" node="charlie" score="-INFINITY"/>';
  const r = await run('cibadmin', ['--create', '-o', 'constraints', '-X', admin], { ...s.env, CIB_file: file });
  t.equal(r.exitCode, 0);
  t.same(await reconcile(cib, new Map([['r0', ['alpha', 'bravo']]])), { placed: ['tandem-fence-r0'], updated: [], lifted: [], kept: [] });
  t.same(await reconcile(cib, new Map([['r0', ['bravo', 'alpha']]])), { placed: [], updated: [], lifted: [], kept: ['tandem-fence-r0'] });
  t.same(await reconcile(cib, new Map([['r0', null]])), { placed: [], updated: [], lifted: ['tandem-fence-r0'], kept: [] });
  t.equal(count(file, 'cli-ban-tandem-r0-clone-on-charlie'), 1, "the administrator's ban is untouched");
  t.same(await listConstraints(cib), []);
});

t.test('the constraint XML: one expression per allowed node, sorted, role Promoted, -INFINITY', async (t) => {
  t.equal(fenceConstraintXml({ resource: 'r0', rsc: 'c', allowed: ['bravo', 'alpha'] }),
    '<rsc_location id="tandem-fence-r0" rsc="c"><rule id="tandem-fence-r0-rule" role="Promoted" score="-INFINITY">'
    + '<expression id="tandem-fence-r0-expr-alpha" attribute="#uname" operation="ne" value="alpha"/>'
    + '<expression id="tandem-fence-r0-expr-bravo" attribute="#uname" operation="ne" value="bravo"/></rule></rsc_location>');
  t.throws(() => fenceConstraintXml({ resource: 'r0', rsc: 'c', allowed: [] }));
});

t.test('a CIB tool failure is a TANDEM_E_PACEMAKER error with the tool output', async (t) => {
  const cib = new Cib({ env: { ...s.env, CIB_file: s.file('missing.xml') }, deadlineMs: 2000 });
  await t.rejects(placeConstraint(cib, 'r0', ['alpha']), { code: 'TANDEM_E_PACEMAKER' });
});

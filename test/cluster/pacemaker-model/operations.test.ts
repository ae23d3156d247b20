// The advertised-operations table is checked against the meta-data of the installed agents, as
// Pacemaker reads it: if resource-agents changes a timeout, this fails instead of the generated
// configurations silently keeping an old value.
import t from 'tap';
import xml2js from 'xml2js';
import { ADVERTISED, operationsFor } from '../../../src/cluster/pacemaker-model/operations.js';
import { run } from '../pcmk-tools.js';

type X = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const seconds = (v: string | undefined): number => Number(/^(\d+)/.exec(v ?? '0')![1]);

for (const [key, adv] of Object.entries(ADVERTISED).filter(([k]) => !k.endsWith(':*'))) {
  t.test(`${key}: start, stop and monitor as the installed agent advertises them`, async (t) => {
    const md = await run('crm_resource', ['--show-metadata', `ocf:${key}`]);
    t.equal(md.exitCode, 0, String(md.stderr));
    const actions: X[] = (await xml2js.parseStringPromise(String(md.stdout)))['resource-agent'].actions[0].action.map((a: X) => a.$);
    const find = (name: string): X => actions.find((a) => a.name === name && (a.depth ?? '0') === '0' && !a.role)!;
    t.equal(seconds(find('start').timeout), adv.start, 'start timeout');
    t.equal(seconds(find('stop').timeout), adv.stop, 'stop timeout');
    t.equal(seconds(find('monitor').timeout), adv.monitor.timeoutSec, 'monitor timeout');
    t.equal(seconds(find('monitor').interval), adv.monitor.intervalSec, 'monitor interval');
  });
}

t.test('operationsFor: start, stop, monitor; MonitorInterval overrides the interval; stonith only monitors', async (t) => {
  t.same(operationsFor({ class: 'ocf', provider: 'heartbeat', type: 'Filesystem' }, { monitorIntervalSec: 30 }).map((o) => `${o.name}/${o.intervalSec}/${o.timeoutSec}`),
    ['start/0/60', 'stop/0/60', 'monitor/30/40']);
  t.same(operationsFor({ class: 'stonith', type: 'fence_ipmilan' }).map((o) => o.name), ['monitor']);
  t.throws(() => operationsFor({ class: 'ocf', provider: 'heartbeat', type: 'NoSuchAgent' }), /no advertised operations/);
});

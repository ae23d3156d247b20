// The agent's meta-data, printed by the real shim, against every schema this machine has:
// OCF 1.1 (pcs's ocf-1.1.rng) for Pacemaker, OCF 1.0 for callers that announce no version
// (ocf-tester's check is `xmllint --valid` against resource-agents' ra-api-1.dtd).
import t from 'tap';
import { execa } from 'execa';
import { ACTIONS, PARAMETERS } from '../../src/ocf/metadata.js';
import { AGENT, CLEAN_ENV, runAgent } from './helpers.js';

const lint = (args: string[], input: string, cwd = '/') => execa('xmllint', ['--noout', ...args, '-'], { input, cwd, reject: false });

t.test('OCF 1.1 rendering when Pacemaker announces 1.1: valid against ocf-1.1.rng', async (t) => {
  const r = await runAgent('meta-data', {});
  t.equal(r.rc, 0);
  const v = await lint(['--relaxng', '/usr/share/pcs/data/ocf-1.1.rng'], r.stdout);
  t.equal(v.exitCode, 0, String(v.stderr));
  t.match(r.stdout, /<version>1\.1<\/version>/);
  t.match(r.stdout, /<parameter name="resource" required="1" unique-group="resource">/);
  t.match(r.stdout, /<parameter name="status_timeout" required="0" reloadable="1">/);
  t.match(r.stdout, /<parameter name="auto_takeover" required="0" reloadable="1">[^]*?<content type="boolean" default="true"\/>/);
  t.match(r.stdout, /<parameter name="auto_resync" required="0" reloadable="1">[^]*?<content type="boolean" default="true"\/>/);
  for (const a of ACTIONS) t.match(r.stdout, new RegExp(`<action name="${a.name}" timeout="${a.timeoutSec}s"`), `action ${a.name}`);
  t.match(r.stdout, /<action name="monitor" timeout="20s" interval="10s" depth="0" role="Promoted"\/>/);
  t.match(r.stdout, /<action name="monitor" timeout="20s" interval="20s" depth="0" role="Unpromoted"\/>/);
});

t.test('OCF 1.0 rendering otherwise: valid against ra-api-1.dtd and ocf-1.0.rng, same parameters', async (t) => {
  const r = await runAgent('meta-data', { OCF_RA_VERSION_MAJOR: undefined, OCF_RA_VERSION_MINOR: undefined });
  t.equal(r.rc, 0);
  t.match(r.stdout, /<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">/);
  const dtd = await lint(['--valid'], r.stdout, '/usr/share/resource-agents');
  t.equal(dtd.exitCode, 0, String(dtd.stderr));
  const rng = await lint(['--relaxng', '/usr/share/pcs/data/ocf-1.0.rng'], r.stdout);
  t.equal(rng.exitCode, 0, String(rng.stderr));
  t.notMatch(r.stdout, /reload-agent|reloadable|unique-group/);
  t.match(r.stdout, /<action name="reload" timeout="30s"\/>/);
  for (const p of PARAMETERS) t.match(r.stdout, new RegExp(`<parameter name="${p.name}"`));
});

t.test('meta-data works as nobody, with no configuration and no daemon, from any directory', async (t) => {
  // env -i: tap instruments node children through the environment, and nobody may not write its files
  const r = await execa('su', ['nobody', '-s', '/bin/sh', '-c', `env -i PATH=${CLEAN_ENV.PATH} ${AGENT} meta-data`], { reject: false, cwd: '/' });
  t.equal(r.exitCode, 0, String(r.stderr));
  t.match(String(r.stdout), /<resource-agent name="replica"/);
});

// [connection.<a>.<b>]: one connection's protocol, the resource's as the default; every mistake
// names file, line, key or section and what is allowed; explain and render show each connection.
import t, { type Test } from 'tap';
import { connectionProtocol, effectiveConnections } from '../../src/config/connections.js';
import { explainResource, renderExplanation } from '../../src/config/explain.js';
import { loadConfig } from '../../src/config/load.js';
import { renderResourceIni } from '../../src/config/render.js';
import { TandemError } from '../../src/lib/errors.js';
import { TWO_NODES, configDir } from '../fixtures/config/ini.js';

/**
 * TWO_NODES plus charlie; lines: 3 protocol, 20 [node.charlie], 21 id, 22 address, and what is
 * appended starts at line 24.
 */
const THREE_NODES = `${TWO_NODES}\n[node.charlie]\nid = 2\naddress = 10.0.0.3:7789\n\n`;

function load(t: Test, text: string) {
  const dir = configDir(t, { 'r0.ini': text });
  return { dir, file: `${dir}/r0.ini`, config: loadConfig(dir) };
}

function errorsOf(t: Test, text: string): { file: string; errors: Array<{ message: string; line: number | null; section: string | null; key: string | null; allowed: string | null }> } {
  const dir = configDir(t, { 'r0.ini': text });
  try {
    loadConfig(dir);
  } catch (err) {
    if (!(err instanceof TandemError)) throw err;
    t.equal(err.code, 'TANDEM_E_CONFIG');
    return { file: `${dir}/r0.ini`, errors: err.details.errors as never };
  }
  throw new Error('the configuration loaded without an error');
}

t.test('a connection section sets that connection only; the others keep the resource protocol', async (t) => {
  const { file, config } = load(t, `${THREE_NODES}[connection.charlie.alpha]\nprotocol = A\n`);
  const r = config.resources[0];
  t.same(r.connections, [{ nodes: ['charlie', 'alpha'], protocol: 'A' }]);
  t.equal(connectionProtocol(r, 'alpha', 'charlie'), 'A', 'either order names the same connection');
  t.equal(connectionProtocol(r, 'charlie', 'alpha'), 'A');
  t.equal(connectionProtocol(r, 'alpha', 'bravo'), 'C');
  t.same(effectiveConnections(r).map((c) => [c.nodes.join('-'), c.protocol, c.origin.source, c.origin.line]), [
    ['alpha-bravo', 'C', 'resource', 3],
    ['alpha-charlie', 'A', 'file', 25],
    ['bravo-charlie', 'C', 'resource', 3],
  ]);
  t.match(r.origins['connection.charlie.alpha.protocol'], { source: 'file', file, line: 25 });
});

t.test('explain: the effective protocol of every connection and where it comes from, local ones first', async (t) => {
  const { file, config } = load(t, `${THREE_NODES.replace('protocol = C\n', '')}[connection.alpha.charlie]\nprotocol = A\n`);
  const e = explainResource(config.resources[0], 'charlie', config.warnings);
  t.same(e.connections.map((c) => [c.nodes.join('-'), c.local, c.settings[0].value, c.settings[0].origin.source]), [
    ['alpha-charlie', true, 'A', 'file'],
    ['bravo-charlie', true, 'C', 'resource'],
    ['alpha-bravo', false, 'C', 'resource'],
  ]);
  const text = renderExplanation(e).split('\n');
  const after = (header: string) => text[text.indexOf(header) + 1];
  t.match(after('connection alpha - charlie (local)'), new RegExp(`^  protocol +A +${file}:24 +this connection's replication protocol`));
  t.match(after('connection alpha - bravo'), /^ {2}protocol +C +\[resource\] default +this connection's/, 'inherited from [resource], where it is the default');
});

t.test('render writes connection sections that load back the same', async (t) => {
  const { config } = load(t, `${THREE_NODES}[connection.alpha.charlie]\nprotocol = A\n\n[connection.bravo.charlie]\nprotocol = B\n`);
  const rendered = renderResourceIni(config.resources[0]);
  t.match(rendered, /\n\[connection\.alpha\.charlie\]\nprotocol = A\n\n\[connection\.bravo\.charlie\]\nprotocol = B\n$/);
  const again = load(t, rendered).config.resources[0];
  t.same(again.connections, config.resources[0].connections);
});

t.test('errors name the file, the line, the section or key, and what is allowed', async (t) => {
  const allowed = '[connection.<node>.<node>] naming two different nodes of this resource: alpha, bravo, charlie';
  const cases: Array<[string, string, (F: string) => string[]]> = [
    ['a bad protocol', '[connection.alpha.charlie]\nprotocol = D\n',
      (F) => [`${F}:25: key 'protocol' in [connection.alpha.charlie]: 'D' is not a replication protocol; allowed: A, B, C`]],
    ['an unknown key', '[connection.alpha.charlie]\nprotocl = A\n',
      (F) => [`${F}:25: unknown key 'protocl' in [connection.alpha.charlie]; did you mean 'protocol'? allowed: protocol`]],
    ['an unknown node', '[connection.alpha.delta]\nprotocol = A\n',
      (F) => [`${F}:24: section [connection.alpha.delta]: no node 'delta' in this resource; allowed: ${allowed}`]],
    ['a misspelt node', '[connection.alpha.charly]\nprotocol = A\n',
      (F) => [`${F}:24: section [connection.alpha.charly]: no node 'charly' in this resource; did you mean 'charlie'? allowed: ${allowed}`]],
    ['a node paired with itself', '[connection.bravo.bravo]\nprotocol = A\n',
      (F) => [`${F}:24: section [connection.bravo.bravo]: node 'bravo' is paired with itself; allowed: ${allowed}`]],
    ['one node only', '[connection.alpha]\nprotocol = A\n',
      (F) => [`${F}:24: section [connection.alpha]: 'alpha' is not two node names; allowed: ${allowed}`]],
    ['three nodes', '[connection.alpha.bravo.charlie]\nprotocol = A\n',
      (F) => [`${F}:24: section [connection.alpha.bravo.charlie]: 'alpha.bravo.charlie' is not two node names; allowed: ${allowed}`]],
    ['the same pair twice, in the other order', '[connection.alpha.charlie]\nprotocol = A\n\n[connection.charlie.alpha]\nprotocol = C\n',
      (F) => [`${F}:27: section [connection.charlie.alpha]: the connection between charlie and alpha is already set in [connection.alpha.charlie] (line 24); allowed: one [connection] section per pair of nodes, in either order`]],
    ['the same section twice', '[connection.alpha.charlie]\nprotocol = A\n\n[connection.alpha.charlie]\nprotocol = C\n',
      (F) => [`${F}:27: section [connection.alpha.charlie] appears twice (first on line 24); allowed: each section once`]],
  ];
  for (const [name, appended, expected] of cases) {
    t.test(name, async (t) => {
      const { file, errors } = errorsOf(t, THREE_NODES + appended);
      t.same(errors.map((e) => e.message), expected(file));
    });
  }
  t.test('the section of a problem is named in the details', async (t) => {
    const { errors } = errorsOf(t, `${THREE_NODES}[connection.alpha.delta]\n`);
    t.match(errors[0], { line: 24, section: 'connection.alpha.delta', allowed });
  });
});

t.test('protocol A on one connection with resource-and-stonith is warned about, naming that connection', async (t) => {
  const text = THREE_NODES.replace('fencing = resource-only', 'fencing = resource-and-stonith\nquorum = majority');
  const { config } = load(t, `${text}[connection.alpha.charlie]\nprotocol = A\n`);
  const async = config.warnings.filter((w) => w.code === 'TANDEM_W_ASYNC_FENCING');
  t.same(async.map((w) => [w.key, w.line]), [['protocol', 26]]);
  t.match(async[0].message, /connection alpha - charlie uses protocol A with fencing = resource-and-stonith/);
  const allC = load(t, `${text}[connection.alpha.charlie]\nprotocol = C\n`).config;
  t.same(allC.warnings.filter((w) => w.code === 'TANDEM_W_ASYNC_FENCING'), [], 'C everywhere: no warning');
});

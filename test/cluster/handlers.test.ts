// The handlers' own entry (bin/tandem-handler.js), which the agents/ shims run when tandemd calls
// them: the same answers as `tandem fence <kind>`, and a handler that cannot run is "broken" (1).
// (test/cluster/fence-handler.test.ts runs every handler's contract through the shims.)
import t from 'tap';
import { REPO_ROOT } from '../helpers/cli.js';
import { run } from './pcmk-tools.js';

const SHIMS = { fence: 'tandem-fence-peer', unfence: 'tandem-unfence-peer', 'primary-lost': 'tandem-primary-lost', 'quorum-lost': 'tandem-quorum-lost' };
const PATH = process.env.PATH ?? '/usr/bin:/bin';

t.test('a shim run without arguments uses the handler entry; with flags, the CLI', async (t) => {
  for (const [kind, shim] of Object.entries(SHIMS)) {
    const fast = await run(`${REPO_ROOT}agents/${shim}`, [], { PATH });
    t.equal(fast.exitCode, 1, `${shim}: no handler environment is a broken handler`);
    t.match(String(fast.stderr), `tandem handler ${kind}: no resource: TANDEM_RESOURCE / DRBD_RESOURCE is not set (exit 1)`, `${shim}: answered by bin/tandem-handler.js`);
  }
  const cli = await run(`${REPO_ROOT}agents/tandem-quorum-lost`, ['--timeout', '5'], { PATH });
  t.equal(cli.exitCode, 1, 'the CLI path: broken too');
  t.match(String(cli.stderr), /TANDEM_E_USAGE[\s\S]*no resource/, 'with a flag, `tandem fence quorum-lost` answered (it knows flags)');
});

t.test('an unknown handler kind is broken, and says which kinds exist', async (t) => {
  const r = await run(process.execPath, [`${REPO_ROOT}bin/tandem-handler.js`, 'outdate-peer'], { PATH, TANDEM_RESOURCE: 'r0', TANDEM_NODE: 'a' });
  t.equal(r.exitCode, 1);
  t.match(String(r.stderr), "unknown handler 'outdate-peer' (one of fence, unfence, primary-lost, quorum-lost)");
});

// The two-site test of issue 12, pcs part: each site's pcs script, as `migrate vcs` wrote it from
// the two main.cf files, applied to a file CIB with pcs -f (sh pcs.sh FILE) without an error, and
// building exactly that site's cib.xml. (pcs takes a second or two per command: a file of its own.)
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { tandem } from '../../helpers/cli.js';
import { normalize } from '../../migrate/emit/simulation.js';

const FIX = fileURLToPath(new URL('../../fixtures/migrate/gco/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tandem-migrate-two-site-pcs-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const env = { CIB_shadow_dir: tmp };
const out = join(tmp, 'out');

t.test('each site\'s pcs script applied to a file CIB with pcs -f, without an error, builds that site\'s CIB', async (t) => {
  const migrated = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}nyc/main.cf`, '--main-cf', `${FIX}lon/main.cf`, '--vxprint', `${FIX}nyc/vxprint-Pl.txt`, '--printvol', `${FIX}printvol.txt`, '--out', out]);
  t.equal(migrated.exitCode, 0, String(migrated.stderr));
  const runs = await Promise.all(['nyc_clu', 'lon_clu'].map(async (site) => {
    const target = join(tmp, `${site}-pcs.xml`);
    writeFileSync(target, (await execa('cibadmin', ['--empty'])).stdout);
    const r = await execa('sh', [join(out, site, 'pcs.sh'), target], { reject: false, env, timeout: 280_000 });
    return { site, target, r };
  }));
  for (const { site, target, r } of runs) {
    t.equal(r.exitCode, 0, `${site}: ${r.stderr}`);
    t.notMatch(String(r.stderr), /^Error:/m);
    t.same(await normalize(target), await normalize(join(out, site, 'cib.xml')), `${site}: the same configuration as cib.xml`);
  }
});


import { fenceCommand } from '../../fence-command.js';

export default fenceCommand('primary-lost', 'primary-lost handler: this Secondary lost its Primary peer; if that node is still an online '
  + 'cluster member, ask Pacemaker to re-probe the resource there now (its tandemd may be gone); exit 0, or 1 when Pacemaker could not be asked');

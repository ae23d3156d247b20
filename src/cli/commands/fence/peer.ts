import { fenceCommand } from '../../fence-command.js';

export default fenceCommand('fence', 'fence-peer handler: forbid promotion of every node not known UpToDate '
  + '(constraint tandem-fence-<res>); exit 4 peer outdated, 5 peer unreachable, 6 refused (peer Promoted), 7 peer fenced, 1 broken');

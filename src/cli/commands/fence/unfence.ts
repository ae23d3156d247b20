import { fenceCommand } from '../../fence-command.js';

export default fenceCommand('unfence', 'unfence-peer handler: lift tandem-fence-<res> once every diskful node is UpToDate '
  + '(exit 0), or narrow it to the UpToDate nodes (exit 2)');

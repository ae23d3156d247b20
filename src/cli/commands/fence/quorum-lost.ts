import { fenceCommand } from '../../fence-command.js';

export default fenceCommand('quorum-lost', "quorum-lost handler: this Primary lost its quorum; withdraw this node's promotion score at once "
  + 'so Pacemaker demotes it and promotes a node of the majority; exit 0, or 1 when the score could not be withdrawn');

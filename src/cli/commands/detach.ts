import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('detach', 'detach the local backing disks (the node becomes Diskless)');

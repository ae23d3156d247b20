import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('up', 'bring a resource up on this node (attach disks, start connecting to peers); leaves it Secondary');

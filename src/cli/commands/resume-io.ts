import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('resume-io', 'end a freeze of I/O (fencing that did not succeed, or no quorum under suspend-io), as DRBD\'s resume-io');

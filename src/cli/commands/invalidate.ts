import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('invalidate', "mark this node's data out of date, forcing a full resync from a peer");

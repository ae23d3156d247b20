import { daemonVerb, FORCE } from '../daemon-verb.js';

export default daemonVerb('primary', 'promote this node to Primary; --force also when its data is not known UpToDate (first promotion of a new resource)', [FORCE]);

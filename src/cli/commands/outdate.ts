import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('outdate', "mark this node's data Outdated");

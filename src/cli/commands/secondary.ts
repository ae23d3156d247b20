import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('secondary', 'demote this node to Secondary (stops accepting writes)');

import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('disconnect', 'disconnect from the peers of a resource (StandAlone)');

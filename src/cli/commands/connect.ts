import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('connect', 'start connecting to the peers of a resource');

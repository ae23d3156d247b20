import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('attach', 'attach the local backing disks and metadata of a resource');

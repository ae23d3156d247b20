import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('down', 'take a resource down on this node (disconnect, detach, stop its exports)');

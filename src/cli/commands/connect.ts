import { daemonVerb } from '../daemon-verb.js';

export default daemonVerb('connect', 'start connecting to the peers of a resource; after a split brain, --discard-my-data on the node whose writes are to be thrown away', [{
  flag: 'discard-my-data',
  arg: 'discardMyData',
  description: 'resolve the next split brain by resyncing this node from its peer, discarding the writes only this node has (DRBD connect --discard-my-data); the node must be Secondary',
}]);

// Generated names in docker's adjective_noun style, for containers run without --name.
import { randomBelow } from '../sys/random.js';

const ADJECTIVES = [
  'agile', 'bold', 'brave', 'bright', 'calm', 'clever', 'cool', 'crisp', 'eager', 'fair', 'fast', 'gentle', 'happy', 'keen',
  'kind', 'lucid', 'merry', 'modest', 'nimble', 'noble', 'plucky', 'proud', 'quiet', 'quick', 'sharp', 'steady', 'sunny',
  'swift', 'tidy', 'vivid', 'warm', 'wise', 'witty', 'zesty',
];
const NOUNS = [
  'albatross', 'badger', 'beacon', 'canoe', 'cormorant', 'dinghy', 'dolphin', 'ferry', 'gull', 'harbor', 'heron', 'jetty',
  'kayak', 'keel', 'lagoon', 'mast', 'narwhal', 'oar', 'otter', 'pelican', 'petrel', 'puffin', 'raft', 'reef', 'rudder',
  'sail', 'schooner', 'seal', 'skiff', 'sloop', 'tern', 'tide', 'walrus', 'wharf',
];

export function randomName(): string {
  return `${ADJECTIVES[randomBelow(ADJECTIVES.length)]}_${NOUNS[randomBelow(NOUNS.length)]}`;
}

/** Docker's rule for names: a letter or digit first, then letters, digits, _ . - */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

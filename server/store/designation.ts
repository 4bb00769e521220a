import { randomInt } from 'node:crypto';

// A designation is what journalists call a source; it is random and says nothing about the source.
const ADJECTIVES = [
  'ambitious', 'brave', 'calm', 'clever', 'curious', 'daring', 'eager', 'earnest', 'fearless', 'gentle',
  'glad', 'honest', 'humble', 'jolly', 'keen', 'kind', 'lively', 'loyal', 'lucid', 'mellow',
  'merry', 'modest', 'nimble', 'noble', 'patient', 'plucky', 'polite', 'proud', 'quiet', 'quick',
  'radiant', 'rapid', 'serene', 'sharp', 'shy', 'sincere', 'steady', 'stoic', 'swift', 'tender',
  'thrifty', 'tidy', 'upbeat', 'valiant', 'vivid', 'wary', 'wise', 'witty', 'zealous', 'zesty',
];
const ANIMALS = [
  'albatross', 'badger', 'beaver', 'bison', 'crane', 'cougar', 'dolphin', 'eagle', 'egret', 'falcon',
  'ferret', 'finch', 'gazelle', 'gecko', 'heron', 'ibis', 'jackal', 'jaguar', 'kestrel', 'koala',
  'lemur', 'lynx', 'magpie', 'marmot', 'marten', 'mole', 'narwhal', 'newt', 'ocelot', 'otter',
  'owl', 'panda', 'pelican', 'petrel', 'puffin', 'quail', 'raven', 'robin', 'salmon', 'seal',
  'sparrow', 'stork', 'swift', 'tapir', 'tern', 'toucan', 'walrus', 'weasel', 'wren', 'yak',
];

export function randomDesignation(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${ANIMALS[randomInt(ANIMALS.length)]}`;
}

/** A designation not yet in use; after a few clashes a number keeps it unique. */
export function uniqueDesignation(taken: (d: string) => boolean): string {
  for (let i = 0; i < 20; i++) {
    const d = randomDesignation();
    if (!taken(d)) return d;
  }
  for (;;) {
    const d = `${randomDesignation()}-${randomInt(10_000)}`;
    if (!taken(d)) return d;
  }
}

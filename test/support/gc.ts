/**
 * A full garbage collection on demand, for tests that check what is let go of. Node exposes `gc` only
 * with --expose-gc; setting the flag at run time and reading `gc` from a new context gets it without
 * changing how the test process starts.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');

/** Runs a full collection now. */
export const fullCollection = runInNewContext('gc') as () => void;

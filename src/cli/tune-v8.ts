// Imported first by the CLI, before the other modules load: the old generation's first limits are set
// while they load, so the growth setting must be in force by then (set later, the bench's peak RSS was
// 127 MB instead of 100), and undici's parser must be compiled under the WebAssembly setting. See
// v8-flags.ts.
import { tuneV8ForServing } from './v8-flags.js';

tuneV8ForServing();

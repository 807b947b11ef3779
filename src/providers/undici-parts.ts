import { createRequire } from 'node:module';
import type { buildConnector as BuildConnector, Client as UndiciClient } from 'undici';

// Only the parts the upstream client uses. undici's index also loads fetch, WebSocket, caches and
// mocks: 6 MB more RSS for nothing used (61.0 against 54.9 MB in a bare node process). The paths are
// undici's own files (the package has no export map); a test checks they are what its index exports.
const load = createRequire(import.meta.url);

/** undici's client: one connection to one origin. */
export const Client = load('undici/lib/dispatcher/client.js') as typeof UndiciClient;
/** undici's TCP/TLS connector factory. */
export const buildConnector = load('undici/lib/core/connect.js') as typeof BuildConnector;

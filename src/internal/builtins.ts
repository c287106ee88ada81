import { nodeRequire } from './lazyRequire.js';

// Three of Node's built-ins cost much more imported as ES modules than required. An ESM import
// builds the module's namespace from every export, which runs the lazy getters `require` leaves
// alone: on Node 22 and later `import 'node:http'` loads undici for `http.WebSocket` (~75 of Node's
// internal modules), `import 'node:fs'` the promises API's modules and `import 'node:util'` the
// worker's. The package takes these three from here, through `require`, and imports the others as
// usual; its root import takes 8-22% less CPU on Node 22 to 26 for it (docs/import-cost.md,
// "Node's built-ins").

/** `node:http`, required. @internal */
export const http = nodeRequire('node:http') as typeof import('node:http');
/** `node:fs`, required. @internal */
export const fs = nodeRequire('node:fs') as typeof import('node:fs');
/** `node:util`, required. @internal */
export const util = nodeRequire('node:util') as typeof import('node:util');

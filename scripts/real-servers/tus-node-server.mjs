// Starts @tus/server with @tus/file-store on 127.0.0.1, for scripts/real-servers/run.sh.
// Usage: node tus-node-server.mjs PORT DATA_DIR [MAX_SIZE_BYTES] [EXPIRY_MS]
// The modules are resolved from NODE_PATH (run.sh points it at its local npm prefix).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.TUS_NODE_PREFIX ?? process.cwd(), 'noop.js'));
const { Server } = require('@tus/server');
const { FileStore } = require('@tus/file-store');

const [port, dir, maxSize, expiryMs] = process.argv.slice(2);
if (!port || !dir) {
  console.error('usage: node tus-node-server.mjs PORT DATA_DIR [MAX_SIZE_BYTES] [EXPIRY_MS]');
  process.exit(2);
}
const options = {
  path: '/files',
  datastore: new FileStore({
    directory: dir,
    expirationPeriodInMilliseconds: expiryMs ? Number(expiryMs) : undefined,
  }),
};
if (maxSize) options.maxSize = Number(maxSize);
const server = new Server(options);
server.listen({ host: '127.0.0.1', port: Number(port) }, () => {
  console.log(`@tus/server listening on http://127.0.0.1:${port}/files/`);
});

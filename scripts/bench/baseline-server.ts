/**
 * The benchmark's baseline: a bare Express 5 + helmet JSON hello-world, run as its own process
 * (BASELINE_PORT). It tells what this machine, Node and Express allow before any of Flowgate's
 * work, so the send path can be reported as a ratio of it.
 *
 * express and helmet are dependencies of services/public-api (not of the repository root), so
 * they are loaded from there: the very same copies the API runs.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
// express is public-api's dependency, loaded from there (above); only its types are imported here.
import type { RequestHandler } from 'express';
import type expressModule from 'express';

const fromApi = createRequire(path.resolve(__dirname, '../../services/public-api/package.json'));
const express = fromApi('express') as typeof expressModule;
const helmet = fromApi('helmet') as { default: () => RequestHandler };

const port = Number(process.env['BASELINE_PORT'] ?? '3999');
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(helmet.default());
app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});
const server = app.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'baseline listening', port }));
});
// The same keep-alive timeout as the public API's server.
server.keepAliveTimeout = 5_000;
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadedConfig } from './config/load.js';
import { Gateway } from './gateway.js';
import { createRequestListener } from './http/app.js';
import { createLogger, type Logger } from './telemetry/logger.js';

export interface RunningGateway {
  gateway: Gateway;
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Overrides config.server.host / port (tests use port 0). */
  host?: string;
  port?: number;
  clock?: () => number;
  random?: () => number;
}

/** Builds the gateway and listens. Resolves once the port is bound. */
export async function startGateway(loaded: LoadedConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(loaded.config.logging.level);
  for (const w of loaded.warnings) logger.warn({ source: loaded.source }, w);
  for (const n of loaded.notes) logger.info({ source: loaded.source }, n);
  const gateway = await Gateway.create(loaded, { logger, ...(options.clock ? { clock: options.clock } : {}), ...(options.random ? { random: options.random } : {}) });
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, createRequestListener(gateway));
  const host = options.host ?? loaded.config.server.host;
  const port = options.port ?? loaded.config.server.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  logger.info({ host, port: bound, providers: [...gateway.chain], strategy: loaded.config.routing.strategy }, 'switchyard listening');
  return {
    gateway,
    server,
    port: bound,
    url: `http://${shownHost}:${bound}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await gateway.close();
      logger.flush();
    },
  };
}

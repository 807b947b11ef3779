#!/usr/bin/env -S node --max-semi-space-size=8
// First, so its V8 settings are in force while the other modules load (cli/tune-v8.ts).
import './cli/tune-v8.js';
import cluster from 'node:cluster';
import { flag } from './cli/args.js';
import { runInit } from './cli/init.js';
import { runStatus, STATUS_USAGE } from './cli/status.js';
import { ConfigError, type LoadedConfig } from './config/load.js';
import { validateConfigFile } from './config/validate-runtime.js';
import { DEMO_USAGE } from './demo/options.js';
import { startGateway } from './server.js';
import { createLogger } from './telemetry/logger.js';
import { superviseWorkers } from './workers.js';

const USAGE = `usage:
  switchyard serve [--config <file>] [--port <n>]   serve (default config: $SWITCHYARD_CONFIG or ./config.yaml)
  switchyard check-config <file>                    validate a config file; exit 1 when it is invalid
  ${STATUS_USAGE}
      the providers' breakers, rates, latency and cost as a table; exit 1 when a breaker is open
  ${DEMO_USAGE}
      a gateway in front of SIMULATED providers, with load and incidents; prints the dashboard's URL
  switchyard init [--output <file>] [--force]
      write a commented config from the key variables set in the environment`;

/** Resolves at the first Ctrl-C or SIGTERM (for the commands that run until then). */
const interrupted = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...args] = argv;
  if (command === 'check-config') {
    const file = args[0];
    if (!file) {
      console.error(USAGE);
      return 2;
    }
    try {
      const loaded = await validateConfigFile(file);
      for (const w of loaded.warnings) console.warn(`warning: ${w}`);
      console.log(
        `${loaded.source}: OK (${loaded.providers.length} usable provider${loaded.providers.length === 1 ? '' : 's'}: ${loaded.chain.join(', ') || 'none'}; strategy ${loaded.config.routing.strategy})`,
      );
      return 0;
    } catch (err) {
      console.error(err instanceof ConfigError ? err.message : String(err));
      return 1;
    }
  }
  if (command === 'init') return runInit(args, process.env);
  if (command === 'status') {
    return runStatus(args, { out: process.stdout, err: process.stderr, env: process.env, interrupted: interrupted() });
  }
  if (command === 'demo') {
    // Loaded only for the demo: `serve` does not carry the simulated providers in memory.
    const { runDemo } = await import('./demo/demo.js');
    return runDemo(args, { out: process.stdout, err: process.stderr, interrupted: interrupted() });
  }
  if (command === 'serve') {
    const file = flag(args, '--config') ?? process.env.SWITCHYARD_CONFIG ?? './config.yaml';
    const portText = flag(args, '--port');
    const port = portText === undefined ? undefined : Number(portText);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      console.error(`--port: "${portText}" is not a port number`);
      return 2;
    }
    let loaded: LoadedConfig;
    try {
      // The same validation as check-config, so serve refuses exactly what check-config refuses, in the same words.
      loaded = await validateConfigFile(file, port === undefined ? {} : { portOverride: port });
    } catch (err) {
      console.error(err instanceof ConfigError ? err.message : String(err));
      return 1;
    }
    const logger = createLogger(loaded.config.logging.level);
    if (cluster.isPrimary && loaded.config.server.workers > 1) {
      const code = await superviseWorkers(loaded.config.server.workers, logger);
      logger.flush();
      return code;
    }
    let running;
    try {
      running = await startGateway(loaded, { logger, warmUp: true });
    } catch (err) {
      const message = err instanceof ConfigError ? err.message : (err as Error).message;
      logger.fatal({ err: { message } }, 'start-up failed');
      logger.flush();
      console.error(`start-up failed: ${message}`);
      return 1;
    }
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      void running.shutdown().then(() => process.exit(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void running.reload());
    // A worker whose primary is gone drains and exits too, rather than serving on as an orphan.
    if (cluster.isWorker) process.once('disconnect', () => stop('disconnect'));
    return -1; // keep running
  }
  console.error(USAGE);
  return command === '--help' || command === 'help' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);

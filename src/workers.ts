import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './telemetry/logger.js';

/** A worker that dies within this long of its start is not restarted at once: the next start waits. */
const CRASH_LOOP_MS = 5_000;

/**
 * The primary process of `server.workers: N`: forks N workers that each run the gateway on the same
 * port (Node's cluster hands them the connections), restarts a worker that dies (after a pause when it
 * died young, so that a crash loop does not spin), passes SIGHUP on (each worker reloads its config),
 * and on SIGTERM/SIGINT drains them all and exits 0 once every one has exited. Workers share their
 * state through Redis, as separate instances do (the config loader requires it).
 *
 * @example
 * if (cluster.isPrimary && loaded.config.server.workers > 1) return superviseWorkers(loaded.config.server.workers, logger);
 */
export function superviseWorkers(count: number, logger: Logger): Promise<number> {
  let stopping = false;
  const started = new Map<number, number>();
  const fork = (): Worker => {
    const w = cluster.fork();
    started.set(w.id, Date.now());
    return w;
  };
  for (let i = 0; i < count; i++) fork();
  logger.info({ workers: count, pid: process.pid }, 'switchyard primary: workers forked');

  cluster.on('exit', (worker, code, signal) => {
    const age = Date.now() - (started.get(worker.id) ?? 0);
    started.delete(worker.id);
    if (stopping) return;
    logger.warn({ worker: worker.process.pid, code, signal }, 'worker exited: starting another');
    setTimeout(fork, age < CRASH_LOOP_MS ? CRASH_LOOP_MS : 0).unref();
  });

  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'switchyard primary: draining workers');
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      if (workers.length === 0) return resolve(0);
      let left = workers.length;
      for (const w of workers) {
        w.once('exit', () => {
          left -= 1;
          if (left === 0) resolve(0);
        });
        w.process.kill(signal);
      }
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    });
  });
}

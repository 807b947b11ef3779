import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfigFile } from '../config/validate-runtime.js';
import { type RunningGateway, startGateway } from '../server.js';
import { createLogger } from '../telemetry/logger.js';
import { DEMO_BREAKER, demoConfigYaml, SIM_SPECS } from './catalog.js';
import { DEMO_CYCLE_SECONDS, DEMO_INCIDENTS, scheduleIncidents } from './incidents.js';
import { startLoad } from './load.js';
import { narrate } from './narrator.js';
import { DEMO_USAGE, parseDemoArgs } from './options.js';
import { SimProvider } from './sim-provider.js';

export interface DemoIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
  /** Resolves when the demo should stop (Ctrl-C by default). */
  interrupted: Promise<void>;
}

/**
 * `switchyard demo`: simulated OpenAI-, Anthropic- and Gemini-style providers in this process, a gateway
 * in front of them (cost strategy, quick breakers, a generated admin key), a small load and scheduled
 * incidents, narrated on stdout with the dashboard's URL. Runs until interrupted, or `--duration` seconds.
 * Port 8000 by default (another free port when it is taken).
 *
 * @example
 * process.exitCode = await runDemo(['--duration', '60'], io);
 */
export async function runDemo(args: readonly string[], io: DemoIo): Promise<number> {
  const o = parseDemoArgs(args);
  if (typeof o === 'string') {
    io.err.write(`${o}\nusage: ${DEMO_USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  const stamp = () => {
    const s = Math.floor((Date.now() - started) / 1000);
    return `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}]`;
  };
  const say = (line: string) => io.out.write(`${stamp()} ${line}\n`);

  const sims = await Promise.all(SIM_SPECS.map((spec) => SimProvider.start(spec)));
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
  const adminKey = `demo-admin-${randomBytes(12).toString('hex')}`;
  let running: RunningGateway;
  try {
    running = await startOn(sims, dir, adminKey, o.port, o.fallback);
  } catch (err) {
    await Promise.all(sims.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
    io.err.write(`demo: the gateway could not start: ${(err as Error).message}\n`);
    return 1;
  }
  io.out.write(banner(sims, running.url, adminKey, join(dir, 'config.yaml'), o.rate));
  const stopNarrating = narrate(running.gateway.events, say);
  const stopIncidents = scheduleIncidents(sims, DEMO_INCIDENTS, DEMO_CYCLE_SECONDS, (i) => say(`SIMULATED incident: ${i.says}`));
  const load = startLoad(running.url, o.rate);

  let timer: NodeJS.Timeout | undefined;
  const limit = o.durationSeconds;
  await Promise.race([io.interrupted, ...(limit === undefined ? [] : [new Promise((r) => (timer = setTimeout(r, limit * 1000)))])]);
  clearTimeout(timer);
  say('stopping the demo');
  stopIncidents();
  await load.stop();
  stopNarrating();
  await running.close();
  await Promise.all(sims.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
  const by = [...load.tally.byProvider].map(([p, n]) => `${p} ${n}`).join(', ') || 'none';
  io.out.write(`demo over: ${load.tally.answered} of ${load.tally.sent} requests answered (${by}); ${load.tally.unserved} unserved. All providers were SIMULATED.\n`);
  return 0;
}

/** Writes the demo config and starts the gateway on `port`, or on a free one when `fallback` and it is taken. */
async function startOn(sims: readonly SimProvider[], dir: string, adminKey: string, port: number, fallback: boolean): Promise<RunningGateway> {
  const file = join(dir, 'config.yaml');
  const start = async (p: number) => {
    writeFileSync(file, demoConfigYaml(sims, adminKey, p));
    const loaded = await validateConfigFile(file);
    return startGateway(loaded, { logger: createLogger('error', process.stderr), host: '127.0.0.1', port: p });
  };
  try {
    return await start(port);
  } catch (err) {
    if (!fallback || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return start(0);
  }
}

function banner(sims: readonly SimProvider[], url: string, adminKey: string, configFile: string, rate: number): string {
  const rows = sims.map((s) => {
    const p = s.spec;
    return `  ${p.name.padEnd(14)} SIMULATED ${`${p.style}-style`.padEnd(16)} ${p.model.padEnd(17)} $${p.price.input} in / $${p.price.output} out per 1M tokens`;
  });
  const incidents = DEMO_INCIDENTS.map((i) => `  ${String(i.at).padStart(3)} s  ${i.says}`);
  return [
    '',
    'switchyard demo: every provider here is SIMULATED (in-process fakes speaking the real wire formats; no keys, no network)',
    '',
    ...rows,
    '',
    `  dashboard   ${url}/dashboard`,
    `  admin key   ${adminKey}   (the dashboard asks for it once)`,
    `  status      npx switchyard status --url ${url} --key ${adminKey} --watch`,
    `  config      ${configFile}`,
    `  load        ${rate} requests/s, a quarter streamed; strategy: cost (cheapest healthy provider first)`,
    `  breakers    open after ${DEMO_BREAKER.failureThreshold} failures in a row, probe after ${DEMO_BREAKER.cooldownSeconds} s`,
    '',
    `SIMULATED incidents, every ${DEMO_CYCLE_SECONDS} s:`,
    ...incidents,
    '',
    'Ctrl-C stops the demo.',
    '',
  ].join('\n');
}

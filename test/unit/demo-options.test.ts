import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { demoConfigYaml, SIM_SPECS } from '../../src/demo/catalog.js';
import { parseDemoArgs } from '../../src/demo/options.js';

describe('parseDemoArgs', () => {
  it('runs on port 8000 (another when taken) until interrupted, at 4 requests a second, by default', () => {
    expect(parseDemoArgs([])).toEqual({ port: 8000, fallback: true, durationSeconds: undefined, rate: 4 });
    expect(parseDemoArgs(['--port', '0', '--duration=20', '--rate', '10'])).toEqual({ port: 0, fallback: false, durationSeconds: 20, rate: 10 });
  });

  it('says what is wrong with a bad value', () => {
    expect(parseDemoArgs(['--port', 'eighty'])).toBe('--port: "eighty" is not a port number');
    expect(parseDemoArgs(['--duration', '-1'])).toBe('--duration: "-1" is not a positive number of seconds');
    expect(parseDemoArgs(['--rate', 'fast'])).toBe('--rate: "fast" is not a positive number of requests per second');
  });
});

describe('demoConfigYaml', () => {
  it('is a valid config of the simulated providers, listed most expensive first, with the cost strategy', () => {
    const sims = SIM_SPECS.map((spec, i) => ({ spec, baseUrl: `http://127.0.0.1:${9000 + i}/v1` }));
    const loaded = parseConfig(demoConfigYaml(sims, 'demo-admin-key', 8000), '(demo)', { env: {} });
    expect(loaded.chain).toEqual(['sim-openai', 'sim-anthropic', 'sim-gemini']);
    expect(loaded.providers.map((p) => p.type)).toEqual(['openai', 'anthropic', 'gemini']);
    expect(loaded.config.routing.strategy).toBe('cost');
    expect(loaded.config.auth.admin_keys).toEqual(['demo-admin-key']);
    expect(loaded.config.server).toMatchObject({ host: '127.0.0.1', port: 8000 });
  });
});

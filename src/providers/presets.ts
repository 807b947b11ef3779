/**
 * Vendors as data: a wire protocol, a default base URL, the usual key variable, and the model names
 * they serve (globs), used by `preset:` in config and by auto-discovery from the environment.
 */
export interface Preset {
  type: 'openai' | 'openai_compatible' | 'anthropic' | 'gemini' | 'ollama';
  base_url: string;
  /** Environment variable holding the key; absent: the server takes none. */
  key_env?: string;
  /** Model names it serves; used when auto-discovered so that each request goes to a provider that knows it. */
  models?: string[];
}

export const PRESETS: Readonly<Record<string, Preset>> = {
  openai: { type: 'openai', base_url: 'https://api.openai.com/v1', key_env: 'OPENAI_API_KEY', models: ['gpt-*', 'o1*', 'o3*', 'o4*', 'chatgpt-*'] },
  anthropic: { type: 'anthropic', base_url: 'https://api.anthropic.com/v1', key_env: 'ANTHROPIC_API_KEY', models: ['claude-*'] },
  gemini: { type: 'gemini', base_url: 'https://generativelanguage.googleapis.com/v1beta', key_env: 'GEMINI_API_KEY', models: ['gemini-*', 'gemma-*'] },
  openrouter: { type: 'openai_compatible', base_url: 'https://openrouter.ai/api/v1', key_env: 'OPENROUTER_API_KEY', models: ['*/*'] },
  deepseek: { type: 'openai_compatible', base_url: 'https://api.deepseek.com/v1', key_env: 'DEEPSEEK_API_KEY', models: ['deepseek-*'] },
  mistral: {
    type: 'openai_compatible',
    base_url: 'https://api.mistral.ai/v1',
    key_env: 'MISTRAL_API_KEY',
    models: ['mistral-*', 'codestral-*', 'pixtral-*', 'magistral-*', 'ministral-*', 'open-mistral-*'],
  },
  xai: { type: 'openai_compatible', base_url: 'https://api.x.ai/v1', key_env: 'XAI_API_KEY', models: ['grok-*'] },
  groq: { type: 'openai_compatible', base_url: 'https://api.groq.com/openai/v1', key_env: 'GROQ_API_KEY', models: ['llama-*', 'llama3-*', 'gemma2-*', 'qwen/*', 'moonshotai/*', 'openai/gpt-oss-*'] },
  together: { type: 'openai_compatible', base_url: 'https://api.together.xyz/v1', key_env: 'TOGETHER_API_KEY', models: ['meta-llama/*', 'mistralai/*', 'Qwen/*', 'deepseek-ai/*', 'google/*'] },
  moonshot: { type: 'openai_compatible', base_url: 'https://api.moonshot.ai/v1', key_env: 'MOONSHOT_API_KEY', models: ['moonshot-*', 'kimi-*'] },
  dashscope: { type: 'openai_compatible', base_url: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', key_env: 'DASHSCOPE_API_KEY', models: ['qwen-*', 'qwen2*', 'qwen3*', 'qwq-*'] },
  vllm: { type: 'openai_compatible', base_url: 'http://127.0.0.1:8000/v1' },
  ollama: { type: 'ollama', base_url: 'http://127.0.0.1:11434' },
  ollama_openai: { type: 'openai_compatible', base_url: 'http://127.0.0.1:11434/v1' },
};

/** The order auto-discovered providers are tried in (the list, Ollama last). */
export const DISCOVERY_ORDER = ['openai', 'anthropic', 'gemini', 'openrouter', 'deepseek', 'mistral', 'xai', 'groq', 'together', 'moonshot', 'dashscope'];

/** Turns a model glob (`claude-*`) into a test; names without `*` match exactly. */
export function modelMatcher(patterns: readonly string[]): (model: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns
    .filter((p) => p.includes('*'))
    .map(
      (p) =>
        new RegExp(
          `^${p
            .split('*')
            .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        ),
    );
  if (globs.length === 0) return (m) => exact.has(m);
  return (m) => exact.has(m) || globs.some((g) => g.test(m));
}

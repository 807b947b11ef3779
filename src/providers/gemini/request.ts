import { finiteNumber, isObject, parseJson } from '../translating/guards.js';
import { RequestMappingError } from '../translating/request-mapping.js';
import { toGeminiParameters, toGeminiSchema } from './schema.js';
import { type GeminiContent, type GeminiFunctionDeclaration, type GeminiGenerationConfig, type GeminiPart, type GeminiRequest, THOUGHT_SIGNATURE_MARKER } from './wire.js';

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
};

const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mp3' };

/** Stands in for an image Gemini cannot be given, so the model (and whoever reads the transcript) knows. */
export const IMAGE_DROPPED_NOTE = '[image not forwarded: Gemini takes data URLs, or http(s) URLs ending in .png, .jpg, .jpeg, .webp, .heic or .heif]';

/**
 * An OpenAI chat request → Gemini `generateContent` body. Fields without an equivalent are dropped; a
 * tool result whose call cannot be found throws a RequestMappingError (Gemini answers by name).
 */
export function toGeminiRequest(body: Record<string, unknown>): GeminiRequest {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  /** Tool-call id → function name, from the assistant turns seen so far (Gemini answers by name). */
  const callNames = new Map<string, string>();
  const messages = Array.isArray(body.messages) ? body.messages : [];

  const pushResult = (part: GeminiPart) => {
    const last = contents[contents.length - 1];
    // Consecutive tool results travel together in one user turn.
    if (last?.role === 'user' && last.parts.length > 0 && last.parts.every((p) => p.functionResponse)) last.parts.push(part);
    else contents.push({ role: 'user', parts: [part] });
  };

  messages.forEach((m: unknown, i: number) => {
    if (!isObject(m)) return;
    switch (m.role) {
      case 'system':
      case 'developer':
        for (const text of texts(m.content)) system.push({ text });
        return;
      case 'user': {
        const parts = userParts(m.content);
        if (parts.length > 0) contents.push({ role: 'user', parts });
        return;
      }
      case 'assistant': {
        const parts = assistantParts(m, callNames);
        if (parts.length > 0) contents.push({ role: 'model', parts });
        return;
      }
      case 'tool': {
        const id = typeof m.tool_call_id === 'string' ? m.tool_call_id : '';
        const name = callNames.get(id) ?? (typeof m.name === 'string' ? m.name : undefined);
        if (!name) throw new RequestMappingError(`messages[${i}].tool_call_id does not match any earlier assistant tool call`, `messages[${i}].tool_call_id`, 'invalid_value');
        pushResult({ functionResponse: { name, response: resultObject(texts(m.content).join('')) } });
        return;
      }
      case 'function':
        // The legacy function-calling result: the name is on the message.
        if (typeof m.name === 'string') pushResult({ functionResponse: { name: m.name, response: resultObject(texts(m.content).join('')) } });
        return;
      default:
        return;
    }
  });

  const out: GeminiRequest = { contents };
  if (system.length > 0) out.systemInstruction = { parts: system };
  const declarations = functionDeclarations(body.tools);
  if (declarations.length > 0) {
    out.tools = [{ functionDeclarations: declarations }];
    const config = functionCallingConfig(body.tool_choice);
    if (config) out.toolConfig = { functionCallingConfig: config };
  }
  const generation = generationConfig(body);
  if (Object.keys(generation).length > 0) out.generationConfig = generation;
  return out;
}

/** The text of a string content or of its text parts (other parts are ignored). */
function texts(content: unknown): string[] {
  if (typeof content === 'string') return content === '' ? [] : [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((p: unknown) => (isObject(p) && p.type === 'text' && typeof p.text === 'string' && p.text !== '' ? [p.text] : []));
}

function userParts(content: unknown): GeminiPart[] {
  if (!Array.isArray(content)) return texts(content).map((text) => ({ text }));
  const parts: GeminiPart[] = [];
  for (const p of content as unknown[]) {
    if (!isObject(p)) continue;
    if (p.type === 'text' && typeof p.text === 'string') {
      if (p.text !== '') parts.push({ text: p.text });
    } else if (p.type === 'image_url') {
      const url = isObject(p.image_url) ? p.image_url.url : p.image_url;
      if (typeof url === 'string') parts.push(imagePart(url));
    } else if (p.type === 'input_audio' && isObject(p.input_audio) && typeof p.input_audio.data === 'string') {
      const format = typeof p.input_audio.format === 'string' ? p.input_audio.format : 'wav';
      parts.push({ inlineData: { mimeType: AUDIO_TYPES[format] ?? `audio/${format}`, data: p.input_audio.data } });
    } else if (p.type === 'file' && isObject(p.file) && typeof p.file.file_data === 'string') {
      const inline = dataUrl(p.file.file_data);
      if (inline) parts.push({ inlineData: inline });
    }
  }
  return parts;
}

/** `data:` URLs are inlined; http(s) URLs go as `fileData` when their type shows in the extension. */
export function imagePart(url: string): GeminiPart {
  const inline = dataUrl(url);
  if (inline) return { inlineData: inline };
  if (/^https?:\/\//i.test(url)) {
    let ext: string | undefined;
    try {
      ext = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
    } catch {
      ext = undefined;
    }
    const mimeType = ext ? IMAGE_TYPES[ext] : undefined;
    if (mimeType) return { fileData: { mimeType, fileUri: url } };
  }
  return { text: IMAGE_DROPPED_NOTE };
}

function dataUrl(url: string): { mimeType: string; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const meta = url.slice(5, comma).split(';');
  const mimeType = meta[0] || 'application/octet-stream';
  const payload = url.slice(comma + 1);
  if (meta.includes('base64')) return { mimeType, data: payload };
  let decoded: string;
  try {
    decoded = decodeURIComponent(payload);
  } catch {
    decoded = payload;
  }
  return { mimeType, data: Buffer.from(decoded, 'utf8').toString('base64') };
}

function assistantParts(m: Record<string, unknown>, callNames: Map<string, string>): GeminiPart[] {
  const parts: GeminiPart[] = texts(m.content).map((text) => ({ text }));
  if (Array.isArray(m.tool_calls)) {
    for (const call of m.tool_calls as unknown[]) {
      if (!isObject(call) || !isObject(call.function) || typeof call.function.name !== 'string') continue;
      const id = typeof call.id === 'string' ? call.id : '';
      if (id) callNames.set(id, call.function.name);
      const part: GeminiPart = { functionCall: { name: call.function.name, args: parseArgs(call.function.arguments) } };
      const at = id.indexOf(THOUGHT_SIGNATURE_MARKER);
      if (at >= 0) part.thoughtSignature = id.slice(at + THOUGHT_SIGNATURE_MARKER.length);
      parts.push(part);
    }
  } else if (isObject(m.function_call) && typeof m.function_call.name === 'string') {
    parts.push({ functionCall: { name: m.function_call.name, args: parseArgs(m.function_call.arguments) } });
  }
  return parts;
}

/** OpenAI arguments are a JSON string, Gemini's `args` an object; anything else is wrapped, not lost. */
export function parseArgs(args: unknown): Record<string, unknown> {
  if (typeof args !== 'string' || args.trim() === '') return {};
  const parsed = parseJson(args);
  if (parsed === undefined) return { arguments: args };
  return isObject(parsed) ? parsed : { arguments: parsed };
}

/** A tool's output: a JSON object goes as it is, anything else as `{"content": text}`. */
export function resultObject(text: string): Record<string, unknown> {
  const parsed = parseJson(text);
  return isObject(parsed) ? parsed : { content: text };
}

function functionDeclarations(tools: unknown): GeminiFunctionDeclaration[] {
  if (!Array.isArray(tools)) return [];
  const out: GeminiFunctionDeclaration[] = [];
  for (const t of tools as unknown[]) {
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function) || typeof t.function.name !== 'string') continue;
    const f = t.function;
    const decl: GeminiFunctionDeclaration = { name: f.name as string };
    if (typeof f.description === 'string') decl.description = f.description;
    const parameters = toGeminiParameters(f.parameters);
    if (parameters) decl.parameters = parameters;
    out.push(decl);
  }
  return out;
}

type CallingConfig = NonNullable<GeminiRequest['toolConfig']>['functionCallingConfig'];

function functionCallingConfig(choice: unknown): CallingConfig | undefined {
  if (choice === 'auto') return { mode: 'AUTO' };
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'required') return { mode: 'ANY' };
  if (!isObject(choice)) return undefined;
  if (choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string') {
    return { mode: 'ANY', allowedFunctionNames: [choice.function.name] };
  }
  if (choice.type === 'allowed_tools' && isObject(choice.allowed_tools)) {
    const { mode, tools } = choice.allowed_tools;
    if (mode !== 'required') return { mode: 'AUTO' };
    const names = (Array.isArray(tools) ? tools : []).flatMap((t: unknown) => (isObject(t) && isObject(t.function) && typeof t.function.name === 'string' ? [t.function.name] : []));
    return names.length > 0 ? { mode: 'ANY', allowedFunctionNames: names } : { mode: 'ANY' };
  }
  return undefined;
}

function generationConfig(body: Record<string, unknown>): GeminiGenerationConfig {
  const g: GeminiGenerationConfig = {};
  const set = <K extends keyof GeminiGenerationConfig>(key: K, value: GeminiGenerationConfig[K] | undefined) => {
    if (value !== undefined) g[key] = value;
  };
  set('temperature', finiteNumber(body.temperature));
  set('topP', finiteNumber(body.top_p));
  set('topK', finiteNumber(body.top_k)); // not OpenAI's, but sent by the Anthropic door (and some clients)
  set('maxOutputTokens', finiteNumber(body.max_completion_tokens) ?? finiteNumber(body.max_tokens));
  if (typeof body.stop === 'string') g.stopSequences = [body.stop];
  else if (Array.isArray(body.stop)) {
    const stops = body.stop.filter((s: unknown): s is string => typeof s === 'string');
    if (stops.length > 0) g.stopSequences = stops;
  }
  set('candidateCount', finiteNumber(body.n));
  set('presencePenalty', finiteNumber(body.presence_penalty));
  set('frequencyPenalty', finiteNumber(body.frequency_penalty));
  set('seed', finiteNumber(body.seed));
  const format = body.response_format;
  if (isObject(format)) {
    if (format.type === 'json_object') g.responseMimeType = 'application/json';
    else if (format.type === 'json_schema') {
      g.responseMimeType = 'application/json';
      if (isObject(format.json_schema) && isObject(format.json_schema.schema)) g.responseSchema = toGeminiSchema(format.json_schema.schema);
    }
  }
  return g;
}

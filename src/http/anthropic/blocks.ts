/**
 * Anthropic content blocks of a user turn → OpenAI content parts and `tool` messages (protocols.md
 * 3.3, 4.4). Pure: no I/O.
 */
import { isObject, type JsonObject } from '../../providers/translating/guards.js';
import { RequestMappingError } from '../../providers/translating/request-mapping.js';

/**
 * A validation failure: the message starts with the field, as Anthropic's do.
 *
 * @example
 * throw invalid('max_tokens', 'Field required'); // message 'max_tokens: Field required', param 'max_tokens'
 */
export const invalid = (param: string, problem: string): RequestMappingError => new RequestMappingError(`${param}: ${problem}`, param, 'invalid_request');

const unsupported = (where: string, what: string): RequestMappingError => new RequestMappingError(`${where}: ${what} cannot be sent through a translated provider.`, where);

/**
 * One block of a user turn as OpenAI content parts: text (empty text dropped), images as `image_url`
 * (base64 as a data URL), PDF documents as `file` parts, plain-text documents as text; thinking
 * blocks dropped. Tool results are not parts: see `toolMessage`.
 *
 * @example
 * userParts({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } }, 'messages.0.content.0');
 * // [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } }]
 */
export function userParts(b: JsonObject, where: string): JsonObject[] {
  switch (b.type) {
    case 'text':
      if (typeof b.text !== 'string') throw invalid(`${where}.text`, 'Field required');
      return b.text === '' ? [] : [{ type: 'text', text: b.text }];
    case 'image':
      return [imagePart(b.source, `${where}.source`)];
    case 'document':
      return [documentPart(b, `${where}.source`)];
    case 'thinking':
    case 'redacted_thinking':
      return [];
    default:
      throw unsupported(where, `content blocks of type "${String(b.type).slice(0, 64)}"`);
  }
}

function imagePart(source: unknown, where: string): JsonObject {
  if (!isObject(source)) throw invalid(where, 'Field required');
  if (source.type === 'base64') {
    if (typeof source.media_type !== 'string' || source.media_type === '') throw invalid(`${where}.media_type`, 'Field required');
    if (typeof source.data !== 'string' || source.data === '') throw invalid(`${where}.data`, 'Field required');
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source.type === 'url') {
    if (typeof source.url !== 'string' || source.url === '') throw invalid(`${where}.url`, 'Field required');
    return { type: 'image_url', image_url: { url: source.url } };
  }
  throw unsupported(`${where}.type`, `image sources of type "${String(source.type).slice(0, 64)}"`);
}

function documentPart(b: JsonObject, where: string): JsonObject {
  const source = b.source;
  if (!isObject(source)) throw invalid(where, 'Field required');
  if (source.type === 'base64' && source.media_type === 'application/pdf' && typeof source.data === 'string') {
    const filename = typeof b.title === 'string' && b.title !== '' ? b.title : 'document.pdf';
    return { type: 'file', file: { filename, file_data: `data:application/pdf;base64,${source.data}` } };
  }
  if (source.type === 'text' && typeof source.data === 'string') return { type: 'text', text: source.data };
  throw unsupported(`${where}.type`, `documents other than base64 PDFs and plain text (got "${String(source.type).slice(0, 64)}")`);
}

/**
 * A `tool_result` block as an OpenAI `tool` message. Its content (a string, or text and image blocks)
 * becomes the message's text; images, which `tool` messages cannot carry, go to `images` for the user
 * message that follows the tool messages. `is_error: true` marks the text as an error (OpenAI has no
 * such flag).
 *
 * @example
 * toolMessage({ type: 'tool_result', tool_use_id: 'toolu_1', content: 'not found', is_error: true }, 'messages.2.content.0', []);
 * // { role: 'tool', tool_call_id: 'toolu_1', content: 'Error: not found' }
 */
export function toolMessage(b: JsonObject, where: string, images: JsonObject[]): JsonObject {
  if (typeof b.tool_use_id !== 'string' || b.tool_use_id === '') throw invalid(`${where}.tool_use_id`, 'Field required');
  let text: string;
  if (b.content === undefined || b.content === null) text = '';
  else if (typeof b.content === 'string') text = b.content;
  else if (Array.isArray(b.content)) {
    const texts: string[] = [];
    b.content.forEach((c, k) => {
      const at = `${where}.content.${k}`;
      if (!isObject(c)) throw invalid(at, 'Input should be a content block');
      if (c.type === 'image') images.push(imagePart(c.source, `${at}.source`));
      else if (c.type === 'text') {
        if (typeof c.text !== 'string') throw invalid(`${at}.text`, 'Field required');
        if (c.text !== '') texts.push(c.text);
      } else throw unsupported(at, `tool result blocks of type "${String(c.type).slice(0, 64)}"`);
    });
    text = texts.join('\n\n');
  } else throw invalid(`${where}.content`, 'Input should be a string or a list of content blocks');
  if (b.is_error === true) text = text === '' ? 'Error' : `Error: ${text}`;
  return { role: 'tool', tool_call_id: b.tool_use_id, content: text };
}

import type { CallOptions, ChatCompletion, ChatRequest, RoutingInfo } from './types.js';

/** One chat message in OpenAI's shape: `role` and `content`, any other field (`tool_calls`, `tool_call_id`, `name`) kept as given. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  [field: string]: unknown;
}

/** `conversation()` options: the model, an optional system prompt and earlier messages, and request fields sent with every turn. */
export interface ConversationOptions {
  model: string;
  /** The system message the history starts with (kept by `clear()`). */
  system?: string;
  /** Messages the conversation starts from (after the system message), e.g. a restored history. */
  history?: ReadonlyArray<ChatMessage>;
  /** Routing of every turn (`strategy`, `provider`, `session`, ...); a turn's own options override these. */
  callOptions?: CallOptions;
  /** Any other field (`temperature`, `max_tokens`, `tools`, ...) is sent with every turn. */
  [field: string]: unknown;
}

/** What one turn answered: the assistant's text and message (added to the history), who served it, and the whole completion. */
export interface ConversationReply {
  /** The assistant's text (`null` when it answered with tool calls only). */
  content: string | null;
  /** The assistant message as the provider answered it, as added to the history. */
  message: ChatMessage;
  routing: RoutingInfo;
  completion: ChatCompletion & { routing: RoutingInfo };
}

/** What a conversation calls for each turn: a Switchyard's `chat`. */
export type ChatFn = (request: ChatRequest, options?: CallOptions) => Promise<ChatCompletion & { routing: RoutingInfo }>;

/**
 * A multi-turn chat that keeps its history: each `send` sends the whole history (system, user, assistant
 * and any tool messages) and adds the user message and the assistant's answer to it. Each turn is routed
 * on its own, so after a failover the next turn goes to whichever provider serves, with the whole history.
 * A turn that fails (it throws a SwitchyardError) leaves the history as it was.
 *
 * @example
 * const chat = switchyard.conversation({ model: 'gpt-4o-mini', system: 'You are terse.', temperature: 0 });
 * const first = await chat.send('What is a switchyard?');
 * console.log(first.content, first.routing.provider);
 * await chat.send('Shorter, please.');
 * console.log(chat.history.length); // 5: system, user, assistant, user, assistant
 */
export class Conversation {
  private readonly messages: ChatMessage[] = [];
  private readonly system: ChatMessage | undefined;
  private readonly model: string;
  private readonly defaults: Record<string, unknown>;
  private readonly callOptions: CallOptions;

  constructor(
    private readonly chat: ChatFn,
    options: ConversationOptions,
  ) {
    const { model, system, history, callOptions, ...defaults } = options;
    this.model = model;
    this.defaults = defaults;
    this.callOptions = callOptions ?? {};
    this.system = system !== undefined ? { role: 'system', content: system } : undefined;
    this.clear();
    if (history) this.add(...history);
  }

  /** Every message so far, in order (a read-only view; `add` and `send` change it). */
  get history(): ReadonlyArray<Readonly<ChatMessage>> {
    return this.messages;
  }

  /**
   * Sends a user turn (a text, or a whole message such as one with image parts) with the whole history;
   * on success the message and the assistant's answer are added to the history.
   *
   * @example
   * const reply = await chat.send('And in French?', { timeoutMs: 10_000 });
   */
  async send(input: string | ChatMessage, options: CallOptions = {}): Promise<ConversationReply> {
    const user: ChatMessage = typeof input === 'string' ? { role: 'user', content: input } : { ...input };
    const messages = [...this.messages, user];
    const completion = await this.chat({ ...this.defaults, model: this.model, messages }, { ...this.callOptions, ...options });
    const answered = completion.choices[0]?.message;
    const message: ChatMessage = answered ? { ...answered } : { role: 'assistant', content: null };
    this.messages.push(user, message);
    const content = typeof message.content === 'string' ? message.content : null;
    return { content, message, routing: completion.routing, completion };
  }

  /**
   * Adds messages to the history without a call: tool results, or turns from elsewhere.
   *
   * @example
   * chat.add({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
   */
  add(...messages: ReadonlyArray<ChatMessage>): this {
    for (const m of messages) this.messages.push({ ...m });
    return this;
  }

  /** Forgets every message but the system message. */
  clear(): this {
    this.messages.length = 0;
    if (this.system) this.messages.push({ ...this.system });
    return this;
  }
}

import type { ChatMessage } from '../../gen/chat/v1/client';
import { closeCodeName } from '../protocol/close-codes';
import { ChatClientError } from './client-error';

/** What the inbox needs of its client: its URL, message and close events. */
export interface InboxSource {
  readonly url: string;
  on(event: 'message', listener: (m: ChatMessage) => void): unknown;
  on(event: 'close', listener: (code: number) => void): unknown;
  off(event: 'message', listener: (m: ChatMessage) => void): unknown;
  off(event: 'close', listener: (code: number) => void): unknown;
}

/** The last `size` pushed messages, and waiting for one that matches. */
export class MessageInbox {
  private readonly kept: ChatMessage[] = [];

  constructor(
    private readonly source: InboxSource,
    private readonly size: number,
  ) {}

  add(m: ChatMessage): void {
    this.kept.push(m);
    if (this.kept.length > this.size) this.kept.shift();
  }

  /** Oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.kept;
  }

  /** The first kept message matching `predicate`, else the next one to arrive. */
  waitFor(predicate: (m: ChatMessage) => boolean, timeoutMs: number): Promise<ChatMessage> {
    const seen = this.kept.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    const { source } = this;
    const url = source.url;
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        source.off('message', onMessage);
        source.off('close', onClose);
      };
      const onMessage = (m: ChatMessage): void => {
        if (!predicate(m)) return;
        cleanup();
        resolve(m);
      };
      const onClose = (code: number): void => {
        cleanup();
        reject(
          new ChatClientError(
            0,
            'CLOSED',
            `Connection to ${url} closed (${closeCodeName(code)}) while waiting for a message.`,
          ),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new ChatClientError(0, 'TIMEOUT', `No matching message from ${url} within ${timeoutMs} ms.`));
      }, timeoutMs);
      source.on('message', onMessage);
      source.on('close', onClose);
    });
  }
}

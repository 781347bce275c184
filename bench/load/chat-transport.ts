import { ChatClient } from '../../src/client/chat-client';
import type { LoadClient, LoadTransport, Placement, Target } from './clients';

/** Real chat users: connect, log in with the password, send commands, receive pushes. */
export class ChatTransport implements LoadTransport {
  readonly name = 'cluster';

  constructor(private readonly password: string) {}

  async connect(user: string, placement: Placement): Promise<LoadClient> {
    // inboxSize 1: the bench listens to events and needs no history of its own.
    const client = await ChatClient.connect(placement.url, { inboxSize: 1, requestTimeoutMs: 10_000 });
    try {
      await client.login(user, this.password);
    } catch (err) {
      await client.close();
      throw err;
    }
    return new ChatLoadClient(user, client);
  }
}

class ChatLoadClient implements LoadClient {
  constructor(
    readonly user: string,
    private readonly client: ChatClient,
  ) {}

  async send(target: Target, text: string): Promise<void> {
    if (target.kind === 'user') await this.client.sendDirect(target.name, text);
    else if (target.kind === 'room') await this.client.sendRoom(target.name, text);
    else await this.client.sendChannel('world', text);
  }

  onText(listener: (text: string) => void): void {
    this.client.on('message', (message) => listener(message.text));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The part of a net.Socket the coalescer uses. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Frames written to one client within one event-loop turn (a burst of
 * acknowledgements, several pushes) leave in one system call: the socket is
 * corked on the first write of the turn and uncorked once, for all sockets
 * together, when the turn ends. ws's own cork/uncork around each frame nest
 * inside.
 */
export class WriteCoalescer {
  private held = new Set<Corkable>();
  private scheduled = false;

  /** Called before each write to `socket`. */
  hold(socket: Corkable): void {
    if (this.held.has(socket)) return;
    socket.cork();
    this.held.add(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.release());
    }
  }

  private release(): void {
    this.scheduled = false;
    const held = this.held;
    this.held = new Set();
    for (const socket of held) socket.uncork();
  }
}

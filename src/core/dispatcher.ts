/**
 * Command dispatch with an explicit interceptor chain. The same machinery
 * serves WebSocket commands (auth, validation, rate limits, metrics are
 * interceptors) and anything else that routes named commands to handlers.
 */

export type Handler<C, R> = (ctx: C) => Promise<R>;

/**
 * Sees the context before the handler. It may change the context, stop the
 * chain by throwing a ChatError (the edge turns it into an error reply), or
 * call `next` to pass on, possibly with a different context.
 */
export type Interceptor<C, R> = (ctx: C, next: (ctx: C) => Promise<R>) => Promise<R>;

export interface DispatcherOptions<C, R> {
  /** Command name → handler. */
  handlers: Readonly<Record<string, Handler<C, R>>>;
  /** Runs for command names without a handler. */
  fallback: Handler<C, R>;
  /** Applied in array order: the first one sees the context first. */
  interceptors?: ReadonlyArray<Interceptor<C, R>>;
}

export class Dispatcher<C, R> {
  private readonly handlers: ReadonlyMap<string, Handler<C, R>>;
  private readonly fallback: Handler<C, R>;
  private readonly interceptors: ReadonlyArray<Interceptor<C, R>>;

  constructor(options: DispatcherOptions<C, R>) {
    this.handlers = new Map(Object.entries(options.handlers));
    this.fallback = options.fallback;
    this.interceptors = options.interceptors ?? [];
  }

  has(command: string): boolean {
    return this.handlers.has(command);
  }

  dispatch(command: string, ctx: C): Promise<R> {
    const handler = this.handlers.get(command) ?? this.fallback;
    return runChain(this.interceptors, handler, ctx);
  }
}

/** Runs `interceptors` in order around `handler`. */
export function runChain<C, R>(
  interceptors: ReadonlyArray<Interceptor<C, R>>,
  handler: Handler<C, R>,
  ctx: C,
): Promise<R> {
  const step = (index: number, current: C): Promise<R> => {
    const interceptor = interceptors[index];
    if (interceptor === undefined) return handler(current);
    let called = false;
    return interceptor(current, (next) => {
      // Calling next twice would run the handler twice: a double-sent message.
      if (called) return Promise.reject(new Error(`interceptor ${index} called next() twice`));
      called = true;
      return step(index + 1, next);
    });
  };
  try {
    return step(0, ctx);
  } catch (err) {
    // A synchronous throw in an interceptor becomes a rejection like any other.
    return Promise.reject(err);
  }
}

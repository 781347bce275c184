import { Dispatcher, runChain } from '../../src/core/dispatcher';
import type { Interceptor } from '../../src/core/dispatcher';
import { Forbidden, toErrorReply } from '../../src/core/errors';

interface Ctx {
  command: string;
  user?: string;
  trail: string[];
}

const echo = (name: string) => async (ctx: Ctx) => `${name}:${ctx.user ?? '-'}:${ctx.trail.join(',')}`;

describe('Dispatcher', () => {
  it('routes a command to its handler', async () => {
    const d = new Dispatcher<Ctx, string>({ handlers: { ping: echo('ping') }, fallback: echo('fallback') });
    await expect(d.dispatch('ping', { command: 'ping', trail: [] })).resolves.toBe('ping:-:');
  });

  it('sends unknown commands to the fallback handler', async () => {
    const d = new Dispatcher<Ctx, string>({ handlers: { ping: echo('ping') }, fallback: echo('fallback') });
    await expect(d.dispatch('nope', { command: 'nope', trail: [] })).resolves.toBe('fallback:-:');
    expect(d.has('nope')).toBe(false);
  });

  it('runs interceptors in the order given, around the handler', async () => {
    const mark =
      (name: string): Interceptor<Ctx, string> =>
      async (ctx, next) => {
        ctx.trail.push(`${name}>`);
        const result = await next(ctx);
        ctx.trail.push(`<${name}`);
        return result;
      };
    const ctx: Ctx = { command: 'ping', trail: [] };
    const d = new Dispatcher<Ctx, string>({
      handlers: { ping: echo('ping') },
      fallback: echo('fallback'),
      interceptors: [mark('a'), mark('b')],
    });
    await expect(d.dispatch('ping', ctx)).resolves.toBe('ping:-:a>,b>');
    expect(ctx.trail).toEqual(['a>', 'b>', '<b', '<a']);
  });

  it('lets an interceptor change the context it passes on', async () => {
    const auth: Interceptor<Ctx, string> = (ctx, next) => next({ ...ctx, user: 'alice' });
    const d = new Dispatcher<Ctx, string>({
      handlers: { who: echo('who') },
      fallback: echo('x'),
      interceptors: [auth],
    });
    await expect(d.dispatch('who', { command: 'who', trail: [] })).resolves.toBe('who:alice:');
  });

  it('lets an interceptor short-circuit with a typed error; later steps never run', async () => {
    const handler = jest.fn(echo('secret'));
    const later = jest.fn<Promise<string>, [Ctx, (c: Ctx) => Promise<string>]>((ctx, next) => next(ctx));
    const deny: Interceptor<Ctx, string> = async () => {
      throw new Forbidden('Not yours.');
    };
    const d = new Dispatcher<Ctx, string>({
      handlers: { secret: handler },
      fallback: echo('x'),
      interceptors: [deny, later],
    });
    await expect(d.dispatch('secret', { command: 'secret', trail: [] })).rejects.toMatchObject({
      code: 403,
      reason: 'FORBIDDEN',
    });
    expect(handler).not.toHaveBeenCalled();
    expect(later).not.toHaveBeenCalled();
  });

  it('lets an interceptor answer by itself without calling next', async () => {
    const cached: Interceptor<Ctx, string> = async () => 'cached';
    const handler = jest.fn(echo('slow'));
    await expect(runChain([cached], handler, { command: 'slow', trail: [] })).resolves.toBe('cached');
    expect(handler).not.toHaveBeenCalled();
  });

  it('turns a synchronous throw in an interceptor into a rejection', async () => {
    const broken: Interceptor<Ctx, string> = () => {
      throw new Error('boom');
    };
    await expect(runChain([broken], echo('x'), { command: 'x', trail: [] })).rejects.toThrow('boom');
  });

  it('refuses a second call of next, which would run the handler twice', async () => {
    const handler = jest.fn(echo('once'));
    const twice: Interceptor<Ctx, string> = async (ctx, next) => {
      await next(ctx);
      return next(ctx);
    };
    await expect(runChain([twice], handler, { command: 'once', trail: [] })).rejects.toThrow(/twice/);
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('toErrorReply', () => {
  it('keeps a ChatError, hides an unknown error, and makes a backend outage a 503', () => {
    expect(toErrorReply(new Forbidden('no'))).toEqual({ code: 403, reason: 'FORBIDDEN', message: 'no' });
    expect(toErrorReply(new Error('secret detail'))).toMatchObject({ code: 500, reason: 'INTERNAL' });
    expect(toErrorReply(new Error('secret detail')).message).not.toContain('secret');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    expect(toErrorReply(refused)).toMatchObject({ code: 503, reason: 'BACKEND_UNAVAILABLE' });
    expect(toErrorReply(new Error('Connection is closed.'))).toMatchObject({ code: 503 });
  });
});

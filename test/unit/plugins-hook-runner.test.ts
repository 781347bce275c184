import pino from 'pino';
import { Registry } from 'prom-client';
import { ChatError, toErrorReply } from '../../src/core/errors';
import type { Logger } from '../../src/core/logger';
import { HookRunner, PluginRejection, registerHookMetrics } from '../../src/plugins';
import type { AfterEvent, ChatPlugin, MessageDraft, SenderInfo } from '../../src/plugins';
import type { StoredMessage } from '../../src/store/types';
import { waitFor } from '../support';

interface LogLine {
  level: number;
  msg: string;
  plugin?: string;
  hook?: string;
}

function capture(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger: logger as Logger, lines };
}

const sender: SenderInfo = { username: 'alice', alliance: 'red', createdAt: 0 };
const draft: MessageDraft = {
  kind: 'direct',
  conversation: 'dm:alice|bob',
  from: 'alice',
  to: 'bob',
  text: 'hi',
};
const message: StoredMessage = {
  id: 'm1',
  conversation: 'dm:alice|bob',
  seq: 1,
  kind: 'direct',
  from: 'alice',
  to: 'bob',
  text: 'hi',
  ts: 1,
};
const stored = (m: StoredMessage = message): AfterEvent => ({ type: 'messageStored', message: m });
const never = (): Promise<never> => new Promise<never>(() => undefined);

describe('HookRunner: order', () => {
  it('runs hooks by priority, ties in configured order', async () => {
    const trail: string[] = [];
    const plugin = (name: string, priority?: number): ChatPlugin => ({
      name,
      priority,
      beforeMessage: async () => void trail.push(`before:${name}`),
      afterMessageStored: () => void trail.push(`after:${name}`),
    });
    const runner = new HookRunner([plugin('c', 200), plugin('a'), plugin('b'), plugin('first', 1)]);
    expect(runner.pluginNames).toEqual(['first', 'a', 'b', 'c']);
    await runner.beforeMessage(draft, sender);
    runner.emit(stored());
    await waitFor(() => trail.length === 8, { what: 'after hooks' });
    expect(trail).toEqual([
      'before:first',
      'before:a',
      'before:b',
      'before:c',
      'after:first',
      'after:a',
      'after:b',
      'after:c',
    ]);
  });

  it('delivers events to after hooks in emit order, each with its payload', async () => {
    const seen: string[] = [];
    const runner = new HookRunner([
      {
        name: 'p',
        afterMessageStored: (m) => void seen.push(`stored:${m.id}`),
        afterUserOnline: (e) => void seen.push(`online:${e.username}@${e.nodeId}`),
        afterRoomJoined: (e) => void seen.push(`joined:${e.username}>${e.room}`),
        afterMessageDelivered: (e) => void seen.push(`delivered:${e.message.id}>${e.to}`),
      },
    ]);
    runner.emit(stored({ ...message, id: 'x1' }));
    runner.emit({ type: 'userOnline', username: 'bob', alliance: '', nodeId: 'n1', at: 5, loginAt: 5 });
    runner.emit({ type: 'roomJoined', room: 'lobby', username: 'bob' });
    runner.emit({ type: 'messageDelivered', message: { ...message, id: 'x2' }, to: 'bob', nodeId: 'n1' });
    runner.emit({ type: 'userOffline', username: 'bob', alliance: '', nodeId: 'n1', at: 9, loginAt: 5 });
    await waitFor(() => seen.length === 4, { what: 'four events' });
    expect(seen).toEqual(['stored:x1', 'online:bob@n1', 'joined:bob>lobby', 'delivered:x2>bob']);
  });
});

describe('HookRunner: before hooks', () => {
  it('lets a hook rewrite the text for the next hooks and the caller, and nothing else', async () => {
    const seenByB: string[] = [];
    const runner = new HookRunner([
      { name: 'upper', beforeMessage: async (d) => ({ ...d, text: d.text.toUpperCase(), to: 'mallory' }) },
      { name: 'b', beforeMessage: (d) => void seenByB.push(d.text) },
      { name: 'keep', beforeMessage: async () => undefined },
    ]);
    const out = await runner.beforeMessage(draft, sender);
    expect(seenByB).toEqual(['HI']);
    expect(out).toEqual({ ...draft, text: 'HI' });
    expect(draft.text).toBe('hi');
  });

  it('refuses with the code, reason and message of a PluginRejection and skips later hooks', async () => {
    const later = jest.fn();
    const runner = new HookRunner([
      {
        name: 'guard',
        beforeMessage: async () => {
          throw new PluginRejection(403, 'LINK_NOT_ALLOWED', 'No links yet.');
        },
      },
      { name: 'later', priority: 500, beforeMessage: later },
    ]);
    const err = await runner.beforeMessage(draft, sender).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginRejection);
    expect(err).toBeInstanceOf(ChatError);
    expect(toErrorReply(err)).toEqual({ code: 403, reason: 'LINK_NOT_ALLOWED', message: 'No links yet.' });
    expect(later).not.toHaveBeenCalled();
    expect(runner.stats()[0]).toMatchObject({ plugin: 'guard', calls: 1, rejections: 1, failures: 0 });
  });

  it('takes a synchronous throw and a look-alike rejection from a bundled copy of the class', async () => {
    class PluginRejectionCopy extends Error {
      override name = 'PluginRejection';
      constructor(
        readonly code: number,
        readonly reason: string,
        message: string,
      ) {
        super(message);
      }
    }
    const runner = new HookRunner([
      {
        name: 'copy',
        beforeJoin: () => {
          throw new PluginRejectionCopy(403, 'ROOM_CLOSED', 'The room is closed.');
        },
      },
    ]);
    const err = await runner.beforeJoin({ room: 'r', user: sender }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginRejection);
    expect(toErrorReply(err)).toEqual({ code: 403, reason: 'ROOM_CLOSED', message: 'The room is closed.' });
  });

  it('goes ahead when a hook fails otherwise (fail-open), logging the plugin name', async () => {
    const { logger, lines } = capture();
    const runner = new HookRunner(
      [
        {
          name: 'broken',
          beforeMessage: async () => {
            throw new Error('database down');
          },
        },
        { name: 'sync-broken', beforeMessage: () => JSON.parse('{') as MessageDraft },
        { name: 'bad-return', beforeMessage: async () => ({ text: 42 }) as unknown as MessageDraft },
        { name: 'rewrite', beforeMessage: async (d) => ({ ...d, text: `${d.text}!` }) },
      ],
      { logger },
    );
    await expect(runner.beforeMessage(draft, sender)).resolves.toEqual({ ...draft, text: 'hi!' });
    const failures = lines.filter((l) => l.msg.startsWith('plugin hook failed'));
    expect(failures.map((l) => l.plugin)).toEqual(['broken', 'sync-broken', 'bad-return']);
    expect(failures.every((l) => l.hook === 'beforeMessage' && l.level === 40)).toBe(true);
    expect(runner.stats().map((s) => s.failures)).toEqual([1, 1, 1, 0]);
  });

  it('bounds a hanging before hook and goes ahead without it; a late rejection is ignored', async () => {
    const { logger, lines } = capture();
    let lateReject: ((e: unknown) => void) | undefined;
    const runner = new HookRunner(
      [
        {
          name: 'slow',
          beforeMessage: () =>
            new Promise<void>((_, reject) => {
              lateReject = reject;
            }),
        },
        { name: 'hang', beforeJoin: never },
        { name: 'next', beforeMessage: async (d) => ({ ...d, text: 'after slow' }) },
      ],
      { logger, beforeTimeoutMs: 30 },
    );
    await expect(runner.beforeMessage(draft, sender)).resolves.toMatchObject({ text: 'after slow' });
    await expect(runner.beforeJoin({ room: 'r', user: sender })).resolves.toBeUndefined();
    lateReject?.(new PluginRejection(403, 'LATE', 'too late'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(runner.stats().map((s) => [s.plugin, s.timeouts, s.rejections])).toEqual([
      ['slow', 1, 0],
      ['hang', 1, 0],
      ['next', 0, 0],
    ]);
    expect(lines.filter((l) => l.msg.includes('timed out')).map((l) => l.plugin)).toEqual(['slow', 'hang']);
  });
});

describe('HookRunner: after hooks', () => {
  it('never runs hooks on the caller path, and a throwing or hanging hook stops neither the others nor itself', async () => {
    const { logger, lines } = capture();
    const calls = { throws: 0, hangs: 0, good: [] as string[] };
    const runner = new HookRunner(
      [
        {
          name: 'throws',
          afterMessageStored: () => {
            calls.throws++;
            throw new Error('boom');
          },
        },
        {
          name: 'hangs',
          afterMessageStored: () => {
            calls.hangs++;
            return never();
          },
        },
        {
          name: 'rejects',
          afterMessageStored: async () => {
            throw new Error('async boom');
          },
        },
        { name: 'good', priority: 1000, afterMessageStored: (m) => void calls.good.push(m.id) },
      ],
      { logger, afterTimeoutMs: 40 },
    );
    for (let i = 0; i < 5; i++) expect(() => runner.emit(stored({ ...message, id: `m${i}` }))).not.toThrow();
    // emit() only queues: nothing ran yet.
    expect(calls).toEqual({ throws: 0, hangs: 0, good: [] });
    await waitFor(() => calls.good.length === 5, { what: 'the good hook to see every event' });
    expect(calls.good).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(calls.throws).toBe(5);
    expect(calls.hangs).toBe(5);
    await waitFor(() => runner.stats()[1]?.timeouts === 5, { what: 'the hanging calls to be abandoned' });
    expect(runner.pendingCalls).toBe(0);
    // The hanging plugin's next calls still run.
    runner.emit(stored({ ...message, id: 'm5' }));
    await waitFor(() => calls.hangs === 6 && calls.good.length === 6, { what: 'the next event' });
    const byPlugin = Object.fromEntries(runner.stats().map((s) => [s.plugin, s]));
    expect(byPlugin.throws).toMatchObject({ calls: 6, failures: 6 });
    expect(byPlugin.rejects).toMatchObject({ calls: 6 });
    await waitFor(() => runner.stats()[2]?.failures === 6, { what: 'the async failures to be counted' });
    expect(byPlugin.good).toMatchObject({ calls: 6, failures: 0, timeouts: 0 });
    // Logged with the plugin name, throttled to one line per plugin and problem.
    const warned = lines.filter((l) => l.level === 40).map((l) => `${l.plugin}:${l.msg}`);
    expect(warned).toContain('throws:plugin hook failed; going ahead without it');
    expect(warned).toContain('rejects:plugin hook failed; going ahead without it');
    expect(warned).toContain('hangs:after hook did not finish in time; abandoned');
    expect(warned.filter((w) => w.startsWith('throws:'))).toHaveLength(1);
  });

  it('skips calls to a plugin with too many unfinished calls, and counts them', async () => {
    let hanging = 0;
    const runner = new HookRunner([{ name: 'slow', afterRoomLeft: () => (hanging++, never()) }], {
      maxPendingCalls: 3,
      afterTimeoutMs: 60_000,
    });
    for (let i = 0; i < 5; i++) runner.emit({ type: 'roomLeft', room: 'r', username: `u${i}` });
    await waitFor(() => runner.stats()[0]!.skipped === 2, { what: 'two skipped calls' });
    expect(hanging).toBe(3);
    expect(runner.pendingCalls).toBe(3);
    await runner.close();
  });

  it('exposes the counters as prometheus metrics', async () => {
    const registry = new Registry();
    const runner = new HookRunner([
      { name: 'p', afterMessageStored: () => undefined },
      {
        name: 'q',
        beforeMessage: async () => {
          throw new PluginRejection(403, 'NO', 'no');
        },
      },
    ]);
    registerHookMetrics(runner, registry);
    runner.emit(stored());
    await runner.beforeMessage(draft, sender).catch(() => undefined);
    await waitFor(() => runner.stats()[0]!.calls === 1, { what: 'the after hook' });
    const text = await registry.metrics();
    expect(text).toContain('chat_plugin_calls_total{plugin="p"} 1');
    expect(text).toContain('chat_plugin_rejections_total{plugin="q"} 1');
  });
});

describe('HookRunner: fast path and close', () => {
  it('empty(): no hooks, no scheduling, before hooks are pass-through', async () => {
    const spy = jest.spyOn(global, 'setImmediate');
    try {
      const runner = HookRunner.empty();
      expect(runner.isEmpty).toBe(true);
      expect(runner.hasBeforeMessage).toBe(false);
      expect(runner.hasBeforeJoin).toBe(false);
      expect(runner.wants('messageStored')).toBe(false);
      runner.emit(stored());
      expect(spy).not.toHaveBeenCalled();
      await expect(runner.beforeMessage(draft, sender)).resolves.toBe(draft);
    } finally {
      spy.mockRestore();
    }
  });

  it('schedules nothing for events no plugin listens to', () => {
    const runner = new HookRunner([{ name: 'only-before', beforeMessage: async () => undefined }]);
    const spy = jest.spyOn(global, 'setImmediate');
    try {
      expect(runner.hasBeforeMessage).toBe(true);
      expect(runner.wants('messageDelivered')).toBe(false);
      runner.emit({ type: 'messageDelivered', message, to: 'bob', nodeId: 'n1' });
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('hands events emitted before close() to the plugins before closing them', async () => {
    const trail: string[] = [];
    const runner = new HookRunner([
      { name: 'p', afterMessageStored: (m) => void trail.push(m.id), close: () => void trail.push('closed') },
    ]);
    runner.emit(stored({ ...message, id: 'last' }));
    await runner.close();
    expect(trail).toEqual(['last', 'closed']);
  });

  it('closes plugins in reverse order, bounded, and emits nothing afterwards', async () => {
    const trail: string[] = [];
    const after = jest.fn();
    const runner = new HookRunner(
      [
        { name: 'a', close: () => void trail.push('a'), afterRoomJoined: after },
        { name: 'stuck', close: never },
        {
          name: 'c',
          close: async () => {
            trail.push('c');
            throw new Error('close failed');
          },
        },
      ],
      { closeTimeoutMs: 30 },
    );
    await runner.close();
    await runner.close();
    expect(trail).toEqual(['c', 'a']);
    runner.emit({ type: 'roomJoined', room: 'r', username: 'u' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(after).not.toHaveBeenCalled();
  });
});

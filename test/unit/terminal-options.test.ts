import { isBatch, parseArguments } from '../../src/client/terminal/options';
import type { TerminalOptions } from '../../src/client/terminal/options';

function parse(
  argv: string[],
  env: Record<string, string> = {},
): { options?: TerminalOptions; code?: number; out: string } {
  let out = '';
  const write = (text: string): void => {
    out += text;
  };
  const parsed = parseArguments(argv, env, { writeOut: write, writeErr: write });
  return parsed.kind === 'run' ? { options: parsed.options, out } : { code: parsed.code, out };
}

describe('terminal client flags', () => {
  it('defaults to the local gateway and interactive use', () => {
    const { options } = parse([]);
    expect(options).toMatchObject({
      gateway: 'http://127.0.0.1:8080',
      json: false,
      send: [],
      reconnectTimeoutS: 60,
      color: true,
    });
    expect(options?.user).toBeUndefined();
    expect(options?.password).toBeUndefined();
    expect(isBatch(options as TerminalOptions, true)).toBe(false);
    expect(isBatch(options as TerminalOptions, false)).toBe(true);
  });

  it('takes the gateway and the password from the environment', () => {
    const { options } = parse(['--user', 'user1'], {
      GATEWAY_URL: 'http://10.0.0.1:8080',
      CHAT_PASSWORD: 's3cret',
    });
    expect(options).toMatchObject({ gateway: 'http://10.0.0.1:8080', user: 'user1', password: 's3cret' });
    expect(parse(['--password', 'flag'], { CHAT_PASSWORD: 'env' }).options?.password).toBe('flag');
  });

  it('collects --send lines in order and reads --listen / --expect', () => {
    const { options } = parse([
      '--send',
      '/join room1',
      '--send',
      '/room room1 hi',
      '--listen',
      '2.5',
      '--expect',
      '3',
      '--json',
    ]);
    expect(options).toMatchObject({
      send: ['/join room1', '/room room1 hi'],
      listenS: 2.5,
      expect: 3,
      json: true,
    });
    expect(isBatch(options as TerminalOptions, true)).toBe(true);
  });

  it('rejects bad values with the usage exit code', () => {
    expect(parse(['--listen', 'soon']).code).toBe(2);
    expect(parse(['--expect', '0']).code).toBe(2);
    expect(parse(['--gateway', 'ftp://x']).code).toBe(2);
    expect(parse(['--bogus']).code).toBe(2);
    expect(parse(['extra']).code).toBe(2);
  });

  it('documents the exit codes in --help and exits 0', () => {
    const { code, out } = parse(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('Exit codes:');
    expect(out).toContain('--expect');
    expect(out).toContain('CHAT_PASSWORD');
  });
});

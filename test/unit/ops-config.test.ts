import { ConfigError } from '../../src/config/env-reader';
import { loadGatewayConfig } from '../../src/config/gateway';
import { loadNodeConfig } from '../../src/config/node';

function problems(env: Record<string, string>): string[] {
  try {
    loadNodeConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('metrics and console configuration', () => {
  it('leaves the metrics endpoint and the console off by default, on loopback when on', () => {
    const config = loadNodeConfig({});
    expect(config.metrics).toEqual({ host: '127.0.0.1', port: undefined });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: undefined, token: undefined, tls: false });
    expect(loadGatewayConfig({ METRICS_PORT: '9280' }).metrics).toEqual({ host: '127.0.0.1', port: 9280 });
  });

  it('opens the console with a token or with TLS (the admin certificate)', () => {
    const token = 'a-long-enough-token';
    expect(loadNodeConfig({ ADMIN_PORT: '9301', ADMIN_TOKEN: token }).admin).toEqual({
      host: '127.0.0.1',
      port: 9301,
      token,
      tls: false,
    });
    expect(loadNodeConfig({ ADMIN_PORT: '0', ADMIN_TLS: 'true' }).admin.tls).toBe(true);
  });

  it('refuses a console nobody protects, and a short token', () => {
    expect(problems({ ADMIN_PORT: '9301' })).toEqual([
      'ADMIN_PORT is set but neither ADMIN_TOKEN nor ADMIN_TLS=true protects the console.',
    ]);
    expect(problems({ ADMIN_PORT: '9301', ADMIN_TOKEN: 'short' })).toEqual([
      'ADMIN_TOKEN must be at least 16 characters long.',
    ]);
  });
});

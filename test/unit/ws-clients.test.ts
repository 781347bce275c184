import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError, pickServer } from '../../src/client/gateway-client';
import { useScope } from '../support/scope';

const scope = useScope();

/** A gateway stand-in on a free loopback port answering `GET /servers` with what the test says. */
async function fakeGateway(status: number, body: string): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/servers') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scope.defer(() => new Promise((resolve) => server.close(resolve)), 'fake gateway');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected pickServer to fail');
}

describe('pickServer', () => {
  it('returns the node the gateway hands out', async () => {
    const url = await fakeGateway(
      200,
      JSON.stringify({ nodeId: 'n1', url: 'ws://127.0.0.1:9001', extra: 1 }),
    );
    await expect(pickServer(url)).resolves.toEqual({ nodeId: 'n1', url: 'ws://127.0.0.1:9001' });
    await expect(pickServer(`${url}/`)).resolves.toMatchObject({ nodeId: 'n1' });
  });

  it('says that no chat node is up on 503', async () => {
    const body = { error: { code: 503, reason: 'NO_NODE', message: 'No chat node is available right now.' } };
    const url = await fakeGateway(503, JSON.stringify(body));
    const err = await failure(pickServer(url));
    expect([err.status, err.reason]).toEqual([503, 'NO_NODE']);
    expect(err.message).toMatch(/no chat node is up/i);
    expect(err.message).toContain('No chat node is available right now.');
  });

  it('passes on a gateway that cannot read its server list', async () => {
    const body = { error: { code: 503, reason: 'DIRECTORY_UNAVAILABLE', message: 'Redis is unreachable.' } };
    const err = await failure(pickServer(await fakeGateway(503, JSON.stringify(body))));
    expect(err.reason).toBe('DIRECTORY_UNAVAILABLE');
    expect(err.message).toContain('answered 503 (Redis is unreachable.)');
  });

  it('reports other statuses, bad bodies and unreachable gateways clearly', async () => {
    const broken = await fakeGateway(500, 'oops');
    expect((await failure(pickServer(broken))).message).toContain('answered 500 (oops)');
    const notJson = await fakeGateway(200, '<html>');
    expect((await failure(pickServer(notJson))).message).toContain('not JSON');
    const wrongShape = await fakeGateway(200, JSON.stringify({ nodeId: 'n1', url: 'http://x' }));
    expect((await failure(pickServer(wrongShape))).message).toContain('{nodeId, url}');
    // A port that was just free: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    expect((await failure(pickServer(`http://127.0.0.1:${port}`))).message).toMatch(
      /Cannot reach the gateway/,
    );
    expect((await failure(pickServer('not a url'))).message).toContain('not a valid gateway URL');
  });
});

import net from 'node:net';
import tls from 'node:tls';
import zookeeper from 'node-zookeeper-client';

/** How a probe reaches a server that wants a password or TLS. */
export interface ProbeAccess {
  username?: string;
  password?: string;
  /** CA (PEM) of a TLS server; set = connect with TLS. */
  tlsCa?: string | Buffer;
}

/**
 * Sends `request` over a fresh TCP connection and collects the reply until
 * `done(reply)` says it is complete or the server closes the connection.
 */
export function tcpExchange(
  host: string,
  port: number,
  request: string,
  options: { timeoutMs: number; done?: (reply: string) => boolean; tlsCa?: string | Buffer },
): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    let settled = false;
    const socket =
      options.tlsCa === undefined
        ? net.connect({ host, port })
        : tls.connect({ host, port, ca: options.tlsCa, servername: net.isIP(host) ? '' : host });
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(reply);
    };
    socket.setTimeout(options.timeoutMs, () =>
      finish(new Error(`no answer from ${host}:${port} within ${options.timeoutMs} ms`)),
    );
    socket.once(options.tlsCa === undefined ? 'connect' : 'secureConnect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (options.done?.(reply)) finish();
    });
    socket.once('end', () => finish());
    socket.once('error', (error) => finish(error));
  });
}

/** True once Redis answers PING with PONG (not e.g. -LOADING while it reads its data). */
export async function redisPing(
  host: string,
  port: number,
  timeoutMs = 1000,
  access: ProbeAccess = {},
): Promise<boolean> {
  const auth =
    access.password === undefined
      ? ''
      : resp(
          access.username === undefined
            ? ['AUTH', access.password]
            : ['AUTH', access.username, access.password],
        );
  const reply = await tcpExchange(host, port, `${auth}PING\r\n`, {
    timeoutMs,
    tlsCa: access.tlsCa,
    done: (r) => r.split('\r\n').length > (auth ? 2 : 1),
  });
  return reply.split('\r\n').at(auth ? 1 : 0) === '+PONG';
}

/** One command in RESP, so that a password with spaces or quotes travels as it is. */
function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** A ZooKeeper four-letter-word command (must be in 4lw.commands.whitelist). */
export function zkFourLetterWord(
  host: string,
  port: number,
  word: string,
  timeoutMs = 1000,
): Promise<string> {
  return tcpExchange(host, port, word, { timeoutMs });
}

/** Opens a real client session and closes it: `ruok` alone does not prove sessions work. */
export function zkSessionCheck(hosts: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(hosts, { sessionTimeout: 4000, spinDelay: 100, retries: 0 });
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`no ZooKeeper session established with ${hosts} within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      client.close();
      resolve();
    });
    client.connect();
  });
}

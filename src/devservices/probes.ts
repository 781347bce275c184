import net from 'node:net';
import zookeeper from 'node-zookeeper-client';

/**
 * Sends `request` over a fresh TCP connection and collects the reply until
 * `done(reply)` says it is complete or the server closes the connection.
 */
export function tcpExchange(
  host: string,
  port: number,
  request: string,
  options: { timeoutMs: number; done?: (reply: string) => boolean },
): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    let settled = false;
    const socket = net.connect({ host, port });
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
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (options.done?.(reply)) finish();
    });
    socket.once('end', () => finish());
    socket.once('error', (error) => finish(error));
  });
}

/** True once Redis answers PING with PONG (not e.g. -LOADING while it reads its data). */
export async function redisPing(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const reply = await tcpExchange(host, port, 'PING\r\n', {
    timeoutMs,
    done: (r) => r.includes('\r\n'),
  });
  return reply.startsWith('+PONG');
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

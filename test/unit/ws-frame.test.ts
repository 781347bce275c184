import WebSocket from 'ws';
import { dataFrame } from '../../src/ws/frame';

/** Feeds frames to ws's own parser, as a client's WebSocket would. */
function parse(frame: Buffer): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve, reject) => {
    // ws exports its frame parser without typings; a client-side one reads unmasked server frames.
    const { Receiver } = WebSocket as unknown as {
      Receiver: new (options: { isServer: boolean }) => NodeJS.WritableStream & {
        on(event: 'message', listener: (data: Buffer, binary: boolean) => void): void;
        on(event: 'error', listener: (err: Error) => void): void;
      };
    };
    const receiver = new Receiver({ isServer: false });
    receiver.on('message', (data: Buffer, binary: boolean) => resolve({ data, binary }));
    receiver.on('error', reject);
    receiver.write(frame);
  });
}

describe('dataFrame', () => {
  it.each([0, 1, 125, 126, 127, 65535, 65536, 200_000])(
    'frames %i bytes the way ws reads them',
    async (n) => {
      const payload = Buffer.alloc(n, 7);
      const { data, binary } = await parse(dataFrame(payload));
      expect(binary).toBe(true);
      expect(Buffer.compare(data, payload)).toBe(0);
    },
  );

  it('frames text as a text frame, UTF-8 encoded', async () => {
    const { data, binary } = await parse(dataFrame('héllo 世界'));
    expect(binary).toBe(false);
    expect(data.toString('utf8')).toBe('héllo 世界');
  });
});

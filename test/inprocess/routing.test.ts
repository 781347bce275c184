/**
 * Routing and membership on three ChatNodes in this process (in-memory
 * ports, no sockets, no servers): direct messages, rooms, kicks, retries.
 */
import type { PeerFrame } from '../../gen/chat/v1/cluster';
import { CloseCode } from '../../src/protocol/close-codes';
import { MemoryCluster } from '../support/memory-cluster';

describe('a three-node cluster in one process', () => {
  let cluster: MemoryCluster;
  let leader: string;
  let f1: string;
  let f2: string;

  beforeEach(async () => {
    cluster = await MemoryCluster.start();
    ({ leaderId: leader } = await cluster.waitForLeader());
    [f1, f2] = (await cluster.followers()) as [string, string];
    for (const name of ['amy', 'bo', 'cy', 'di', 'ed'])
      await cluster.createUser(name, name === 'ed' ? 'wolves' : '');
  });
  afterEach(() => cluster.stop());

  /** Holds the session events `from` sends to `to` until released; restore() ends the holding. */
  function holdSessionEvents(from: string, to: string): { release(): void; restore(): void } {
    const held: Array<[string, PeerFrame]> = [];
    const link = cluster.node(from).transport;
    const send = link.send.bind(link);
    link.send = (target, frame) => {
      if (target !== to || frame.body?.$case !== 'sessionEvent') return send(target, frame);
      held.push([target, frame]);
      return true;
    };
    return {
      release: () => {
        for (const [target, late] of held.splice(0)) send(target, late);
      },
      restore: () => {
        link.send = send;
      },
    };
  }

  it('delivers direct messages on one node, across nodes both ways, and through the leader', async () => {
    const amy = await cluster.login(f1, 'amy');
    const bo = await cluster.login(f2, 'bo');
    const cy = await cluster.login(leader, 'cy');
    const di = await cluster.login(f1, 'di');
    const cases = [
      [amy, 'di', di],
      [amy, 'bo', bo],
      [bo, 'amy', amy],
      [cy, 'bo', bo],
      [bo, 'cy', cy],
    ] as const;
    for (const [from, to, receiver] of cases) {
      const ack = await from.sendDirect(to, `hi ${to}`);
      expect(ack.delivered).toBe(true);
      const got = await receiver.waitForMessage((m) => m.id === ack.id);
      expect(got).toMatchObject({ to, text: `hi ${to}`, seq: ack.seq, conversation: ack.conversation });
    }
  });

  it('answers 404 for an offline or unknown recipient, and stores the offline one', async () => {
    const amy = await cluster.login(f1, 'amy');
    await expect(amy.sendDirect('bo', 'are you there?')).rejects.toMatchObject({ reason: 'USER_OFFLINE' });
    await expect(amy.sendDirect('nobody', 'hello?')).rejects.toMatchObject({ reason: 'UNKNOWN_USER' });
    const bo = await cluster.login(f2, 'bo');
    const page = await bo.history({ peer: 'amy' });
    expect(page.messages.map((m) => m.text)).toEqual(['are you there?']);
  });

  it('lists what arrived while a user was offline in LoginOk.missed', async () => {
    const amy = await cluster.login(f1, 'amy');
    await expect(amy.sendDirect('bo', 'while you were away')).rejects.toMatchObject({
      reason: 'USER_OFFLINE',
    });
    const bo = cluster.connect(f2);
    const ok = await bo.login('bo', 'pw-memory-1');
    expect(ok.missed).toEqual([{ conversation: 'dm:amy|bo', afterSeq: 0 }]);
  });

  it('fans a room message out to its members on every node, and to nobody else', async () => {
    const amy = await cluster.login(f1, 'amy');
    const bo = await cluster.login(f2, 'bo');
    const cy = await cluster.login(leader, 'cy');
    const di = await cluster.login(f2, 'di');
    await amy.createRoom('lobby');
    await bo.joinRoom('lobby');
    await cy.joinRoom('lobby');
    const ack = await amy.sendRoom('lobby', 'hello room');
    await Promise.all([bo, cy].map((c) => c.waitForMessage((m) => m.id === ack.id)));
    await bo.leaveRoom('lobby');
    const after = await cy.sendRoom('lobby', 'after bo left');
    await amy.waitForMessage((m) => m.id === after.id);
    // A world message from the leader follows `after` on the same link to bo's node: once bo has
    // it, whatever the leader sent that node for `after` has arrived too.
    const marker = await cy.sendChannel('world', 'marker');
    await Promise.all([bo, di].map((c) => c.waitForMessage((m) => m.id === marker.id)));
    expect(bo.received().map((m) => m.text)).toEqual(['hello room', 'marker']);
    expect(di.received().map((m) => m.text)).toEqual(['marker']);
    await expect(di.sendRoom('lobby', 'let me in')).rejects.toMatchObject({ reason: 'NOT_A_MEMBER' });
  });

  it('sends world and alliance messages to every matching session, once per node', async () => {
    const amy = await cluster.login(f1, 'amy');
    const bo = await cluster.login(f2, 'bo');
    const ed = await cluster.login(leader, 'ed');
    const world = await amy.sendChannel('world', 'to everyone');
    await Promise.all([amy, bo, ed].map((c) => c.waitForMessage((m) => m.id === world.id)));
    const pack = await ed.sendChannel('alliance', 'wolves only');
    await ed.waitForMessage((m) => m.id === pack.id);
    await amy.sendChannel('world', 'marker');
    await bo.waitForMessage((m) => m.text === 'marker');
    expect(bo.received().map((m) => m.text)).toEqual(['to everyone', 'marker']);
  });

  it('replaces an older login, on the same node and on another one', async () => {
    const first = await cluster.login(f1, 'amy');
    const second = await cluster.login(f1, 'amy');
    expect(await first.waitClosed()).toMatchObject({ code: CloseCode.REPLACED });
    const third = await cluster.login(f2, 'amy');
    expect(await second.waitClosed()).toMatchObject({ code: CloseCode.REPLACED });
    const bo = await cluster.login(leader, 'bo');
    const ack = await bo.sendDirect('amy', 'where are you?');
    await third.waitForMessage((m) => m.id === ack.id);
  });

  it('closes an older login when a newer one is announced, even if the kick never comes', async () => {
    const first = await cluster.login(f1, 'amy');
    // As when the kick came from the node that lost a race of two logins, and f1 refused it.
    const transport = cluster.node(f2).transport;
    const send = transport.send.bind(transport);
    transport.send = (to, frame) => frame.body?.$case === 'kick' || send(to, frame);
    const second = await cluster.login(f2, 'amy');
    expect(await first.waitClosed()).toMatchObject({ code: CloseCode.REPLACED });
    transport.send = send;
    const bo = await cluster.login(leader, 'bo');
    const ack = await bo.sendDirect('amy', 'still here?');
    await second.waitForMessage((m) => m.id === ack.id);
  });

  it('pushes a direct message again where its recipient logged in while it was on its way', async () => {
    const amy = await cluster.login(f1, 'amy');
    const previous = await cluster.login(f2, 'bo');
    // f1 hears of bo's new login on the leader only once f2 has answered that bo is not there
    // (and f2's word that the old session ended comes later still).
    const fromLeader = holdSessionEvents(leader, f1);
    const f2Link = cluster.node(f2).transport;
    const f2Send = f2Link.send.bind(f2Link);
    f2Link.send = (to, frame) => {
      if (to === f1 && frame.body?.$case === 'sessionEvent') return true;
      if (to === f1 && frame.body?.$case === 'deliverConfirm') fromLeader.release();
      return f2Send(to, frame);
    };
    const bo = await cluster.login(leader, 'bo');
    await previous.waitClosed();
    const ack = await amy.sendDirect('bo', 'found you');
    fromLeader.restore();
    f2Link.send = f2Send;
    expect(ack.delivered).toBe(true);
    await bo.waitForMessage((m) => m.id === ack.id);
  });

  it('pushes a direct message to its recipient’s login announced only after the push found nobody', async () => {
    const amy = await cluster.login(f1, 'amy');
    const previous = await cluster.login(f2, 'bo');
    // f1 hears of bo's new login on the leader only after f2 has answered that bo is not there
    // and amy has her answer (and f2's word that the old session ended never comes).
    const fromLeader = holdSessionEvents(leader, f1);
    const f2Link = cluster.node(f2).transport;
    const f2Send = f2Link.send.bind(f2Link);
    f2Link.send = (to, frame) => (to === f1 && frame.body?.$case === 'sessionEvent') || f2Send(to, frame);
    const bo = await cluster.login(leader, 'bo');
    await previous.waitClosed();
    const ack = await amy.sendDirect('bo', 'catch up');
    expect(ack.delivered).toBe(false);
    fromLeader.restore();
    f2Link.send = f2Send;
    fromLeader.release();
    await bo.waitForMessage((m) => m.id === ack.id);
  });

  it('stores a retried send once and acknowledges it the same way', async () => {
    const amy = await cluster.login(f1, 'amy');
    await cluster.login(f2, 'bo');
    const first = await amy.sendDirect('bo', 'once', 'key-1');
    const again = await amy.sendDirect('bo', 'once (retry)', 'key-1');
    expect(again).toMatchObject({ id: first.id, seq: first.seq });
    await amy.createRoom('r');
    const room1 = await amy.sendRoom('r', 'once', 'key-2');
    const room2 = await amy.sendRoom('r', 'once', 'key-2');
    expect(room2).toMatchObject({ id: room1.id, seq: room1.seq });
    expect((await amy.history({ peer: 'bo' })).messages.map((m) => m.text)).toEqual(['once']);
  });

  it('keeps a pipelined sender’s messages in order', async () => {
    const amy = await cluster.login(f1, 'amy');
    const bo = await cluster.login(f2, 'bo');
    const texts = Array.from({ length: 16 }, (_, i) => `#${i}`);
    const acks = await Promise.all(texts.map((t) => amy.sendDirect('bo', t)));
    expect(acks.map((a) => a.seq)).toEqual(texts.map((_, i) => i + 1));
    await bo.waitForMessage((m) => m.id === acks[15]?.id);
    expect(bo.received().map((m) => m.text)).toEqual(texts);
  });

  it('routes a direct message through the leader while the link between two followers is cut', async () => {
    const amy = await cluster.login(f1, 'amy');
    const bo = await cluster.login(f2, 'bo');
    cluster.bus.cut(f1, f2);
    const ack = await amy.sendDirect('bo', 'around the cut');
    expect(ack.delivered).toBe(true);
    await bo.waitForMessage((m) => m.id === ack.id);
    cluster.bus.heal(f1, f2);
  });

  it('refuses operations past a room’s queue bound with 503 ROOM_BUSY', async () => {
    await cluster.stop();
    cluster = await MemoryCluster.start({ env: { ROOM_QUEUE_MAX: '2' } });
    ({ leaderId: leader } = await cluster.waitForLeader());
    for (const name of ['amy', 'bo', 'cy', 'di']) await cluster.createUser(name);
    const amy = await cluster.login(leader, 'amy');
    await amy.createRoom('busy');
    // Joins hold the room until the store has them: keep the store from answering.
    const rooms = cluster.shared.store.rooms;
    const addMember = rooms.addMember.bind(rooms);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    rooms.addMember = async (room, user) => {
      await gate;
      return addMember(room, user);
    };
    const joins = await Promise.all(['bo', 'cy', 'di'].map((u) => cluster.login(leader, u)));
    const results = joins.map((c) =>
      c.joinRoom('busy').then(
        () => 'joined',
        (e: { reason?: string }) => e.reason,
      ),
    );
    const third = await results[2];
    expect(third).toBe('ROOM_BUSY');
    open();
    expect(await Promise.all(results.slice(0, 2))).toEqual(['joined', 'joined']);
  });
});

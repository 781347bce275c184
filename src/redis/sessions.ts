import type { Claim, GlobalSession, SessionDirectory } from '../chat/ports';
import type { RedisKeys } from '../core/names';
import type { RedisClient } from './connect';

// Atomic swap: the caller learns which session it replaced, even when two
// nodes log the same user in at the same moment; the stored login time is
// later than the replaced one's (SessionDirectory.claim). ARGV[3] is the
// proposed loginAt as a string: cjson would print a millisecond time in
// exponent form.
const CLAIM = `local old = redis.call('HGET', KEYS[1], ARGV[1])
local at = tonumber(ARGV[3])
if old then
  local prev = tonumber(cjson.decode(old).loginAt)
  if prev and prev >= at then at = prev + 1 end
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('{"nodeId":%s,"loginAt":%d,"sid":%s}', cjson.encode(ARGV[2]), at, cjson.encode(ARGV[4])))
return {old or false, string.format('%d', at)}`;

// Compare-and-delete: a disconnect must not remove a newer login's session.
const RELEASE = `local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
if cjson.decode(v).sid == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  return 1
end
return 0`;

// Set-if-absent that reports the holder: a login made after the loss wins over a restored one.
const RESTORE = `local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then return old end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return false`;

const RELEASE_NODE = `local all = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1]).nodeId == ARGV[1] then redis.call('HDEL', KEYS[1], all[i]) n = n + 1 end
end
return n`;

export class RedisSessionDirectory implements SessionDirectory {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async claim(username: string, session: GlobalSession): Promise<Claim> {
    const [old, loginAt] = (await this.redis.eval(
      CLAIM,
      1,
      this.keys.sessions(),
      username,
      session.nodeId,
      String(session.loginAt),
      session.sid,
    )) as [string | null, string];
    return { replaced: old ? parse(old) : null, loginAt: Number(loginAt) };
  }

  async get(username: string): Promise<GlobalSession | null> {
    const raw = await this.redis.hget(this.keys.sessions(), username);
    return raw ? parse(raw) : null;
  }

  async release(username: string, sid: string, at: number): Promise<boolean> {
    const released = await this.redis.eval(
      RELEASE,
      2,
      this.keys.sessions(),
      this.keys.lastSeen(),
      username,
      sid,
      String(at),
    );
    return released === 1;
  }

  async lastSeen(username: string): Promise<number | null> {
    const raw = await this.redis.hget(this.keys.lastSeen(), username);
    return raw === null ? null : Number(raw);
  }

  async all(): Promise<Map<string, GlobalSession>> {
    const raw = await this.redis.hgetall(this.keys.sessions());
    return new Map(Object.entries(raw).map(([user, json]) => [user, parse(json)]));
  }

  async restore(username: string, session: GlobalSession): Promise<GlobalSession | null> {
    const held = (await this.redis.eval(
      RESTORE,
      1,
      this.keys.sessions(),
      username,
      JSON.stringify(session),
    )) as string | null;
    if (!held) return null;
    const holder = parse(held);
    return holder.sid === session.sid ? null : holder;
  }

  async releaseNode(nodeId: string): Promise<number> {
    return (await this.redis.eval(RELEASE_NODE, 1, this.keys.sessions(), nodeId)) as number;
  }
}

function parse(json: string): GlobalSession {
  const value = JSON.parse(json) as Partial<GlobalSession>;
  return {
    nodeId: String(value.nodeId ?? ''),
    loginAt: Number(value.loginAt ?? 0),
    sid: String(value.sid ?? ''),
  };
}

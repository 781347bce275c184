import { NotFound } from '../core/errors';
import type { UserStore } from '../store/types';
import type { DirectChat } from './direct';

export interface UserInfoView {
  username: string;
  alliance: string;
  online: boolean;
  nodeId: string;
  loginAt: number;
  onlineMs: number;
}

/** Whether a user is online, where, and since when. */
export class UserInfoService {
  constructor(private readonly deps: { users: UserStore; direct: DirectChat; now?: () => number }) {}

  async get(username: string): Promise<UserInfoView> {
    const [user, where] = await Promise.all([
      this.deps.users.find(username),
      this.deps.direct.locate(username),
    ]);
    if (!user) throw new NotFound(`There is no user named ${username}.`, 'UNKNOWN_USER');
    const now = (this.deps.now ?? Date.now)();
    return {
      username,
      alliance: user.alliance,
      online: where !== null,
      nodeId: where?.nodeId ?? '',
      loginAt: where?.loginAt ?? 0,
      onlineMs: where ? Math.max(0, now - where.loginAt) : 0,
    };
  }
}

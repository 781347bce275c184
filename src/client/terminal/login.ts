import type { LoginOk } from '../../../gen/chat/v1/client';
import { ChatClientError } from '../chat-client';
import { ExitCode } from './exit-codes';
import type { ExitCodeValue } from './exit-codes';

/** The exit code of a failed login: refused by the server, or no node to ask. */
export function loginFailureCode(error: unknown): ExitCodeValue {
  if (error instanceof ChatClientError && [400, 401, 403, 429].includes(error.code))
    return ExitCode.LOGIN_FAILED;
  return ExitCode.UNAVAILABLE;
}

/** True when asking for the password again may help. */
export function isBadCredentials(error: unknown): boolean {
  return error instanceof ChatClientError && error.code === 401;
}

/** "logged in as user1 on node2 (alliance wolves)" */
export function loggedInLine(ok: LoginOk, fallbackUser: string): string {
  const user = ok.user?.username ?? fallbackUser;
  const alliance = ok.user?.alliance ? ` (alliance ${ok.user.alliance})` : '';
  return `logged in as ${user} on ${ok.nodeId}${alliance}`;
}

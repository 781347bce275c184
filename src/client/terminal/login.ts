import type { LoginOk } from '../../../gen/chat/v1/client';
import { ChatClientError } from '../chat-client';
import { ExitCode } from './exit-codes';
import type { Renderer } from './render';
import type { ResilientClient } from '../recovery';
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

/**
 * After a login: the direct conversations that received messages while the
 * user was offline (the server lists them in LoginOk.missed) are fetched by
 * the login's catch-up and shown as they come; this says so and when it is
 * done. A failure is printed; the session stays usable.
 */
export async function showOfflineMessages(
  session: ResilientClient,
  ok: LoginOk,
  renderer: Renderer,
  print: (line: string) => void,
): Promise<void> {
  if (ok.missed.length === 0) return;
  const n = ok.missed.length;
  print(renderer.info(`messages arrived while you were offline (${n} conversation${n === 1 ? '' : 's'}):`));
  try {
    const { missed } = await session.loginCatchUp();
    print(renderer.info(`caught up: ${missed} missed message${missed === 1 ? '' : 's'}`));
  } catch (error) {
    print(renderer.error(error));
  }
}

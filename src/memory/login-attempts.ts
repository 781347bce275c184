import type { LoginAttempts } from '../chat/ports';
import { systemClock } from '../core/clock';
import type { Clock } from '../core/clock';
import { checkLoginFailures } from '../core/login-limits';
import type { LoginLimits } from '../core/login-limits';

interface Window {
  failures: number;
  endsAt: number;
}

/**
 * Fixed-window counters of failed logins per account and per address, in one
 * process, on an injectable clock. As with RedisLoginAttempts (INCR, then
 * EXPIRE NX), a window starts at the first failure and is not extended by
 * later ones; when it ends the count starts again from zero.
 */
export class MemoryLoginAttempts implements LoginAttempts {
  private readonly users = new Map<string, Window>();
  private readonly addresses = new Map<string, Window>();

  constructor(
    private readonly limits: LoginLimits,
    private readonly clock: Clock = systemClock,
  ) {}

  async check(username: string, address: string): Promise<void> {
    const counts = { user: this.count(this.users, username), address: this.count(this.addresses, address) };
    checkLoginFailures(counts, this.limits);
  }

  async recordFailure(username: string, address: string): Promise<void> {
    this.bump(this.users, username);
    this.bump(this.addresses, address);
  }

  private count(windows: Map<string, Window>, key: string): number {
    const window = windows.get(key);
    if (!window) return 0;
    if (this.clock.now() < window.endsAt) return window.failures;
    windows.delete(key);
    return 0;
  }

  private bump(windows: Map<string, Window>, key: string): void {
    const now = this.clock.now();
    const window = windows.get(key);
    if (window && now < window.endsAt) window.failures++;
    else windows.set(key, { failures: 1, endsAt: now + this.limits.windowSeconds * 1000 });
  }
}

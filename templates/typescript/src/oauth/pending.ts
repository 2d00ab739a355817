/**
 * The count of wrong passwords on the consent page, per username, which the form may not carry
 * itself. It lives in memory, per instance: a restart forgets it, and each instance behind a
 * load balancer counts its own. (The consent requests the page was shown for are kept in the
 * database, `store.ts`, so the page and its answer may reach different instances.)
 */

/** Wrong passwords for one username before it is locked. */
export const MAX_WRONG_PASSWORDS = 5;
/** How long a username stays locked after its last counted wrong password, in seconds. */
export const LOCKOUT_SECONDS = 15 * 60;
/** The most usernames whose wrong passwords are counted; past it the stalest are forgotten. */
export const MAX_TRACKED_USERNAMES = 10_000;

/**
 * Wrong passwords per username: after {@link MAX_WRONG_PASSWORDS} of them, less than
 * {@link LOCKOUT_SECONDS} apart, the username is locked until {@link LOCKOUT_SECONDS} after the
 * last one, even for the right password.
 */
export class WrongPasswords {
  // Re-inserted on every failure: the first entries are the stalest.
  readonly #failures = new Map<string, { readonly count: number; readonly lastAt: number }>();

  /** Whether sign-ins as `username` are refused for now. */
  locked(username: string, now: number): boolean {
    const found = this.#failures.get(username);
    return (
      found !== undefined &&
      found.count >= MAX_WRONG_PASSWORDS &&
      now < found.lastAt + LOCKOUT_SECONDS
    );
  }

  /** Counts a wrong password for `username`. */
  failed(username: string, now: number): void {
    const found = this.#failures.get(username);
    const count = found !== undefined && now < found.lastAt + LOCKOUT_SECONDS ? found.count : 0;
    this.#failures.delete(username);
    this.#failures.set(username, { count: count + 1, lastAt: now });
    while (this.#failures.size > MAX_TRACKED_USERNAMES) {
      const stalest = this.#failures.keys().next();
      if (stalest.done === true) {
        break;
      }
      this.#failures.delete(stalest.value);
    }
  }

  /** Forgets the wrong passwords of `username`. */
  succeeded(username: string): void {
    this.#failures.delete(username);
  }
}

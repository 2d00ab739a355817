/**
 * What the consent form may not carry itself: the authorization requests the page was shown
 * for, and the count of wrong passwords.
 *
 * The page's form carries one hidden field, `request_id`: an unguessable id for the request the
 * GET checked, kept here for {@link PENDING_LIFETIME} seconds and used once. The POST reads the
 * client, redirect URI, scope, state and PKCE challenge from here, never from the form, so a
 * form that was not shown by this server, was changed, or is sent twice is refused. Both live
 * in memory: a restart forgets them (a person then starts again from ChatGPT).
 */

import { randomBytes } from "node:crypto";

/** How long a consent page can be answered, in seconds. */
export const PENDING_LIFETIME = 10 * 60;
/** The most requests waiting for an answer; past it the oldest is forgotten. */
export const MAX_PENDING = 10_000;
/** Wrong passwords for one username before it is locked. */
export const MAX_WRONG_PASSWORDS = 5;
/** How long a username stays locked after its last counted wrong password, in seconds. */
export const LOCKOUT_SECONDS = 15 * 60;
/** The most usernames whose wrong passwords are counted; past it the stalest are forgotten. */
export const MAX_TRACKED_USERNAMES = 10_000;

/** Checked authorization requests waiting for the person's answer, by id. */
export class PendingRequests<T> {
  // A Map keeps insertion order: the first entries are the oldest.
  readonly #entries = new Map<string, { readonly request: T; readonly expiresAt: number }>();

  /** Keeps `request`; the id its form carries. */
  add(request: T, now: number): string {
    const id = randomBytes(32).toString("base64url");
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
      }
    }
    while (this.#entries.size >= MAX_PENDING) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) {
        break;
      }
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(id, { request, expiresAt: now + PENDING_LIFETIME });
    return id;
  }

  /**
   * The request kept under `id`, forgotten as it is returned; undefined if the id is unknown,
   * was used or expired.
   */
  take(id: string, now: number): T | undefined {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    return entry !== undefined && entry.expiresAt > now ? entry.request : undefined;
  }
}

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

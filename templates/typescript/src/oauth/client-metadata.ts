/**
 * Client ID metadata documents: a client whose `client_id` is an https URL (ChatGPT's
 * `https://chatgpt.com/oauth/client.json`, Claude's) describes itself in the JSON document at
 * that URL, which the server fetches when the client first asks for a code.
 *
 * The URL comes from whoever calls `/oauth/authorize`, so the fetch must not become a way into
 * the server's own network: the host is resolved first and refused if any of its addresses is
 * loopback, private, link-local, unspecified, multicast or broadcast, and the connection goes
 * to the address that was checked (no second lookup an attacker's DNS could answer
 * differently). The fetch has a time limit, a size limit and follows no redirect.
 */

import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress } from "node:dns";
import { request as httpRequest } from "node:http";
import type { IncomingMessage, RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP } from "node:net";
import type { LookupFunction } from "node:net";

import { registrable } from "./redirect.js";

/** How long a fetch may take, in milliseconds. */
export const FETCH_TIMEOUT_MS = 5000;
/** The largest document read, in bytes. */
export const MAX_DOCUMENT_BYTES = 16 * 1024;
/** The longest a document is cached, in seconds, whatever its `Cache-Control` says. */
export const MAX_CACHE_SECONDS = 24 * 60 * 60;
/** The most documents cached; past it the oldest is forgotten. */
const MAX_CACHED = 1000;

/** What the server uses of a client's document. */
export interface ClientDocument {
  /** `client_name`, shown on the consent page. */
  readonly clientName: string | null;
  /** `redirect_uris`: where codes may be sent. */
  readonly redirectUris: readonly string[];
}

/** Why a document cannot be used; the message names the URL and what was wrong. */
export class ClientDocumentError extends Error {
  override name = "ClientDocumentError";
}

/** Resolves a host name to its addresses (replaceable in tests). */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Addresses a fetch never connects to, whatever the settings. */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network", the unspecified address
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["169.254.0.0", 16], // link-local (cloud metadata services)
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255, the broadcast address
] as const) {
  FORBIDDEN.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128], // unspecified
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(network, prefix, "ipv6");
}

/** Loopback addresses, allowed only with `OAUTH_ALLOW_LOOPBACK_CLIENT_IDS`. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/**
 * Why the server will not connect to `address`, or undefined if it may. With `loopback`,
 * loopback addresses are allowed (for local tests).
 */
export function forbiddenAddress(address: string, loopback: boolean): string | undefined {
  const family = isIP(address);
  if (family === 0) {
    return "it is not an IP address";
  }
  // A BlockList checks an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address.
  const type = family === 4 ? "ipv4" : "ipv6";
  if (LOOPBACK.check(address, type)) {
    return loopback ? undefined : "it resolves to a loopback address";
  }
  if (FORBIDDEN.check(address, type)) {
    return "it resolves to a private address";
  }
  return undefined;
}

/** The documents fetched so far, kept as long as their `Cache-Control` allows. */
export class ClientDocuments {
  readonly #cache = new Map<
    string,
    { readonly document: ClientDocument; readonly until: number }
  >();

  /**
   * @param loopback `OAUTH_ALLOW_LOOPBACK_CLIENT_IDS`: whether documents may be fetched from
   *   loopback addresses (local tests only).
   * @param resolver how host names are resolved.
   * @param timeoutMs how long a fetch may take (tests shorten it).
   */
  constructor(
    readonly loopback: boolean,
    readonly resolver: Resolver = systemResolver,
    readonly timeoutMs: number = FETCH_TIMEOUT_MS,
  ) {}

  /**
   * The document at `url` (a client id), from the cache or fetched.
   *
   * @throws ClientDocumentError naming the URL and what was wrong.
   */
  async get(url: string, now: number): Promise<ClientDocument> {
    const cached = this.#cache.get(url);
    if (cached !== undefined && cached.until > now) {
      return cached.document;
    }
    this.#cache.delete(url);
    const fail = (why: string): ClientDocumentError =>
      new ClientDocumentError(`the client metadata document at ${url} could not be used: ${why}`);
    const fetched = await this.#fetch(url).catch((error: unknown) => {
      throw new ClientDocumentError(
        `the client metadata document at ${url} could not be fetched: ${(error as Error).message}`,
      );
    });
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fetched.body));
    } catch {
      throw fail("it is not JSON");
    }
    const document = checkDocument(value, url, fail);
    const seconds = cacheSeconds(fetched.cacheControl);
    if (seconds > 0) {
      while (this.#cache.size >= MAX_CACHED) {
        const oldest = this.#cache.keys().next();
        if (oldest.done === true) {
          break;
        }
        this.#cache.delete(oldest.value);
      }
      this.#cache.set(url, { document, until: now + seconds });
    }
    return document;
  }

  /** GETs `url` from a checked address; the body (at most 16 KiB) and `Cache-Control`. */
  async #fetch(url: string): Promise<{ body: Buffer; cacheControl: string }> {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
    const signal = AbortSignal.timeout(this.timeoutMs);
    let addresses: LookupAddress[];
    if (isIP(host) !== 0) {
      addresses = [{ address: host, family: isIP(host) }];
    } else {
      addresses = await Promise.race([
        this.resolver(host),
        new Promise<never>((_, reject) => {
          signal.addEventListener("abort", () => reject(new Error("the lookup timed out")));
        }),
      ]).catch((error: unknown) => {
        throw new Error(`its host does not resolve (${(error as Error).message})`);
      });
    }
    if (addresses.length === 0) {
      throw new Error("its host does not resolve");
    }
    for (const { address } of addresses) {
      const why = forbiddenAddress(address, this.loopback);
      if (why !== undefined) {
        throw new Error(why);
      }
    }
    const pinned = addresses[0]!;
    // The connection goes to the checked address, whatever name the request carries.
    const lookup: LookupFunction = (_hostname, options, callback) => {
      if (options.all === true) {
        (callback as (error: null, addresses: LookupAddress[]) => void)(null, [pinned]);
      } else {
        callback(null, pinned.address, pinned.family);
      }
    };
    const options: RequestOptions = {
      method: "GET",
      headers: { accept: "application/json" },
      lookup,
      signal,
    };
    const request = parsed.protocol === "https:" ? httpsRequest : httpRequest;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = request(parsed, options, resolve);
      outgoing.on("error", reject);
      outgoing.end();
    }).catch((error: unknown) => {
      throw signal.aborted
        ? new Error(`it took longer than ${this.timeoutMs / 1000} seconds`)
        : new Error((error as Error).message);
    });
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      response.destroy();
      throw new Error(
        status >= 300 && status < 400
          ? `it answered with a redirect (${status}), which is not followed`
          : `it answered with status ${status}, not 200`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response) {
        size += (chunk as Buffer).length;
        if (size > MAX_DOCUMENT_BYTES) {
          response.destroy();
          throw new Error(`it is larger than ${MAX_DOCUMENT_BYTES / 1024} KiB`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      throw signal.aborted
        ? new Error(`it took longer than ${this.timeoutMs / 1000} seconds`)
        : error;
    }
    const cacheControl = response.headers["cache-control"] ?? "";
    return { body: Buffer.concat(chunks), cacheControl };
  }
}

/** The document's fields, checked against `url`. */
function checkDocument(value: unknown, url: string, fail: (why: string) => Error): ClientDocument {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail("it is not a JSON object");
  }
  const fields = value as Record<string, unknown>;
  if (fields["client_id"] !== url) {
    throw fail(`its client_id must be the document's URL exactly, ${url}`);
  }
  const uris = fields["redirect_uris"];
  if (!Array.isArray(uris) || uris.length === 0 || !uris.every((uri) => typeof uri === "string")) {
    throw fail("its redirect_uris must be a non-empty list of strings");
  }
  const method = fields["token_endpoint_auth_method"];
  if (method !== undefined && method !== "none") {
    throw fail("its token_endpoint_auth_method must be none (the client has no secret)");
  }
  const name = fields["client_name"];
  if (name !== undefined && typeof name !== "string") {
    throw fail("its client_name must be a string");
  }
  return {
    clientName: name ?? null,
    redirectUris: (uris as string[]).filter((uri) => registrable(uri)),
  };
}

/** How long `Cache-Control` lets a document be kept, in seconds (0: not at all). */
export function cacheSeconds(cacheControl: string): number {
  const directives = cacheControl
    .toLowerCase()
    .split(",")
    .map((directive) => directive.trim());
  if (directives.some((d) => d === "no-store" || d === "no-cache")) {
    return 0;
  }
  for (const directive of directives) {
    const seconds = /^max-age=([0-9]+)$/.exec(directive)?.[1];
    if (seconds !== undefined) {
      return Math.min(Number(seconds), MAX_CACHE_SECONDS);
    }
  }
  return 0;
}

/**
 * Dynamic client registration (RFC 7591): the metadata a client sends to
 * `POST /oauth/register`, checked field by field.
 */

import { registrable } from "./redirect.js";

/** The largest registration body read, in bytes. */
export const MAX_REGISTRATION_BYTES = 16 * 1024;
/** The most redirect URIs one client may register. */
export const MAX_REDIRECT_URIS = 10;
/** The longest redirect URI, in characters. */
export const MAX_REDIRECT_URI_CHARS = 2000;
/** The longest `client_name`, in characters. */
export const MAX_CLIENT_NAME_CHARS = 200;

/** The metadata of a client that passed every check, with the defaults filled in. */
export interface Metadata {
  readonly clientName: string | null;
  readonly redirectUris: readonly string[];
  readonly grantTypes: readonly string[];
  readonly responseTypes: readonly string[];
  readonly tokenEndpointAuthMethod: "none" | "client_secret_basic" | "client_secret_post";
  readonly applicationType: "web" | "native";
  readonly scope: readonly string[] | null;
}

/** Why a registration is refused: an RFC 7591 error code and a description. */
export class RegistrationError extends Error {
  override name = "RegistrationError";

  constructor(
    readonly code: "invalid_redirect_uri" | "invalid_client_metadata",
    description: string,
  ) {
    super(description);
  }
}

/**
 * Checks a registration request's metadata; `scopes` are those a client may register
 * (the plugin's and `offline_access`). Unknown fields are ignored.
 *
 * @throws RegistrationError naming the field and what was wrong.
 */
export function checkMetadata(value: unknown, scopes: readonly string[]): Metadata {
  const invalid = (description: string): RegistrationError =>
    new RegistrationError("invalid_client_metadata", description);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("the body must be a JSON object of client metadata");
  }
  const fields = value as Record<string, unknown>;

  const uris = fields["redirect_uris"];
  if (!Array.isArray(uris) || uris.length === 0 || uris.length > MAX_REDIRECT_URIS) {
    throw new RegistrationError(
      "invalid_redirect_uri",
      `redirect_uris must be a list of 1 to ${MAX_REDIRECT_URIS} URLs`,
    );
  }
  for (const uri of uris) {
    if (typeof uri !== "string") {
      throw new RegistrationError("invalid_redirect_uri", "every redirect URI must be a string");
    }
    if ([...uri].length > MAX_REDIRECT_URI_CHARS || !registrable(uri)) {
      throw new RegistrationError(
        "invalid_redirect_uri",
        `\`${uri.slice(0, 200)}\` is not a redirect URI this server accepts: https (no user ` +
          `info, no fragment) or http on localhost, 127.0.0.1 or [::1], at most ` +
          `${MAX_REDIRECT_URI_CHARS} characters`,
      );
    }
  }

  const method = fields["token_endpoint_auth_method"] ?? "client_secret_basic";
  if (method !== "none" && method !== "client_secret_basic" && method !== "client_secret_post") {
    throw invalid(
      "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post",
    );
  }

  const grantTypes = fields["grant_types"] ?? ["authorization_code"];
  if (
    !Array.isArray(grantTypes) ||
    !grantTypes.every((g) => g === "authorization_code" || g === "refresh_token")
  ) {
    throw invalid("grant_types may only hold authorization_code and refresh_token");
  }

  const responseTypes = fields["response_types"] ?? ["code"];
  if (!Array.isArray(responseTypes) || responseTypes.length !== 1 || responseTypes[0] !== "code") {
    throw invalid('response_types must be ["code"]');
  }

  const applicationType = fields["application_type"] ?? "web";
  if (applicationType !== "web" && applicationType !== "native") {
    throw invalid("application_type must be web or native");
  }

  const name = fields["client_name"];
  if (
    name !== undefined &&
    (typeof name !== "string" || [...name].length > MAX_CLIENT_NAME_CHARS)
  ) {
    throw invalid(`client_name must be a string of at most ${MAX_CLIENT_NAME_CHARS} characters`);
  }

  const scopeText = fields["scope"];
  let scope: string[] | null = null;
  if (scopeText !== undefined) {
    if (typeof scopeText !== "string") {
      throw invalid("scope must be a string of space-separated scopes");
    }
    scope = scopeText.split(" ").filter((s) => s !== "");
    const unknown = scope.find((s) => !scopes.includes(s));
    if (unknown !== undefined) {
      throw invalid(`scope: \`${unknown}\` is not one of ${scopes.join(", ")}`);
    }
  }

  return {
    clientName: name ?? null,
    redirectUris: uris as string[],
    grantTypes: grantTypes as string[],
    responseTypes: responseTypes as string[],
    tokenEndpointAuthMethod: method,
    applicationType,
    scope,
  };
}

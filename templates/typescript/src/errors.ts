/** Error responses: every failure is a JSON `{"error": "..."}` with a 4xx or 5xx status. */

/** The statuses this API answers errors with. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 500;

/** What went wrong with a request; `app.ts` turns it into the response. */
export class ApiError extends Error {
  override name = "ApiError";

  /**
   * @param status the HTTP status.
   * @param message the `error` text of the body.
   * @param headers extra response headers (`WWW-Authenticate` on 401 and 403, `Allow` on 405).
   */
  constructor(
    readonly status: ErrorStatus,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** The JSON response. */
  toResponse(): Response {
    return json({ error: this.message }, this.status, this.headers);
  }
}

/** A JSON response, as compact as the other stacks send it. */
export function json(
  body: unknown,
  status = 200,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

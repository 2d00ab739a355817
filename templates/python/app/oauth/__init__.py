"""An OAuth 2 authorization server for the plugin (RFC 6749, with PKCE from RFC 7636), as GPT
Actions and MCP clients (ChatGPT apps, Claude, the MCP Inspector) use it.

- Discovery: `/.well-known/oauth-protected-resource[/mcp]` (RFC 9728) names `/mcp` as the
  resource and this server as its authorization server; `/.well-known/oauth-authorization-server`
  (RFC 8414) lists the endpoints and what they support. A 401 from `/mcp` points at the first.
- Clients: the pre-registered one (`OAUTH_CLIENT_ID`, the GPT Action), clients registered at
  `POST /oauth/register` (RFC 7591), and clients whose id is the https URL of their metadata
  document. Clients without a secret must use PKCE S256.
- `GET /oauth/authorize` (the manifest's `client_url`) checks the client and the `redirect_uri`,
  then shows a sign-in and consent page naming the client. Approving redirects back with a
  `code`, the unchanged `state` and `iss` (RFC 9207); denying redirects with
  `error=access_denied`. A bad client or redirect URI is an error page and is never redirected
  to. A `resource` (RFC 8707) binds the tokens to `/mcp` or to the REST API.
- `POST /oauth/token` (the manifest's `authorization_url`) takes JSON or form bodies, and client
  credentials in the body or as HTTP Basic. Codes are single-use and short-lived; refresh tokens
  (for `offline_access`, and always for the pre-registered client) rotate; replays revoke what
  the grant issued, but a client retrying its own code within a minute revokes nothing.

`routes.py` serves it, `server.py` decides, `store.py` keeps the grants, the registered clients
and the requests whose consent page awaits an answer (in the database, `app/db.py`),
`registration.py` reads registrations, `metadata_document.py` fetches metadata documents,
`pending.py` counts wrong passwords, `redirect.py` holds the redirect allow-list, `page.py` the
HTML pages and `form.py` the form parsing.
"""

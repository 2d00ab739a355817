"""An OAuth 2 authorization server for the plugin host (RFC 6749, with PKCE from RFC 7636).

- `GET /oauth/authorize` (the manifest's `client_url`) checks the client and the `redirect_uri`,
  then shows a sign-in and consent page. Approving redirects back with a `code` and the
  unchanged `state`; denying redirects with `error=access_denied`. A bad client or redirect URI
  is an error page and is never redirected to.
- `POST /oauth/token` (the manifest's `authorization_url`) takes JSON or form bodies, and client
  credentials in the body or as HTTP Basic. Codes are single-use and short-lived; refresh tokens
  rotate; replays revoke what the grant issued.

`routes.py` serves it, `server.py` decides, `store.py` keeps the grants, `pending.py` the requests
whose consent page awaits an answer and the count of wrong passwords, `redirect.py` holds the
redirect allow-list, `page.py` the HTML pages and `form.py` the form parsing.
"""

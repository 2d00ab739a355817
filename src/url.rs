//! The one URL splitter: an absolute URL cut where its parts meet, for the URL rule of the
//! answers ([`crate::rules::http_url`]) and for `check`'s domain rules
//! (`check::domain::UrlParts`), so both read a host and a port the same way.

/// An absolute URL cut into its parts, as written: nothing lowercased, nothing checked,
/// brackets kept around an IPv6 host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pieces<'a> {
    /// What comes before `://`.
    pub scheme: &'a str,
    /// The host: after any `user@`, before the port; `[::1]` keeps its brackets. A bracketed
    /// host followed by anything but `:port` is the whole authority (`[::1]x`).
    pub host: &'a str,
    /// What follows the host's `:`, if anything does.
    pub port: Option<&'a str>,
    /// The path, query and fragment, from the first `/`, `?` or `#` (or empty).
    pub rest: &'a str,
}

/// Cuts `url` into its [`Pieces`]; `None` when it has no `://`.
pub fn pieces(url: &str) -> Option<Pieces<'_>> {
    let (scheme, after_scheme) = url.split_once("://")?;
    let end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let authority = &after_scheme[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if authority.starts_with('[') {
        match authority.split_once("]:") {
            Some((host, port)) => (&authority[..=host.len()], Some(port)),
            None => (authority, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    Some(Pieces {
        scheme,
        host,
        port,
        rest: &after_scheme[end..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_cut_at_the_scheme_the_authority_and_the_path() {
        let cut = |url| pieces(url).map(|p| (p.scheme, p.host, p.port, p.rest));
        assert_eq!(
            cut("HTTPS://me@Api.Example.com:8443/openapi.yaml?x=1"),
            Some((
                "HTTPS",
                "Api.Example.com",
                Some("8443"),
                "/openapi.yaml?x=1"
            ))
        );
        assert_eq!(
            cut("http://[::1]:5003"),
            Some(("http", "[::1]", Some("5003"), ""))
        );
        assert_eq!(cut("http://[::1]"), Some(("http", "[::1]", None, "")));
        assert_eq!(cut("http://[::1]x/a"), Some(("http", "[::1]x", None, "/a")));
        assert_eq!(cut("https://x#top"), Some(("https", "x", None, "#top")));
        assert_eq!(cut("http://:80"), Some(("http", "", Some("80"), "")));
        assert_eq!(cut("/openapi.yaml"), None);
    }
}

//! Hosts and domains, as the plugin host's domain verification judged them (the rules below
//! are the facts; `OpenAI`'s page that stated them is gone).
//!
//! The root domain is the host that serves the manifest with a leading `www.` stripped;
//! `api.url` must be on it or a subdomain; the legal page and the contact address must share
//! its second-level domain. Second-level here is the last two labels, or three when the last
//! two are a common two-part public suffix (`co.uk`); without the full public suffix list a
//! rare suffix may be judged too leniently, never too strictly.

/// The parts of an absolute http(s) URL the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// `http` or `https`.
    pub scheme: String,
    /// The host, lowercased, without brackets for IPv6.
    pub host: String,
    /// The port, if one is written.
    pub port: Option<u16>,
    /// The path and query, from the first `/` (or empty).
    pub path: String,
}

impl UrlParts {
    /// Splits an absolute `http://` or `https://` URL; `None` for anything else.
    pub fn parse(url: &str) -> Option<UrlParts> {
        let pieces = crate::url::pieces(url)?;
        let scheme = pieces.scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let host = match pieces.host.strip_prefix('[') {
            Some(inner) => inner.strip_suffix(']')?,
            None => pieces.host,
        };
        let port = pieces.port;
        if host.is_empty() {
            return None;
        }
        let port = match port {
            Some(port) => Some(port.parse().ok()?),
            None => None,
        };
        Some(UrlParts {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path: pieces.rest.to_owned(),
        })
    }

    /// The port, or the scheme's default.
    pub fn effective_port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(port) => format!("{}://{host}:{port}", self.scheme),
            None => format!("{}://{host}", self.scheme),
        }
    }
}

/// Whether `host` is this machine: `localhost`, `*.localhost`, 127.0.0.0/8 or `::1`.
pub fn is_localhost(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The root domain: the host with a leading `www.` stripped.
pub fn root_domain(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

/// Whether `host` is `root` or a subdomain of it.
pub fn on_domain(host: &str, root: &str) -> bool {
    host == root || host.ends_with(&format!(".{root}"))
}

/// Common public suffixes of two labels, under which a registrable domain has three.
const TWO_LABEL_SUFFIXES: &[&str] = &[
    "co.uk",
    "org.uk",
    "ac.uk",
    "gov.uk",
    "me.uk",
    "com.au",
    "net.au",
    "org.au",
    "co.nz",
    "co.jp",
    "ne.jp",
    "or.jp",
    "co.kr",
    "com.br",
    "com.cn",
    "com.mx",
    "co.in",
    "co.za",
    "com.tr",
    "com.tw",
    "com.sg",
    "com.hk",
    "github.io",
    "herokuapp.com",
    "vercel.app",
    "netlify.app",
    "pages.dev",
    "workers.dev",
    "ngrok.io",
    "ngrok-free.app",
    "fly.dev",
    "onrender.com",
    "azurewebsites.net",
    "cloudfront.net",
    "appspot.com",
];

/// The registrable ("second-level") domain of `host`: `api.example.com` → `example.com`.
pub fn second_level(host: &str) -> &str {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let keep = if labels.len() >= 3
        && TWO_LABEL_SUFFIXES.contains(&labels[labels.len() - 2..].join(".").as_str())
    {
        3
    } else {
        2
    };
    if labels.len() <= keep {
        return host;
    }
    let skip: usize = labels[..labels.len() - keep]
        .iter()
        .map(|l| l.len() + 1)
        .sum();
    &host[skip..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_host_port_and_path() {
        let url = UrlParts::parse("HTTPS://Api.Example.com:8443/openapi.yaml?x=1").unwrap();
        assert_eq!(url.scheme, "https");
        assert_eq!(url.host, "api.example.com");
        assert_eq!(url.port, Some(8443));
        assert_eq!(url.path, "/openapi.yaml?x=1");
        let v6 = UrlParts::parse("http://[::1]:5003").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", Some(5003)));
        assert_eq!(v6.origin(), "http://[::1]:5003");
        assert_eq!(UrlParts::parse("ftp://x"), None);
        // The same splitter as the answers' URL rule: junk after a bracketed host is no URL.
        assert_eq!(UrlParts::parse("http://[::1]x"), None);
        assert_eq!(UrlParts::parse("/openapi.yaml"), None);
        assert_eq!(UrlParts::parse("http://x:99999/"), None);
        assert_eq!(UrlParts::parse("https://x").unwrap().effective_port(), 443);
    }

    #[test]
    fn localhost_is_loopback_only() {
        for host in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "a.localhost",
        ] {
            assert!(is_localhost(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "0.0.0.0",
            "localhost.example.com",
        ] {
            assert!(!is_localhost(host), "{host}");
        }
    }

    #[test]
    fn domains_compare_by_root_and_second_level() {
        assert_eq!(root_domain("www.example.com"), "example.com");
        assert!(on_domain("api.example.com", "example.com"));
        assert!(on_domain("example.com", "example.com"));
        assert!(!on_domain("badexample.com", "example.com"));
        assert!(!on_domain("example.com", "api.example.com"));
        assert_eq!(second_level("a.b.example.com"), "example.com");
        assert_eq!(second_level("example.com"), "example.com");
        assert_eq!(second_level("shop.example.co.uk"), "example.co.uk");
        assert_eq!(second_level("me.github.io"), "me.github.io");
        assert_eq!(second_level("10.1.2.3"), "10.1.2.3");
    }
}

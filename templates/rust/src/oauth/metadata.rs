//! Client ID metadata documents: a `client_id` that is an https URL names a JSON document
//! describing the client (its name and redirect URIs), which this server fetches.
//!
//! The fetch is a request to an address the client chose, so it is fenced in: the host is
//! resolved first and refused if any address is loopback, private, link-local, unspecified,
//! multicast or broadcast (loopback only with `OAUTH_ALLOW_LOOPBACK_CLIENT_IDS`, for local
//! tests); the connection goes to the address that was checked, never to a second lookup;
//! no redirects, no proxy, 5 seconds in all, at most 16 KiB read. Documents are cached as
//! their `Cache-Control: max-age` allows, at most a day.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, Once, PoisonError};
use std::time::Duration;

use serde_json::Value;

use super::redirect::is_loopback;

/// How long a fetch may take in all.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest document read, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024;
/// The longest a document is cached, in seconds.
pub const MAX_CACHE_SECONDS: u64 = 24 * 60 * 60;
/// The most documents cached; past it the cache starts over.
const MAX_CACHED: usize = 1000;

/// What a client's metadata document says that this server uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Its `client_name`, shown on the consent page.
    pub client_name: Option<String>,
    /// Where codes may be sent, matched exactly.
    pub redirect_uris: Vec<String>,
}

/// Whether `client_id` is a metadata document URL: https with a path other than `/` (or http on
/// loopback, when `allow_loopback`).
pub fn is_document_url(client_id: &str, allow_loopback: bool) -> bool {
    let Ok(url) = url::Url::parse(client_id) else {
        return false;
    };
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => allow_loopback && url.host_str().is_some_and(is_loopback),
        _ => false,
    };
    scheme_ok && url.path() != "/" && url.host_str().is_some()
}

/// Fetched documents, by URL, with the time each stops being fresh.
#[derive(Default)]
pub struct Cache {
    documents: Mutex<HashMap<String, (Document, u64)>>,
}

impl Cache {
    /// The document at `url`, from the cache while fresh, else fetched.
    pub async fn get(&self, url: &str, allow_loopback: bool, now: u64) -> Result<Document, String> {
        let cached = self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(url)
            .filter(|(_, fresh_until)| *fresh_until > now)
            .map(|(document, _)| document.clone());
        if let Some(document) = cached {
            return Ok(document);
        }
        let (document, max_age) = fetch(url, allow_loopback)
            .await
            .map_err(|why| format!("the client metadata document at {url} {why}"))?;
        if let Some(max_age) = max_age.filter(|&age| age > 0) {
            let mut documents = self
                .documents
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if documents.len() >= MAX_CACHED {
                documents.clear();
            }
            documents.insert(
                url.to_owned(),
                (document.clone(), now + max_age.min(MAX_CACHE_SECONDS)),
            );
        }
        Ok(document)
    }
}

/// Fetches and checks the document at `url`; with how long it may be cached. The error says
/// what went wrong, after "the client metadata document at <url>".
async fn fetch(url: &str, allow_loopback: bool) -> Result<(Document, Option<u64>), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("is not a URL: {e}"))?;
    let host = parsed
        .host_str()
        .ok_or("has no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = parsed.port_or_known_default().ok_or("has no port")?;
    let unreachable = |why: &str| format!("could not be fetched: {why}");
    let addresses: Vec<SocketAddr> = tokio::time::timeout(
        FETCH_TIMEOUT,
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await
    .map_err(|_| unreachable("its host did not resolve in time"))?
    .map_err(|e| unreachable(&format!("its host does not resolve ({e})")))?
    .collect();
    let Some(&first) = addresses.first() else {
        return Err(unreachable("its host does not resolve"));
    };
    for address in &addresses {
        if let Some(kind) = forbidden(address.ip(), allow_loopback) {
            return Err(unreachable(&format!("it resolves to a {kind} address")));
        }
    }
    install_crypto();
    // The checked address, pinned: reqwest does not look the host up again.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(FETCH_TIMEOUT)
        .resolve(&host, first)
        .build()
        .map_err(|e| unreachable(&e.to_string()))?;
    let mut response = client
        .get(parsed.as_str())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| unreachable(&without_url(&e)))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(unreachable(&format!(
            "it answered {status}, a redirect, and redirects are not followed"
        )));
    }
    if status != reqwest::StatusCode::OK {
        return Err(unreachable(&format!("it answered {status}, not 200")));
    }
    let max_age = max_age(response.headers());
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| unreachable(&without_url(&e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("is larger than {} KiB", MAX_DOCUMENT_BYTES / 1024));
        }
    }
    Ok((check(url, &body)?, max_age))
}

/// reqwest's error and its causes, without the URL it repeats.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        format!("no answer within {} seconds", FETCH_TIMEOUT.as_secs())
    } else if error.is_connect() {
        "the connection failed".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// The crypto rustls uses (ring), installed once for the whole process: reqwest's clients
/// need it, here and anywhere else in the process.
pub fn install_crypto() {
    static ONCE: Once = Once::new();
    // ring builds quickly and needs no C toolchain beyond cc; rustls deprecates it only for
    // lacking post-quantum key exchange, which a public JSON document does not need.
    #[allow(deprecated)]
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Why a fetch may not go to `ip`, if it may not.
pub fn forbidden(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                (!allow_loopback).then_some("loopback")
            } else if v4.is_private() || (a == 100 && (64..128).contains(&b)) {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified() {
                Some("unspecified")
            } else if v4.is_multicast() {
                Some("multicast")
            } else if v4.is_broadcast() {
                Some("broadcast")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                (!allow_loopback).then_some("loopback")
            } else if first & 0xfe00 == 0xfc00 {
                Some("private")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_multicast() {
                Some("multicast")
            } else {
                None
            }
        }
    }
}

/// `max-age` of `Cache-Control`; `None` with `no-store`, `no-cache` or no `max-age`.
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let mut age = None;
    for value in headers.get_all(reqwest::header::CACHE_CONTROL) {
        for directive in value.to_str().unwrap_or_default().split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            if directive == "no-store" || directive == "no-cache" {
                return None;
            }
            if let Some(seconds) = directive.strip_prefix("max-age=") {
                age = seconds.trim_matches('"').parse().ok();
            }
        }
    }
    age
}

/// The document in `body`, checked against the URL it came from.
fn check(url: &str, body: &[u8]) -> Result<Document, String> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return Err("is not a JSON object".to_owned());
    };
    match fields.get("client_id") {
        Some(Value::String(id)) if id == url => {}
        Some(Value::String(id)) => {
            return Err(format!(
                "names another client_id (`{id}`): it must be the document's URL exactly"
            ))
        }
        _ => return Err("has no client_id: it must be the document's URL".to_owned()),
    }
    let redirect_uris: Vec<String> = match fields.get("redirect_uris") {
        Some(Value::Array(uris)) if !uris.is_empty() => uris
            .iter()
            .map(|uri| uri.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or("has redirect_uris that are not all strings")?,
        _ => return Err("has no redirect_uris (a non-empty array of strings)".to_owned()),
    };
    match fields.get("token_endpoint_auth_method") {
        None => {}
        Some(Value::String(method)) if method == "none" => {}
        Some(other) => {
            return Err(format!(
                "asks for token_endpoint_auth_method {other}: a client named by a metadata \
                 document is public (none)"
            ))
        }
    }
    let client_name = match fields.get("client_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => return Err("has a client_name that is not a string".to_owned()),
    };
    Ok(Document {
        client_name,
        redirect_uris,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_urls_are_https_with_a_path() {
        assert!(is_document_url(
            "https://chatgpt.com/oauth/client.json",
            false
        ));
        assert!(!is_document_url("https://chatgpt.com/", false));
        assert!(!is_document_url("https://chatgpt.com", false));
        assert!(!is_document_url("http://127.0.0.1:9/client.json", false));
        assert!(is_document_url("http://127.0.0.1:9/client.json", true));
        assert!(!is_document_url("http://example.com/client.json", true));
        assert!(!is_document_url("my-client", true));
    }

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for (ip, kind) in [
            ("10.0.0.1", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "private"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("127.0.0.1", "loopback"),
            ("::1", "loopback"),
            ("fd00::1", "private"),
            ("fe80::1", "link-local"),
            ("::", "unspecified"),
            ("ff02::1", "multicast"),
            ("::ffff:10.0.0.1", "private"),
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(forbidden(ip, false), Some(kind), "{ip}");
        }
        for ip in ["93.184.216.34", "100.128.0.1", "2606:2800:220:1::1"] {
            assert_eq!(forbidden(ip.parse().unwrap(), false), None, "{ip}");
        }
        assert_eq!(forbidden("127.0.0.1".parse().unwrap(), true), None);
    }

    #[test]
    fn max_age_is_read_unless_caching_is_refused() {
        let headers = |value: &str| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(reqwest::header::CACHE_CONTROL, value.parse().unwrap());
            headers
        };
        assert_eq!(max_age(&headers("public, max-age=300")), Some(300));
        assert_eq!(max_age(&headers("max-age=300, no-store")), None);
        assert_eq!(max_age(&headers("no-cache")), None);
        assert_eq!(max_age(&headers("public")), None);
    }

    #[test]
    fn documents_are_checked() {
        let url = "https://app.example.com/client.json";
        let good = format!(
            r#"{{"client_id":"{url}","client_name":"App","redirect_uris":["https://app.example.com/cb"]}}"#
        );
        assert_eq!(
            check(url, good.as_bytes()).unwrap().client_name.as_deref(),
            Some("App")
        );
        for bad in [
            "[]".to_owned(),
            r#"{"client_id":"https://other.example/client.json","redirect_uris":["https://a/b"]}"#
                .to_owned(),
            format!(r#"{{"client_id":"{url}"}}"#),
            format!(r#"{{"client_id":"{url}","redirect_uris":[]}}"#),
            format!(r#"{{"client_id":"{url}","redirect_uris":[1]}}"#),
            format!(
                r#"{{"client_id":"{url}","redirect_uris":["https://a/b"],"token_endpoint_auth_method":"client_secret_basic"}}"#
            ),
        ] {
            assert!(check(url, bad.as_bytes()).is_err(), "{bad}");
        }
    }
}

//! Tokens: where a connection may carry one, and comparing without leaking it through timing.

use subtle::ConstantTimeEq;
use tokio_tungstenite::tungstenite::http::{HeaderMap, Uri};

/// The token a request carries: `Authorization: Bearer T`, or `?token=T` in the URL for tools
/// that cannot set headers.
pub fn token_of(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    header.or_else(|| {
        uri.query().and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("token="))
                .map(str::to_owned)
        })
    })
}

/// Whether `given` equals `expected`, in time independent of where they differ.
pub fn token_matches(expected: &str, given: &str) -> bool {
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::handshake::server::Request;

    fn token_in(request: &Request) -> Option<String> {
        token_of(request.headers(), request.uri())
    }

    fn request(uri: &str, auth: Option<&str>) -> Request {
        let mut b = Request::builder().uri(uri);
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(()).expect("request")
    }

    #[test]
    fn a_token_is_found_in_the_bearer_header_or_the_query() {
        assert_eq!(
            token_in(&request("/ingest", Some("Bearer abc"))),
            Some("abc".into())
        );
        assert_eq!(
            token_in(&request("/ingest?x=1&token=q", None)),
            Some("q".into())
        );
        assert_eq!(token_in(&request("/ingest", Some("Basic abc"))), None);
        assert_eq!(token_in(&request("/ingest", None)), None);
    }

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cret", "s3creT"));
        assert!(!token_matches("s3cret", "s3cre"));
        assert!(!token_matches("s3cret", ""));
    }
}

//! Opening a connection: the upgrade request (with the bearer token), TLS, the transport's
//! limits, and turning each way it can fail into a reason a person can act on.

use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::FeedConfig;
use super::connection::{Ended, Ws};
use fleetview_core::protocol::DecodeLimits;

/// The URL with any `token=` value in its query masked: URLs are logged and shown, tokens never.
pub fn redact(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _))
                if k.eq_ignore_ascii_case("token") || k.eq_ignore_ascii_case("access_token") =>
            {
                format!("{k}=***")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// The largest message the transport accepts. Frames between the decode limit and this are read
/// and refused without losing the connection; larger ones cannot be skipped, so they end it.
pub(super) fn transport_ceiling(limits: &DecodeLimits) -> usize {
    limits.max_frame_bytes.saturating_mul(2).max(64 * 1024)
}

pub(super) async fn connect(
    url: &str,
    headers: &[(HeaderName, HeaderValue)],
    config: &FeedConfig,
) -> Result<Ws, Ended> {
    let fatal = |reason: String| Ended::Failed {
        reason,
        fatal: true,
    };
    let connector = if url.starts_with("wss:") {
        Some(super::tls::connector(config.spec.ca_file.as_deref()).map_err(fatal)?)
    } else {
        None
    };
    let mut request = url
        .into_client_request()
        .map_err(|e| fatal(format!("invalid feed URL {:?}: {e}", redact(url))))?;
    for (name, value) in headers {
        request.headers_mut().insert(name.clone(), value.clone());
    }
    let ceiling = transport_ceiling(&config.limits);
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(ceiling))
        .max_frame_size(Some(ceiling));
    let attempt =
        tokio_tungstenite::connect_async_tls_with_config(request, Some(ws_config), true, connector);
    match timeout(config.connect_timeout, attempt).await {
        Err(_) => Err(Ended::Failed {
            reason: format!(
                "no answer within {} s",
                config.connect_timeout.as_secs_f32()
            ),
            fatal: false,
        }),
        Ok(Err(e)) => Err(connect_error(e, url.starts_with("wss:"))),
        Ok(Ok((ws, _response))) => Ok(ws),
    }
}

fn connect_error(e: WsError, tls: bool) -> Ended {
    match e {
        WsError::Http(response) => {
            let status = response.status();
            // A refused token or a forbidden feed stays refused: retrying only hammers it.
            let fatal = status.as_u16() == 401 || status.as_u16() == 403;
            Ended::Failed {
                reason: format!("the server refused the WebSocket upgrade: HTTP {status}"),
                fatal,
            }
        }
        WsError::Url(e) => Ended::Failed {
            reason: format!("invalid feed URL: {e}"),
            fatal: true,
        },
        WsError::Tls(e) => Ended::Failed {
            reason: format!("TLS failed: {e}"),
            fatal: false,
        },
        // rustls reports a failed handshake as invalid data (a bad certificate) or an early end
        // of the stream (a server that does not speak TLS).
        WsError::Io(e)
            if tls
                && matches!(
                    e.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
                ) =>
        {
            Ended::Failed {
                reason: format!("TLS handshake failed: {e}"),
                fatal: false,
            }
        }
        WsError::Io(e) => Ended::Failed {
            reason: format!("cannot connect: {e}"),
            fatal: false,
        },
        other => Ended::Failed {
            reason: other.to_string(),
            fatal: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn tokens_in_a_url_are_masked_and_the_rest_kept() {
        assert_eq!(
            redact("wss://h/feed?token=s3cret&x=1"),
            "wss://h/feed?token=***&x=1"
        );
        assert_eq!(
            redact("ws://h/feed?a=1&access_token=t"),
            "ws://h/feed?a=1&access_token=***"
        );
        assert_eq!(redact("ws://h/feed"), "ws://h/feed");
    }
}

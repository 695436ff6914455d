//! TLS for `wss://` and `https://` feeds: rustls with the ring provider, the system's root
//! certificates, and optionally a CA file of the user's (a company CA, or a test CA). The
//! WebSocket connector and the HTTP client (Traccar's login) trust exactly the same roots.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_tungstenite::Connector;

/// rustls needs a process-wide crypto provider before the first `wss://` connection, or it may
/// panic choosing one. Installing twice is harmless (the first one stays).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A connector trusting the system roots and, when given, every certificate in `ca_file` (PEM).
pub fn connector(ca_file: Option<&Path>) -> Result<Connector, String> {
    Ok(Connector::Rustls(Arc::new(client_config(ca_file)?)))
}

/// The rustls configuration behind [`connector`].
pub fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A system certificate rustls cannot use is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| {
                format!(
                    "the CA file {} is not PEM certificates: {e}",
                    path.display()
                )
            })?;
        if certs.is_empty() {
            return Err(format!(
                "the CA file {} holds no certificate",
                path.display()
            ));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                format!("the CA file {} has a bad certificate: {e}", path.display())
            })?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS setup failed: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(config)
}

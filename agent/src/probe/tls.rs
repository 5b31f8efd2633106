//! TLS for probes: STARTTLS upgrades and implicit TLS on 465.
//!
//! A probe is a measurement, not a mail client: an untrusted or mismatched
//! certificate is a finding to record (it is how an intercepting proxy shows
//! itself), not a reason to abort. So the verifier runs the normal webpki
//! verification, records what it concluded, and lets the handshake finish.
//! Handshake signatures are still checked, so the recorded certificate is the
//! one the server holds the key of.

use mailport_shared::outcome::TlsOutcome;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{timeout_at, Instant};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Names kept from a certificate.
const MAX_NAMES: usize = 8;

/// Why TLS could not be set up at all (not a probe failure: a setup error).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The CA file could not be read or holds no certificate.
    #[error("cannot use {path} as a CA file: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS setup failed: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Trust anchors and crypto, built once and shared by every probe.
#[derive(Debug, Clone)]
pub struct TlsContext {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl TlsContext {
    /// The webpki roots plus `extra` (a test's self-signed certificate, or
    /// the user's `--ca-file`).
    pub fn new(extra: &[CertificateDer<'static>]) -> Result<Self, TlsSetupError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in extra {
            roots.add(cert.clone())?;
        }
        Ok(TlsContext {
            roots: Arc::new(roots),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        })
    }

    fn config(&self) -> Result<(Arc<ClientConfig>, Arc<RecordingVerifier>), rustls::Error> {
        let inner =
            WebPkiServerVerifier::builder_with_provider(self.roots.clone(), self.provider.clone())
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
        let verifier = Arc::new(RecordingVerifier {
            inner,
            record: Mutex::new(None),
        });
        let config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        Ok((Arc::new(config), verifier))
    }
}

/// Reads PEM certificates from a file, for `--ca-file`.
pub fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let err = |reason: String| TlsSetupError::CaFile {
        path: path.display().to_string(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("it contains no PEM certificate".into()));
    }
    Ok(certs)
}

/// What the verifier concluded about the server's certificate.
#[derive(Clone, Debug)]
struct CertRecord {
    trusted: bool,
    name_matches: bool,
    names: Vec<String>,
}

/// Runs webpki verification, records the result, and accepts the certificate.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    record: Mutex<Option<CertRecord>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        // webpki checks the chain before the name, so a name error means the
        // chain itself was fine.
        let trusted = match &verdict {
            Ok(_) => true,
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => true,
            Err(_) => false,
        };
        let (name_matches, names) = match webpki::EndEntityCert::try_from(end_entity) {
            Ok(cert) => (
                cert.verify_is_valid_for_subject_name(server_name).is_ok(),
                cert.valid_dns_names()
                    .take(MAX_NAMES)
                    .map(str::to_string)
                    .collect(),
            ),
            Err(_) => (false, Vec::new()),
        };
        if let Ok(mut slot) = self.record.lock() {
            *slot = Some(CertRecord {
                trusted,
                name_matches,
                names,
            });
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Why a handshake did not complete.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// No handshake before the deadline.
    #[error("the TLS handshake timed out")]
    Timeout,
    /// The peer closed the connection before the handshake completed.
    #[error("the server closed the connection during the TLS handshake")]
    Closed,
    /// The peer reset the connection.
    #[error("the connection was reset during the TLS handshake")]
    Reset,
    /// The host name cannot be used as a TLS server name.
    #[error("{0:?} cannot be used as a TLS server name")]
    BadName(String),
    /// Any other failure, in rustls' words.
    #[error("{0}")]
    Failed(String),
}

/// Runs a TLS handshake on `stream` for `host` before `deadline`, and says
/// what was negotiated and what the certificate is worth.
pub async fn handshake<S>(
    ctx: &TlsContext,
    stream: S,
    host: &str,
    deadline: Instant,
) -> Result<(TlsStream<S>, TlsOutcome), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| HandshakeError::BadName(host.to_string()))?;
    let (config, verifier) = ctx
        .config()
        .map_err(|e| HandshakeError::Failed(e.to_string()))?;
    let connector = TlsConnector::from(config);
    let tls = match timeout_at(deadline, connector.connect(name, stream)).await {
        Err(_) => return Err(HandshakeError::Timeout),
        Ok(Err(e)) => {
            return Err(match e.kind() {
                std::io::ErrorKind::UnexpectedEof => HandshakeError::Closed,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                    HandshakeError::Reset
                }
                _ => HandshakeError::Failed(describe(&e)),
            })
        }
        Ok(Ok(tls)) => tls,
    };
    let (_, conn) = tls.get_ref();
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => "unknown".to_string(),
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_else(|| "unknown".to_string());
    let record = verifier
        .record
        .lock()
        .ok()
        .and_then(|r| r.clone())
        .unwrap_or(CertRecord {
            trusted: false,
            name_matches: false,
            names: Vec::new(),
        });
    Ok((
        tls,
        TlsOutcome::Established {
            version,
            cipher,
            trusted: record.trusted,
            name_matches: record.name_matches,
            names: record.names,
        },
    ))
}

/// rustls' words, with the common case said plainly: a server that answers a
/// ClientHello with plain text (an SMTP greeting, an HTTP error) does not
/// speak TLS on this port.
fn describe(e: &std::io::Error) -> String {
    let text = e.to_string();
    if text.contains("InvalidContentType") || text.contains("corrupt message") {
        format!("the server does not speak TLS here (it answered in plain text: {text})")
    } else {
        text
    }
}

//! TLS to the broker (`mqtts://`): the CA to trust (`--ca FILE`, else the
//! system's roots) and, for mutual TLS, the twin's own certificate and key
//! (`--cert FILE --key FILE`), all PEM, read once at start; rustls with ring
//! as its one crypto provider. A file that cannot be read or holds no
//! certificate or key is an error at start, naming the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The PEM files a TLS connection uses.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: no PEM certificate in it ({why})")]
    Certificates { path: String, why: String },
    #[error("{path}: no PEM private key in it ({why})")]
    Key { path: String, why: String },
    #[error("--cert and --key go together (mutual TLS needs both)")]
    HalfAPair,
    #[error("the system's CA certificates could not be read: {0}")]
    NativeRoots(String),
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A ready client configuration, shared by every connection.
#[derive(Clone)]
pub struct TlsConfig(pub(crate) Arc<ClientConfig>);

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

impl PartialEq for TlsConfig {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for TlsConfig {}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bad = |why: String| TlsError::Certificates {
        path: path.display().to_string(),
        why,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("none found".into()));
    }
    Ok(certs)
}

/// The client configuration for `files`.
pub fn client_config(files: &TlsFiles) -> Result<TlsConfig, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    match &files.ca {
        Some(ca) => {
            for cert in certificates(ca)? {
                roots.add(cert)?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            if found.certs.is_empty() {
                let why = found
                    .errors
                    .first()
                    .map_or("none found".into(), |e| e.to_string());
                return Err(TlsError::NativeRoots(why));
            }
            roots.add_parsable_certificates(found.certs);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let config = match (&files.cert, &files.key) {
        (Some(cert), Some(key)) => {
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
                path: key.display().to_string(),
                why: e.to_string(),
            })?;
            builder.with_client_auth_cert(certificates(cert)?, key)?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(TlsError::HalfAPair),
    };
    Ok(TlsConfig(Arc::new(config)))
}

//! A throwaway PKI: one CA the agent trusts (`--ca-file`), one certificate
//! per mail host, valid for its names.

use anyhow::Result;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::path::{Path, PathBuf};

/// The CA and the directory where leaf certificates are written.
pub struct Pki {
    /// PEM of the CA certificate, for `--ca-file`.
    pub ca_file: PathBuf,
    dir: PathBuf,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl Pki {
    /// Creates a CA in `dir`.
    pub fn generate(dir: &Path) -> Result<Pki> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "mailport netsim test CA");
        let ca_key = KeyPair::generate()?;
        let ca = params.self_signed(&ca_key)?;
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, ca.pem())?;
        Ok(Pki {
            ca_file,
            dir: dir.to_path_buf(),
            ca,
            ca_key,
        })
    }

    /// Issues a certificate for `names`; returns (cert file, key file).
    pub fn issue(&self, id: &str, names: &[&str]) -> Result<(PathBuf, PathBuf)> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or(id));
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.ca, &self.ca_key)?;
        let cert_file = self.dir.join(format!("{id}.crt"));
        let key_file = self.dir.join(format!("{id}.key"));
        std::fs::write(&cert_file, cert.pem())?;
        std::fs::write(&key_file, key.serialize_pem())?;
        Ok((cert_file, key_file))
    }
}

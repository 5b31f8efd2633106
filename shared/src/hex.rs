//! Hex text, the one codec for the whole project: reflector keys,
//! challenges and signatures, the agent's token, the bench's certificates.
//!
//! A leaf module (it imports nothing of the crate), so the parsers in
//! [`crate::validate`] and the reflector's wire format in
//! [`crate::reflector`] can both use it without importing each other.

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// Decodes hex of either case; `None` when the text is not hex or has an
/// odd length.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    ::hex::decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        assert_eq!(encode(&[0, 15, 255]), "000fff");
        assert_eq!(decode("000FfF"), Some(vec![0, 15, 255]));
        assert_eq!(decode(""), Some(vec![]));
        for bad in ["0", "é0", "0g", " 00", "00 "] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}

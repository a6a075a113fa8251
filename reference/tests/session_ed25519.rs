//! Ed25519 through `cinder::primitives`, the signature of the sessions chapter's identity chain
//! (spec/session.md, section 3: strict verification).
//!
//! Wycheproof's Ed25519 cases run in `wycheproof.rs`; the known answers here are
//! the test vectors of RFC 8032 ("Edwards-Curve Digital Signature Algorithm (EdDSA)", S. Josefsson
//! and I. Liusvaara, IETF, January 2017), section 7.1, tests 1 to 3: secret key, public key, message
//! and signature, copied from the RFC.

use cinder::primitives::{PrimitiveError, ed25519_public, ed25519_sign, ed25519_verify};

struct Rfc8032 {
    name: &'static str,
    secret: &'static str,
    public: &'static str,
    message: &'static str,
    signature: &'static str,
}

/// RFC 8032 section 7.1, TEST 1, TEST 2 and TEST 3.
const RFC_8032_7_1: [Rfc8032; 3] = [
    Rfc8032 {
        name: "TEST 1 (empty message)",
        secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        message: "",
        signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    Rfc8032 {
        name: "TEST 2 (one byte)",
        secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        message: "72",
        signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
    Rfc8032 {
        name: "TEST 3 (two bytes)",
        secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        message: "af82",
        signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    },
];

fn array<const N: usize>(text: &str) -> [u8; N] {
    let bytes = hex::decode(text).expect("test data is hex");
    bytes.try_into().unwrap_or_else(|b: Vec<u8>| panic!("expected {N} bytes, got {}", b.len()))
}

#[test]
fn derives_signs_and_verifies_the_rfc_8032_section_7_1_vectors() {
    for v in &RFC_8032_7_1 {
        let secret: [u8; 32] = array(v.secret);
        let public: [u8; 32] = array(v.public);
        let signature: [u8; 64] = array(v.signature);
        let message = hex::decode(v.message).expect("hex");
        assert_eq!(ed25519_public(&secret), public, "{}: public key", v.name);
        assert_eq!(ed25519_sign(&secret, &message), signature, "{}: signature", v.name);
        assert_eq!(ed25519_verify(&public, &message, &signature), Ok(()), "{}: verify", v.name);
    }
}

#[test]
fn rejects_every_single_bit_change_of_the_rfc_vectors() {
    for v in &RFC_8032_7_1 {
        let public: [u8; 32] = array(v.public);
        let signature: [u8; 64] = array(v.signature);
        let message = hex::decode(v.message).expect("hex");
        for bit in 0..512 {
            let mut bad = signature;
            bad[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                ed25519_verify(&public, &message, &bad),
                Err(PrimitiveError::InvalidSignature),
                "{}: signature bit {bit}",
                v.name
            );
        }
        for bit in 0..256 {
            let mut bad = public;
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(ed25519_verify(&bad, &message, &signature).is_err(), "{}: public key bit {bit}", v.name);
        }
        let mut longer = message.clone();
        longer.push(0);
        assert!(ed25519_verify(&public, &longer, &signature).is_err(), "{}: message with a byte added", v.name);
    }
}

/// Strict verification: the identity point as public key and as `R`, with `S = 0`, satisfies the unstrict
/// equation `[S]B = R + [k]A` for every message; strict verification must refuse it.
#[test]
fn rejects_the_small_order_identity_forgery() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut signature = [0u8; 64];
    signature[0] = 1;
    for message in [&b""[..], b"any message at all", b"cinder-ses-v1 device"] {
        assert_eq!(ed25519_verify(&identity, message, &signature), Err(PrimitiveError::InvalidSignature));
    }
}

/// Strict verification: `S` must be below the group order L; adding L to a valid `S` keeps the equation true
/// but makes the signature malleable, so it is refused.
#[test]
fn rejects_a_non_canonical_s() {
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let v = &RFC_8032_7_1[0];
    let public: [u8; 32] = array(v.public);
    let mut signature: [u8; 64] = array(v.signature);
    let mut carry = 0u16;
    for (s, l) in signature[32..].iter_mut().zip(L) {
        let sum = u16::from(*s) + u16::from(l) + carry;
        *s = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L fits in 256 bits for this vector");
    assert_eq!(ed25519_verify(&public, b"", &signature), Err(PrimitiveError::InvalidSignature));
}

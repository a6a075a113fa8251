//! Ed25519 signatures that break the rules of SES-012, for the `signature-strictness` group.
//!
//! Everything here is computed with curve25519-dalek's group arithmetic and SHA-512 directly, from
//! RFC 8032's definitions, never with a verifier: the point of these signatures is what verifiers
//! do with them. The small-order points are not written out either: they are found as `[L]P` for a
//! point `P` of order `8L` decoded from a small `y`, and its multiples.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};
use sha2::{Digest, Sha512};

/// The group order `L`, little-endian (RFC 8032 section 5.1).
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// The field prime `p = 2^255 - 19`, little-endian.
const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// One way of breaking SES-012, on a signature whose verifying key and statement the caller picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Forgery {
    /// A genuine signature with `S + L` in place of `S` (rule 1; a verifier that reduces `S`).
    SPlusL,
    /// A genuine signature with bit 255 of `S` set (rule 1; a verifier that masks the top bits).
    STopBit,
    /// A genuine signature with bits 253..255 of `S` set (rule 1).
    STopThreeBits,
    /// `A` and `R` the identity, `S = L` (rules 1, 3, 4).
    SEqualsL,
    /// `A` the identity, `R` the base point, `S = L + 1` (rules 1, 4).
    SEqualsLPlusOne,
    /// `A` and `R` the identity, `S = 0`: valid for every message under a verifier without the
    /// small-order checks (rules 3, 4).
    IdentityPoints,
    /// `A` the identity, `R` the base point, `S = 1`: valid for every message under a verifier that
    /// checks `[L]A` but not `[8]A` (rule 4 alone).
    IdentityKey,
    /// The signer's own key, `R` the small-order point of this index, `S = k * a` (rule 3 alone;
    /// with index 0, `R` the identity, the cofactorless equation holds).
    SmallOrderR(usize),
    /// As `SmallOrderR` with the non-canonical encoding of this index as `R` (rules 2, 3).
    NonCanonicalR(usize),
    /// `A` the small-order point of this index (1..8), `R` the identity, `S = 0`, on a statement
    /// for which `[k]A` is the identity (rules 3, 4).
    SmallOrderA(usize),
    /// As `SmallOrderA` with the non-canonical encoding of this index as `A` (rules 2, 3, 4).
    NonCanonicalA(usize),
    /// `A = [a]B + T` for the small-order point `T` of this index (1..8), a genuine `R = [r]B` and
    /// `S = r + k * a`, on a statement for which `[k]T` is the identity: the cofactorless equation
    /// holds, and only the prime-order-subgroup rule (4) refuses it.
    MixedOrderA(usize),
    /// The signer's own key, `R = [r]B + T` for the small-order point `T` of this index (1..8), and
    /// `S = r + k * a` with `k` over that `R`: the cofactored equation holds, the cofactorless one
    /// (rule 5) does not, and no other rule is broken.
    MixedOrderR(usize),
}

impl Forgery {
    /// Every forgery, in the group's order.
    pub(super) fn all() -> Vec<Self> {
        let mut all = vec![Self::SPlusL, Self::STopBit, Self::STopThreeBits, Self::SEqualsL, Self::SEqualsLPlusOne];
        all.extend([Self::IdentityPoints, Self::IdentityKey]);
        all.extend((0..8).map(Self::SmallOrderR));
        all.extend((0..NON_CANONICAL).map(Self::NonCanonicalR));
        all.extend((1..8).map(Self::SmallOrderA));
        all.extend((0..NON_CANONICAL).map(Self::NonCanonicalA));
        all.extend((1..8).map(Self::MixedOrderA));
        all.extend((1..8).map(Self::MixedOrderR));
        all
    }

    /// A case-ID fragment.
    pub(super) fn name(self) -> String {
        match self {
            Self::SPlusL => "s-plus-l".into(),
            Self::STopBit => "s-top-bit-set".into(),
            Self::STopThreeBits => "s-top-three-bits-set".into(),
            Self::SEqualsL => "s-equals-l".into(),
            Self::SEqualsLPlusOne => "s-equals-l-plus-one".into(),
            Self::IdentityPoints => "identity-forgery".into(),
            Self::IdentityKey => "key-identity-r-base-point".into(),
            Self::SmallOrderR(i) => format!("r-small-order-{}", point_name(i)),
            Self::NonCanonicalR(i) => format!("r-non-canonical-{}", non_canonical_name(i)),
            Self::SmallOrderA(i) => format!("key-small-order-{}", point_name(i)),
            Self::NonCanonicalA(i) => format!("key-non-canonical-{}", non_canonical_name(i)),
            Self::MixedOrderA(i) => format!("key-mixed-order-{}", point_name(i)),
            Self::MixedOrderR(i) => format!("r-mixed-order-{}", point_name(i)),
        }
    }

    /// What the case's comment says of the signature.
    pub(super) fn describe(self) -> String {
        match self {
            Self::SPlusL => "a genuine signature with S replaced by S + L (S >= L; the equation holds mod L)".into(),
            Self::STopBit => "a genuine signature with bit 255 of S set".into(),
            Self::STopThreeBits => "a genuine signature with bits 253, 254 and 255 of S set".into(),
            Self::SEqualsL => "the identity point as key and R, S = L".into(),
            Self::SEqualsLPlusOne => "the identity point as key, R the base point, S = L + 1".into(),
            Self::IdentityPoints => {
                "the identity point as key and R, S = 0 (verifies for every message without the small-order checks)"
                    .into()
            }
            Self::IdentityKey => {
                "the identity point as key, R the base point, S = 1 (verifies for every message without the [8]A check)"
                    .into()
            }
            Self::SmallOrderR(i) => format!("the genuine key, R the {}, S = k * a", point_description(i)),
            Self::NonCanonicalR(i) => format!("the genuine key, R {}, S = k * a", non_canonical_description(i)),
            Self::SmallOrderA(i) => {
                format!("the {} as key, R the identity, S = 0, with [k]A the identity", point_description(i))
            }
            Self::NonCanonicalA(i) => {
                format!("{} as key, R the identity, S = 0, with [k]A the identity", non_canonical_description(i))
            }
            Self::MixedOrderA(i) => format!(
                "a mixed-order key [a]B + T, T the {}, with a signature for which [k]T is the identity (the cofactorless equation holds)",
                point_description(i)
            ),
            Self::MixedOrderR(i) => format!(
                "the genuine key, R = [r]B + T with T the {}, S = r + k * a (only the cofactored equation holds)",
                point_description(i)
            ),
        }
    }

    /// The rules of SES-012 the signature breaks (numbered as there).
    pub(super) fn rules(self) -> &'static str {
        match self {
            Self::SPlusL | Self::STopBit | Self::STopThreeBits => "rule 1",
            Self::SEqualsL => "rules 1, 3 and 4",
            Self::SEqualsLPlusOne => "rules 1 and 4",
            Self::IdentityPoints | Self::SmallOrderA(_) => "rules 3 and 4",
            Self::SmallOrderR(_) => "rule 3",
            Self::NonCanonicalR(_) => "rules 2 and 3",
            Self::NonCanonicalA(_) => "rules 2, 3 and 4",
            Self::IdentityKey | Self::MixedOrderA(_) => "rule 4",
            Self::MixedOrderR(_) => "rule 5",
        }
    }
}

/// A signer's secrets as RFC 8032 section 5.1.5 derives them from the 32-byte seed.
struct Expanded {
    scalar: Scalar,
    prefix: [u8; 32],
    public: [u8; 32],
}

fn expand(seed: &[u8; 32]) -> Expanded {
    let h = Sha512::digest(seed);
    let mut lower = [0u8; 32];
    lower.copy_from_slice(&h[..32]);
    lower[0] &= 248;
    lower[31] &= 127;
    lower[31] |= 64;
    let scalar = Scalar::from_bytes_mod_order(lower);
    let mut prefix = [0u8; 32];
    prefix.copy_from_slice(&h[32..]);
    Expanded { scalar, prefix, public: EdwardsPoint::mul_base(&scalar).compress().to_bytes() }
}

fn hash_scalar(parts: &[&[u8]]) -> Scalar {
    let mut h = Sha512::new();
    for part in parts {
        h.update(part);
    }
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&h.finalize());
    Scalar::from_bytes_mod_order_wide(&wide)
}

fn signature(r: &[u8; 32], s: &[u8; 32]) -> [u8; 64] {
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(r);
    sig[32..].copy_from_slice(s);
    sig
}

/// Little-endian 256-bit addition (no carry out: every use stays below 2^255).
fn add256(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
    out
}

fn one() -> [u8; 32] {
    let mut one = [0u8; 32];
    one[0] = 1;
    one
}

/// The eight points of small order, canonical encodings, as `[i]T` for a generator `T` of the
/// torsion subgroup: index 0 the identity, 4 the point of order 2, 2 and 6 of order 4, the odd ones
/// of order 8.
fn torsion() -> [EdwardsPoint; 8] {
    // [L]P for a point P of order 8L: (L - 1) * P + P, since Scalar arithmetic is mod L.
    let minus_one = Scalar::ZERO - Scalar::ONE;
    let generator = (2u8..)
        .filter_map(|y| {
            let mut bytes = [0u8; 32];
            bytes[0] = y;
            CompressedEdwardsY(bytes).decompress()
        })
        .map(|p| p * minus_one + p)
        .find(|t| !doubled(*t, 2).is_identity())
        .unwrap_or_else(|| unreachable!("a point of order 8L has a small y"));
    let mut points = [EdwardsPoint::identity(); 8];
    for i in 1..8 {
        points[i] = points[i - 1] + generator;
    }
    points
}

/// `[2^n]p`.
fn doubled(p: EdwardsPoint, n: u32) -> EdwardsPoint {
    (0..n).fold(p, |q, _| q + q)
}

fn point_name(i: usize) -> &'static str {
    [
        "identity",
        "order-8-point-1",
        "order-4-point-1",
        "order-8-point-2",
        "order-2",
        "order-8-point-3",
        "order-4-point-2",
        "order-8-point-4",
    ][i]
}

fn point_description(i: usize) -> &'static str {
    [
        "identity point",
        "first point of order 8",
        "first point of order 4",
        "second point of order 8",
        "point of order 2, (0, -1)",
        "third point of order 8",
        "second point of order 4",
        "fourth point of order 8",
    ][i]
}

/// The encodings of small-order points that are not canonical: `y >= p` (only `y + p < 2^255` is
/// possible, so `y` of 0 or 1), or the sign bit set where `x = 0`.
const NON_CANONICAL: usize = 6;

fn non_canonical(i: usize) -> [u8; 32] {
    let mut one_plus_p = P;
    one_plus_p[0] += 1;
    let mut minus_one = P;
    minus_one[0] -= 1;
    let mut bytes = [one_plus_p, one(), one_plus_p, minus_one, P, P][i];
    if matches!(i, 1 | 2 | 3 | 5) {
        bytes[31] |= 0x80;
    }
    bytes
}

fn non_canonical_name(i: usize) -> &'static str {
    [
        "identity-y-plus-p",
        "identity-sign-set",
        "identity-y-plus-p-sign-set",
        "order-2-sign-set",
        "order-4-y-plus-p",
        "order-4-y-plus-p-sign-set",
    ][i]
}

fn non_canonical_description(i: usize) -> &'static str {
    [
        "the identity encoded with y = p + 1",
        "the identity encoded with the sign bit set (x = -0)",
        "the identity encoded with y = p + 1 and the sign bit set",
        "the point of order 2 encoded with the sign bit set (x = -0)",
        "a point of order 4 encoded with y = p",
        "the other point of order 4 encoded with y = p",
    ][i]
}

/// The point a lenient decoder makes of a non-canonical encoding (`y` reduced mod `p`, the sign of
/// `x = 0` ignored): curve25519-dalek's decoder is such a decoder.
fn lax_decode(bytes: &[u8; 32]) -> EdwardsPoint {
    CompressedEdwardsY(*bytes).decompress().unwrap_or_else(|| unreachable!("small-order encodings decode"))
}

/// The signature of `forgery` over `statement`, by the signer whose seed is `seed`, and the verifying
/// key it is to be checked with; `None` when the statement does not suit `forgery` (the key
/// forgeries need one whose `k` kills the torsion point): the caller then offers another.
pub(super) fn forge(forgery: Forgery, seed: &[u8; 32], statement: &[u8]) -> Option<([u8; 32], [u8; 64])> {
    let signer = expand(seed);
    let identity = EdwardsPoint::identity().compress().to_bytes();
    let zero = [0u8; 32];
    let genuine = || {
        let r = hash_scalar(&[&signer.prefix, statement]);
        let big_r = EdwardsPoint::mul_base(&r).compress().to_bytes();
        let k = hash_scalar(&[&big_r, &signer.public, statement]);
        (big_r, (r + k * signer.scalar).to_bytes())
    };
    let torsion = torsion();
    let small = |i: usize| torsion[i].compress().to_bytes();
    // S = k * a for R given: [S]B - [k]A is the identity, so R must be the identity (cofactorless).
    let with_r = |big_r: [u8; 32]| {
        let k = hash_scalar(&[&big_r, &signer.public, statement]);
        (signer.public, signature(&big_r, &(k * signer.scalar).to_bytes()))
    };
    // R the identity, S = 0, for a key whose [k]A must be the identity.
    let key_forgery = |key: [u8; 32], point: EdwardsPoint| {
        let k = hash_scalar(&[&identity, &key, statement]);
        (point * k).is_identity().then_some((key, signature(&identity, &zero)))
    };
    let forged = match forgery {
        Forgery::SPlusL => {
            let (r, s) = genuine();
            (signer.public, signature(&r, &add256(&s, &L)))
        }
        Forgery::STopBit | Forgery::STopThreeBits => {
            let (r, mut s) = genuine();
            s[31] |= if forgery == Forgery::STopBit { 0x80 } else { 0xe0 };
            (signer.public, signature(&r, &s))
        }
        Forgery::SEqualsL => (identity, signature(&identity, &L)),
        Forgery::SEqualsLPlusOne => {
            let base = EdwardsPoint::mul_base(&Scalar::ONE).compress().to_bytes();
            (identity, signature(&base, &add256(&L, &one())))
        }
        Forgery::IdentityPoints => (identity, signature(&identity, &zero)),
        Forgery::IdentityKey => {
            let base = EdwardsPoint::mul_base(&Scalar::ONE).compress().to_bytes();
            (identity, signature(&base, &one()))
        }
        Forgery::SmallOrderR(i) => with_r(small(i)),
        Forgery::NonCanonicalR(i) => with_r(non_canonical(i)),
        Forgery::SmallOrderA(i) => return key_forgery(small(i), torsion[i]),
        Forgery::NonCanonicalA(i) => return key_forgery(non_canonical(i), lax_decode(&non_canonical(i))),
        Forgery::MixedOrderA(i) => {
            let key = (EdwardsPoint::mul_base(&signer.scalar) + torsion[i]).compress().to_bytes();
            let r = hash_scalar(&[&signer.prefix, statement]);
            let big_r = EdwardsPoint::mul_base(&r).compress().to_bytes();
            let k = hash_scalar(&[&big_r, &key, statement]);
            if !(torsion[i] * k).is_identity() {
                return None;
            }
            (key, signature(&big_r, &(r + k * signer.scalar).to_bytes()))
        }
        Forgery::MixedOrderR(i) => {
            let r = hash_scalar(&[&signer.prefix, statement]);
            let big_r = (EdwardsPoint::mul_base(&r) + torsion[i]).compress().to_bytes();
            let k = hash_scalar(&[&big_r, &signer.public, statement]);
            (signer.public, signature(&big_r, &(r + k * signer.scalar).to_bytes()))
        }
    };
    Some(forged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torsion_points_have_the_orders_their_names_say() {
        let t = torsion();
        for (i, point) in t.iter().enumerate() {
            let order = (0..4).map(|n| doubled(*point, n)).position(|p| p.is_identity()).map(|n| 1 << n);
            let want = match i {
                0 => 1,
                4 => 2,
                2 | 6 => 4,
                _ => 8,
            };
            assert_eq!(order, Some(want), "{}", point_name(i));
            assert!(point_name(i).contains(&format!("order-{want}")) || i == 0);
        }
    }

    #[test]
    fn non_canonical_encodings_decode_to_small_order_points_and_re_encode_otherwise() {
        for i in 0..NON_CANONICAL {
            let bytes = non_canonical(i);
            let point = lax_decode(&bytes);
            assert!(point.is_small_order(), "{}", non_canonical_name(i));
            assert_ne!(point.compress().to_bytes(), bytes, "{}", non_canonical_name(i));
        }
    }

    #[test]
    fn genuine_signature_matches_rfc_8032_signing() {
        let seed = [7u8; 32];
        let statement = b"statement";
        let (key, sig) = forge(Forgery::SPlusL, &seed, statement).unwrap_or_else(|| unreachable!());
        let reference = cinder::session::SigningSecret::from_bytes(seed);
        assert_eq!(key, reference.public_key());
        // S + L - L = S: the genuine signature is the reference's.
        let dalek = ed25519_dalek_sign(&seed, statement);
        assert_eq!(sig[..32], dalek[..32]);
        assert_eq!(add256(&dalek[32..].try_into().unwrap_or_default(), &L), sig[32..]);
    }

    fn ed25519_dalek_sign(seed: &[u8; 32], msg: &[u8]) -> [u8; 64] {
        cinder::primitives::ed25519_sign(seed, msg)
    }
}

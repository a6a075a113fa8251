//! The identity chain (spec/session.md section 3): device certificates and signed prekeys.

use alloc::vec::Vec;

use super::{DEVICE_LABEL, ID_MAX_LEN, Id, KEY_LEN, PREKEY_LABEL, SIGNATURE_LEN, SessionError, SigningSecret};
use crate::codec::{BufferTooSmall, Reader, Writer};
use crate::primitives;

/// How a signature of the chain is checked: strictly (SES-012), or, for the conformance kit's broken
/// adapter only, leniently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignatureCheck {
    Strict,
    #[cfg(feature = "fault-injection")]
    Lenient,
}

impl SignatureCheck {
    fn verify(self, public: &[u8; KEY_LEN], msg: &[u8], signature: &[u8; SIGNATURE_LEN]) -> Result<(), SessionError> {
        let checked = match self {
            Self::Strict => primitives::ed25519_verify(public, msg, signature),
            #[cfg(feature = "fault-injection")]
            Self::Lenient => primitives::ed25519_verify_lenient_for_testing_only(public, msg, signature),
        };
        checked.map_err(|_| SessionError::AuthenticationFailed)
    }
}

/// Longest statement either kind of signature covers (label, two IDs, keys, times).
const MAX_STATEMENT_LEN: usize = 20 + 2 * (1 + ID_MAX_LEN) + 2 * KEY_LEN + 16;

/// A device certificate: the account's root key vouches for a device's keys (SES-010).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Certificate {
    account: Id,
    device: Id,
    identity_key: [u8; KEY_LEN],
    signing_key: [u8; KEY_LEN],
    not_before: u64,
    not_after: u64,
    signature: [u8; SIGNATURE_LEN],
}

impl Certificate {
    /// Shortest encoding: one-byte IDs.
    pub const MIN_LEN: usize = 2 + 2 + 2 * KEY_LEN + 16 + SIGNATURE_LEN;
    /// Longest encoding: 64-byte IDs.
    pub const MAX_LEN: usize = 2 * (1 + ID_MAX_LEN) + 2 * KEY_LEN + 16 + SIGNATURE_LEN;

    /// Signs a certificate for `device` of `account` with the account's root key.
    #[must_use]
    pub fn issue(
        root: &SigningSecret,
        account: &Id,
        device: &Id,
        identity_key: [u8; KEY_LEN],
        signing_key: [u8; KEY_LEN],
        not_before: u64,
        not_after: u64,
    ) -> Self {
        let mut cert = Self {
            account: *account,
            device: *device,
            identity_key,
            signing_key,
            not_before,
            not_after,
            signature: [0u8; SIGNATURE_LEN],
        };
        let mut buf = [0u8; MAX_STATEMENT_LEN];
        let len = cert.statement(&mut buf);
        cert.signature = root.sign(&buf[..len]);
        cert
    }

    /// Decodes a certificate given on its own: nothing may follow the signature.
    ///
    /// # Errors
    /// `session.truncated`, `session.length_out_of_range` or `session.trailing_data` (SES-010).
    pub fn decode(bytes: &[u8]) -> Result<Self, SessionError> {
        let mut r = Reader::new(bytes);
        let cert = Self::read(&mut r)?;
        r.finish("certificate")?;
        Ok(cert)
    }

    /// Reads a certificate from the front of `r` (SES-010), field by field.
    pub(super) fn read(r: &mut Reader<'_>) -> Result<Self, SessionError> {
        Ok(Self {
            account: Id::read(r, "certificate account_id")?,
            device: Id::read(r, "certificate device_id")?,
            identity_key: r.array("certificate identity key")?,
            signing_key: r.array("certificate signing key")?,
            not_before: r.u64("certificate not_before")?,
            not_after: r.u64("certificate not_after")?,
            signature: r.array("certificate signature")?,
        })
    }

    /// Length of the encoding.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        2 + self.account.as_bytes().len() + self.device.as_bytes().len() + 2 * KEY_LEN + 16 + SIGNATURE_LEN
    }

    /// Everything the signature covers except the label: the encoding up to the signature.
    fn write_signed_fields(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        w.vec8(self.account.as_bytes())?;
        w.vec8(self.device.as_bytes())?;
        w.put(&self.identity_key)?;
        w.put(&self.signing_key)?;
        w.u64(self.not_before)?;
        w.u64(self.not_after)
    }

    pub(super) fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        self.write_signed_fields(w)?;
        w.put(&self.signature)
    }

    /// The encoding (SES-010).
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = alloc::vec![0u8; self.encoded_len()];
        let mut w = Writer::new(&mut out);
        if self.write(&mut w).is_err() {
            unreachable!("the buffer has the encoded length");
        }
        out
    }

    /// Writes the statement of SES-010 into `buf`; returns its length.
    fn statement(&self, buf: &mut [u8; MAX_STATEMENT_LEN]) -> usize {
        let mut w = Writer::new(buf);
        if w.put(DEVICE_LABEL).and_then(|()| self.write_signed_fields(&mut w)).is_err() {
            unreachable!("a statement fits MAX_STATEMENT_LEN");
        }
        w.len()
    }

    /// Verifies this certificate for `account` and `device` with the account's `root_key` at `now`,
    /// in the order of SES-014.
    ///
    /// # Errors
    /// `session.wrong_account`, `session.wrong_device`, `session.authentication_failed` or
    /// `session.expired`, the first check that fails.
    pub fn verify(&self, root_key: &[u8; KEY_LEN], account: &Id, device: &Id, now: u64) -> Result<(), SessionError> {
        self.verify_with(SignatureCheck::Strict, root_key, account, device, now)
    }

    pub(crate) fn verify_with(
        &self,
        check: SignatureCheck,
        root_key: &[u8; KEY_LEN],
        account: &Id,
        device: &Id,
        now: u64,
    ) -> Result<(), SessionError> {
        if self.account != *account {
            return Err(SessionError::WrongAccount);
        }
        if self.device != *device {
            return Err(SessionError::WrongDevice);
        }
        let mut buf = [0u8; MAX_STATEMENT_LEN];
        let len = self.statement(&mut buf);
        check.verify(root_key, &buf[..len], &self.signature)?;
        if !self.in_force(now) {
            return Err(SessionError::Expired);
        }
        Ok(())
    }

    /// Whether `not_before <= now < not_after` (SES-013).
    #[must_use]
    pub const fn in_force(&self, now: u64) -> bool {
        self.not_before <= now && now < self.not_after
    }

    /// The account it certifies a device of.
    #[must_use]
    pub const fn account(&self) -> &Id {
        &self.account
    }

    /// The device it certifies.
    #[must_use]
    pub const fn device(&self) -> &Id {
        &self.device
    }

    /// The device's X25519 identity key `IK`.
    #[must_use]
    pub const fn identity_key(&self) -> &[u8; KEY_LEN] {
        &self.identity_key
    }

    /// The device's Ed25519 signing key `DSK`.
    #[must_use]
    pub const fn signing_key(&self) -> &[u8; KEY_LEN] {
        &self.signing_key
    }

    /// First second it is in force.
    #[must_use]
    pub const fn not_before(&self) -> u64 {
        self.not_before
    }

    /// First second it is no longer in force.
    #[must_use]
    pub const fn not_after(&self) -> u64 {
        self.not_after
    }
}

/// A signed prekey: a device vouches for one of its X25519 prekeys (SES-011).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedPrekey {
    id: u32,
    public: [u8; KEY_LEN],
    not_after: u64,
    signature: [u8; SIGNATURE_LEN],
}

impl SignedPrekey {
    /// Length of the encoding.
    pub const LEN: usize = 4 + KEY_LEN + 8 + SIGNATURE_LEN;

    /// Signs prekey `id` of `device` of `account` with the device signing key.
    #[must_use]
    pub fn sign(
        device_key: &SigningSecret,
        account: &Id,
        device: &Id,
        id: u32,
        public: [u8; KEY_LEN],
        not_after: u64,
    ) -> Self {
        let mut prekey = Self { id, public, not_after, signature: [0u8; SIGNATURE_LEN] };
        let mut buf = [0u8; MAX_STATEMENT_LEN];
        let len = prekey.statement(account, device, &mut buf);
        prekey.signature = device_key.sign(&buf[..len]);
        prekey
    }

    /// Decodes a signed prekey (SES-011).
    ///
    /// # Errors
    /// `session.truncated` or `session.trailing_data`.
    pub fn decode(bytes: &[u8]) -> Result<Self, SessionError> {
        let mut r = Reader::new(bytes);
        let prekey = Self {
            id: r.u32("signed prekey id")?,
            public: r.array("signed prekey key")?,
            not_after: r.u64("signed prekey not_after")?,
            signature: r.array("signed prekey signature")?,
        };
        r.finish("signed prekey")?;
        Ok(prekey)
    }

    /// The encoding (SES-011).
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = alloc::vec![0u8; Self::LEN];
        let mut w = Writer::new(&mut out);
        let written = w
            .u32(self.id)
            .and_then(|()| w.put(&self.public))
            .and_then(|()| w.u64(self.not_after))
            .and_then(|()| w.put(&self.signature));
        if written.is_err() {
            unreachable!("the buffer has the encoded length");
        }
        out
    }

    fn statement(&self, account: &Id, device: &Id, buf: &mut [u8; MAX_STATEMENT_LEN]) -> usize {
        let mut w = Writer::new(buf);
        let written = w
            .put(PREKEY_LABEL)
            .and_then(|()| w.vec8(account.as_bytes()))
            .and_then(|()| w.vec8(device.as_bytes()))
            .and_then(|()| w.u32(self.id))
            .and_then(|()| w.put(&self.public))
            .and_then(|()| w.u64(self.not_after));
        if written.is_err() {
            unreachable!("a statement fits MAX_STATEMENT_LEN");
        }
        w.len()
    }

    /// Verifies this prekey as one of `device` of `account`, with that device's signing key, at
    /// `now` (SES-015).
    ///
    /// # Errors
    /// `session.authentication_failed`, then `session.expired`.
    pub fn verify(&self, signing_key: &[u8; KEY_LEN], account: &Id, device: &Id, now: u64) -> Result<(), SessionError> {
        self.verify_with(SignatureCheck::Strict, signing_key, account, device, now)
    }

    pub(crate) fn verify_with(
        &self,
        check: SignatureCheck,
        signing_key: &[u8; KEY_LEN],
        account: &Id,
        device: &Id,
        now: u64,
    ) -> Result<(), SessionError> {
        let mut buf = [0u8; MAX_STATEMENT_LEN];
        let len = self.statement(account, device, &mut buf);
        check.verify(signing_key, &buf[..len], &self.signature)?;
        if !self.in_force(now) {
            return Err(SessionError::Expired);
        }
        Ok(())
    }

    /// Whether `now < not_after` (SES-013).
    #[must_use]
    pub const fn in_force(&self, now: u64) -> bool {
        now < self.not_after
    }

    /// The prekey ID.
    #[must_use]
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// The X25519 public key `SPK`.
    #[must_use]
    pub const fn public_key(&self) -> &[u8; KEY_LEN] {
        &self.public
    }

    /// First second it is no longer in force.
    #[must_use]
    pub const fn not_after(&self) -> u64 {
        self.not_after
    }
}

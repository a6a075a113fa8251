"""Device sessions (spec/session.md): the identity chain, the handshake, the per-message ratchet,
the lifecycle, and the two operations `session.handshake` and `session.scenario`.

Layers, bottom up: encodings (`Certificate`, `SignedPrekey`, `InitMessage`, session headers), the
handshake (`initiate`, `respond`, a `PrekeyStore`), the ratchet (`Session`), and `Network`, the
accounts and devices of a scenario (SES-060..SES-081). Envelopes are sealed and opened with
`envelope.py`'s functions (SES-049).
"""

from __future__ import annotations

from . import ed25519, envelope
from .args import U32, U64, BadRequest, Fields, Refused, read_events
from .primitives import Reader, ct_equal, hkdf, hkdf_expand, hmac_sha256, sha256, u8, u16, u32, u64, vec8, x25519
from .primitives import x25519_public

VERSION = SUITE = 0x01
FLAG_ONE_TIME_PREKEY = 0x01
WINDOW = 64  # SES-043
MAX_MESSAGES = 65_536  # SES-046
REKEY_AFTER = 604_800  # SES-047


def fail(kind: str) -> Refused:
    return Refused("session." + kind)


# --- The identity chain (section 3) -------------------------------------------------------------


class Certificate:
    """SES-010: vec8(account) || vec8(device) || IK || DSK || u64(not_before) || u64(not_after) || sig."""

    @classmethod
    def read(cls, r: Reader) -> "Certificate":
        c = cls()
        start = r.pos
        c.account, c.device = r.vec8(), r.vec8()
        c.identity_key, c.signing_key = r.take(32), r.take(32)
        c.not_before, c.not_after = r.int(8), r.int(8)
        c.signed = r.data[start : r.pos]
        c.signature = r.take(64)
        c.encoding = c.signed + c.signature
        return c

    @classmethod
    def decode(cls, data: bytes) -> "Certificate":
        r = Reader(data, fail)
        c = cls.read(r)
        r.finish()
        return c

    def verify(self, root_key: bytes, account: bytes, device: bytes, now: int):
        """SES-014, in order."""
        if self.account != account:
            raise fail("wrong_account")
        if self.device != device:
            raise fail("wrong_device")
        if not ed25519.verify(root_key, b"cinder-ses-v1 device" + self.signed, self.signature):
            raise fail("authentication_failed")
        if not self.not_before <= now < self.not_after:
            raise fail("expired")


class SignedPrekey:
    """SES-011: u32(id) || SPK || u64(not_after) || signature."""

    @classmethod
    def decode(cls, data: bytes) -> "SignedPrekey":
        r = Reader(data, fail)
        s = cls()
        s.id, s.key, s.not_after, s.signature = r.int(4), r.take(32), r.int(8), r.take(64)
        r.finish()
        return s

    def verify(self, signing_key: bytes, account: bytes, device: bytes, now: int):
        """SES-015: the signature over the statement naming account and device, then in force."""
        statement = b"cinder-ses-v1 prekey" + vec8(account) + vec8(device) + u32(self.id) + self.key + u64(self.not_after)
        if not ed25519.verify(signing_key, statement, self.signature):
            raise fail("authentication_failed")
        if now >= self.not_after:
            raise fail("expired")


# --- The handshake (section 4) ------------------------------------------------------------------


class InitMessage:
    """SES-020, SES-021."""

    @classmethod
    def decode(cls, data: bytes) -> "InitMessage":
        r = Reader(data, fail)
        if r.int(1) != VERSION:
            raise fail("unknown_version")
        if r.int(1) != SUITE:
            raise fail("unknown_suite")
        flags = r.int(1)
        if flags & ~FLAG_ONE_TIME_PREKEY:
            raise fail("reserved_bits")
        m = cls()
        m.initiator = Certificate.read(r)
        m.account, m.device, m.spk_id = r.vec8(), r.vec8(), r.int(4)
        m.opk_id = r.int(4) if flags & FLAG_ONE_TIME_PREKEY else None
        m.ephemeral, m.confirm = r.take(32), r.take(32)
        r.finish()
        return m

    @staticmethod
    def encode(initiator: bytes, account, device, spk_id, opk_id, ephemeral, confirm) -> bytes:
        flags = FLAG_ONE_TIME_PREKEY if opk_id is not None else 0
        opk = u32(opk_id) if opk_id is not None else b""
        return bytes([VERSION, SUITE, flags]) + initiator + vec8(account) + vec8(device) + u32(spk_id) + opk + ephemeral + confirm


def dh(secret: bytes, public: bytes) -> bytes:
    """SES-023: an all-zero output (a public key of small order) is refused."""
    try:
        out = x25519(secret, public)
    except ValueError:  # the library refuses the all-zero output itself
        raise fail("invalid_key") from None
    if out == bytes(32):
        raise fail("invalid_key")
    return out


def party(cert: Certificate, root_key: bytes) -> bytes:
    return vec8(cert.account) + vec8(cert.device) + root_key + cert.signing_key + cert.identity_key


def transcript(a: bytes, b: bytes, spk_id, spk, opk, ephemeral) -> bytes:
    """SES-022. `a`, `b`: the parties' encodings; `opk`: (id, key) or None."""
    tail = u8(FLAG_ONE_TIME_PREKEY) + u32(opk[0]) + opk[1] if opk else u8(0)
    return sha256(b"cinder-ses-v1 transcript" + u8(SUITE) + a + b + u32(spk_id) + spk + tail + ephemeral)


def schedule(th: bytes, dhs: list) -> dict:
    """SES-024."""
    okm = hkdf(th, b"".join(dhs), b"cinder-ses-v1 keys", 112)
    keys = {"ck_ab": okm[:32], "ck_ba": okm[32:64], "kc": okm[64:96], "sid": okm[96:112]}
    keys["confirm"] = hmac_sha256(keys["kc"], b"cinder-ses-v1 confirm" + th)
    return keys


def initiate(me: dict, bundle: dict, ephemeral_secret: bytes, now: int):
    """SES-025. `me`: cert (Certificate), root_key, secret; `bundle`: account, device, root_key,
    certificate and signed_prekey (encodings), one_time (id, key) or None.
    Returns (init message, Session, trace)."""
    cert = Certificate.decode(bundle["certificate"])
    cert.verify(bundle["root_key"], bundle["account"], bundle["device"], now)
    spk = SignedPrekey.decode(bundle["signed_prekey"])
    spk.verify(cert.signing_key, bundle["account"], bundle["device"], now)
    ephemeral = x25519_public(ephemeral_secret)
    dhs = [dh(me["secret"], spk.key), dh(ephemeral_secret, cert.identity_key), dh(ephemeral_secret, spk.key)]
    one_time = bundle["one_time"]
    if one_time:
        dhs.append(dh(ephemeral_secret, one_time[1]))
    th = transcript(party(me["cert"], me["root_key"]), party(cert, bundle["root_key"]), spk.id, spk.key, one_time, ephemeral)
    keys = schedule(th, dhs)
    message = InitMessage.encode(
        me["cert"].encoding, bundle["account"], bundle["device"], spk.id, one_time[0] if one_time else None,
        ephemeral, keys["confirm"],
    )
    session = Session(keys["sid"], 0, bundle["account"], bundle["device"], now, keys["ck_ab"], keys["ck_ba"])
    return message, session, {"dh": dhs, "th": th, **keys}


class PrekeyStore:
    """A responder's prekeys: signed (id -> [secret, public, not_after, accepted session IDs]),
    one-time (id -> secret) and the IDs of used one-time prekeys (SES-016, SES-028)."""

    def __init__(self):
        self.signed: dict[int, list] = {}
        self.one_time: dict[int, bytes] = {}
        self.used: set[int] = set()


def respond(me: dict, store: PrekeyStore, m: InitMessage, initiator_root: bytes, now: int) -> "Session":
    """SES-026 steps 2..9 (step 1 is `InitMessage.decode`); nothing changes unless all pass."""
    if m.account != me["cert"].account or m.device != me["cert"].device:
        raise fail("wrong_device")
    a = m.initiator
    a.verify(initiator_root, a.account, a.device, now)
    if m.spk_id not in store.signed:
        raise fail("unknown_prekey")
    spk_secret, spk_public, not_after, accepted = store.signed[m.spk_id]
    if now >= not_after:
        raise fail("expired")
    one_time = None
    if m.opk_id is not None:
        if m.opk_id in store.used:
            raise fail("prekey_reused")
        if m.opk_id not in store.one_time:
            raise fail("unknown_prekey")
        one_time = store.one_time[m.opk_id]
    dhs = [dh(spk_secret, a.identity_key), dh(me["secret"], m.ephemeral), dh(spk_secret, m.ephemeral)]
    if one_time:
        dhs.append(dh(one_time, m.ephemeral))
    opk = (m.opk_id, x25519_public(one_time)) if one_time else None
    th = transcript(party(a, initiator_root), party(me["cert"], me["root_key"]), m.spk_id, spk_public, opk, m.ephemeral)
    keys = schedule(th, dhs)
    if not ct_equal(keys["confirm"], m.confirm):
        raise fail("authentication_failed")
    if keys["sid"] in accepted:
        raise fail("replay")
    accepted.add(keys["sid"])
    if m.opk_id is not None:
        del store.one_time[m.opk_id]
        store.used.add(m.opk_id)
    return Session(keys["sid"], 1, a.account, a.device, now, keys["ck_ba"], keys["ck_ab"])


# --- The ratchet (section 5) --------------------------------------------------------------------


def step(chain_key: bytes):
    """SES-040: (message key, next chain key)."""
    okm = hkdf_expand(chain_key, b"cinder-ses-v1 step", 64)
    return okm[:32], okm[32:]


def decode_header(data: bytes):
    """SES-041: (session ID, index)."""
    r = Reader(data, fail)
    sid, index = r.take(16), r.int(4)
    r.finish()
    return sid, index


class Session:
    """One end of a session. role: 0 initiator, 1 responder."""

    def __init__(self, sid, role, peer_account, peer_device, established_at, send_key, recv_key):
        self.sid, self.role = sid, role
        self.peer_account, self.peer_device = peer_account, peer_device
        self.established_at = established_at
        self.send_key, self.sent = send_key, 0  # send_key None: exhausted (SES-046)
        self.recv_key, self.next, self.received = recv_key, 0, 0
        self.skipped: dict[int, bytes] = {}

    def can_send(self, now: int):
        if now >= min(self.established_at + REKEY_AFTER, U64) or self.send_key is None:
            raise fail("rekey_required")  # SES-046, SES-047

    def send(self, now: int):
        """SES-042: (header, index, message key)."""
        self.can_send(now)
        index = self.sent
        key, self.send_key = step(self.send_key)
        self.sent += 1
        if self.sent == MAX_MESSAGES:
            self.send_key = None
        return self.sid + u32(index), index, key

    def receive(self, index: int):
        """SES-043 without changing anything: (message key, commit), where commit() applies SES-044."""
        nxt = self.next
        if index >= MAX_MESSAGES or (index >= nxt and index - nxt >= WINDOW):
            raise fail("too_far_ahead")
        if index < nxt:
            if nxt - index > WINDOW:
                raise fail("too_old")
            if self.received >> (nxt - 1 - index) & 1 or index not in self.skipped:
                raise fail("replay")

            def commit_skipped():
                del self.skipped[index]
                self.received |= 1 << (nxt - 1 - index)

            return self.skipped[index], commit_skipped
        chain, new = self.recv_key, {}
        for i in range(nxt, index):
            new[i], chain = step(chain)
        key, chain = step(chain)

        def commit_ahead():
            shift = index + 1 - nxt
            self.received = ((self.received << shift) & (2**64 - 1) if shift < 64 else 0) | 1
            self.next, self.recv_key = index + 1, chain
            floor = max(self.next - WINDOW, 0)
            self.skipped = {i: k for i, k in self.skipped.items() if i >= floor}
            self.skipped.update(new)

        return key, commit_ahead

    def state(self) -> bytes:
        """Its part of the checkpoint (SES-080)."""
        return (
            vec8(self.peer_account) + vec8(self.peer_device) + self.sid + u8(self.role)
            + u64(self.established_at) + u32(self.sent) + u32(self.next) + u64(self.received)
        )


# --- Accounts, devices and scenarios (sections 6, 7) --------------------------------------------

PENDING, MEMBER, REMOVED, TERMINATED = range(4)


class Device:
    def __init__(self, cert: Certificate, secret: bytes, spk: SignedPrekey, spk_secret: bytes, one_time, member):
        self.cert, self.secret, self.id = cert, secret, cert.device
        self.status = MEMBER if member else PENDING
        self.store = PrekeyStore()
        self.store.signed[spk.id] = [spk_secret, x25519_public(spk_secret), spk.not_after, set()]
        self.published_spk = spk.encoding
        self.published_one_time = {}
        for prekey_id, prekey_secret in one_time:
            if prekey_id in self.store.one_time:
                raise BadRequest(f"one-time prekey {prekey_id} is listed twice")
            self.store.one_time[prekey_id] = prekey_secret
            self.published_one_time[prekey_id] = x25519_public(prekey_secret)
        self.sessions: dict[tuple, Session] = {}  # (peer account, peer device) -> Session

    def holds(self) -> bool:
        return self.status in (PENDING, MEMBER)


class Network:
    """SES-060..SES-081: accounts (id -> [root key, terminated]) and devices, in the setup's order."""

    def __init__(self, accounts: list, devices: list):
        self.accounts: dict[bytes, list] = {}
        for account, root_key in accounts:
            if account in self.accounts:
                raise BadRequest("an account is listed twice")
            self.accounts[account] = [root_key, False]
        self.devices: dict[bytes, Device] = {}
        for device in devices:
            if device.id in self.devices:
                raise BadRequest("a device is listed twice")
            if device.cert.account not in self.accounts:
                raise BadRequest("a device belongs to an account that is not listed")
            self.devices[device.id] = device

    def device(self, device_id: bytes) -> Device:
        if device_id not in self.devices:
            raise fail("revoked")  # SES-066: a device the directory does not list is no member
        return self.devices[device_id]

    def member(self, device_id: bytes) -> Device:
        """SES-066: terminated before revoked."""
        d = self.device(device_id)
        if self.accounts[d.cert.account][1] or d.status == TERMINATED:
            raise fail("terminated")
        if d.status != MEMBER:
            raise fail("revoked")
        return d

    def key(self, d: Device):
        return (d.cert.account, d.id)

    def on_handshake(self, e, now):
        self.device(e["initiator"]), self.device(e["responder"])  # SES-066: an unknown device first
        i, r = self.member(e["initiator"]), self.member(e["responder"])
        if i is r:
            raise fail("wrong_device")  # SES-030
        opk = e["oneTimePrekey"]
        if opk is not None and opk not in r.published_one_time:
            raise fail("unknown_prekey")
        i_root, r_root = self.accounts[i.cert.account][0], self.accounts[r.cert.account][0]
        bundle = {
            "account": r.cert.account, "device": r.id, "root_key": r_root, "certificate": r.cert.encoding,
            "signed_prekey": r.published_spk, "one_time": (opk, r.published_one_time[opk]) if opk is not None else None,
        }
        message, initiator_session, _ = initiate({"cert": i.cert, "root_key": i_root, "secret": i.secret}, bundle, e["ephemeralSecret"], now)
        responder_session = respond({"cert": r.cert, "root_key": r_root, "secret": r.secret}, r.store, InitMessage.decode(message), i_root, now)
        replaced = self.key(i) in r.sessions
        r.sessions[self.key(i)] = responder_session
        replaced |= self.key(r) in i.sessions
        i.sessions[self.key(r)] = initiator_session
        return {"sessionId": initiator_session.sid.hex(), "initMessage": message.hex(), "replaced": replaced}

    def session_with(self, sender: Device, recipient: Device) -> Session:
        session = sender.sessions.get(self.key(recipient))
        if session is None:
            raise fail("closed")
        return session

    def send_one(self, e, now):
        self.device(e["from"]), self.device(e["to"])
        f, t = self.member(e["from"]), self.member(e["to"])
        header, index, key = self.session_with(f, t).send(now)
        return {"header": header.hex(), "index": index, "messageKey": key.hex()}

    def on_send(self, e, now):
        return self.send_one(e, now)

    def on_send_many(self, e, now):
        for _ in range(e["count"]):
            out = self.send_one(e, now)  # a refusal part-way keeps the sends before it (SES-081)
        return out

    def named_session(self, d: Device, header: bytes):
        sid, index = decode_header(header)
        session = next((s for s in d.sessions.values() if s.sid == sid), None)
        if session is None:
            raise fail("closed")
        return session, index

    def on_receive(self, e, now):
        t = self.member(e["to"])
        session, index = self.named_session(t, e["header"])
        key, commit = session.receive(index)
        commit()
        return {"index": index, "messageKey": key.hex()}

    def on_seal(self, e, now):
        f = self.member(e["from"])
        targets = [self.member(d) for d in e["to"]]
        sessions = [self.session_with(f, t) for t in targets]
        for s in sessions:
            s.can_send(now)
        h = {k: e[k] for k in ("messageId", "conversationId", "sentAt", "ttl", "padded")}
        h["senderDevice"] = f.id
        # The envelope's own checks first, with placeholder keys, so a refusal changes nothing.
        envelope.check_seal(h, e["bor"], e["contentType"], e["content"], [t.id for t in targets])
        sent = [s.send(now) for s in sessions]
        recipients = [(t.id, key) for t, (_, _, key) in zip(targets, sent)]
        env = envelope.seal(h, e["bor"], e["contentType"], e["content"], recipients, e["contentKey"])
        return {
            "envelope": env.hex(),
            "recipients": [
                {"device": t.id.hex(), "header": header.hex(), "messageKey": key.hex()}
                for t, (header, _, key) in zip(targets, sent)
            ],
        }

    def on_open(self, e, now):
        t = self.member(e["to"])
        session, index = self.named_session(t, e["header"])
        key, commit = session.receive(index)
        opened = envelope.open_envelope(e["envelope"], t.id, key)
        if opened["senderDevice"] != session.peer_device:
            raise fail("wrong_device")  # SES-049
        commit()
        return {"index": index, "bor": opened["bor"], "contentType": opened["contentType"], "content": opened["content"].hex()}

    def close_with(self, closes) -> int:
        count = 0
        for d in self.devices.values():
            if d.holds():
                for key in [k for k in d.sessions if closes(k)]:
                    del d.sessions[key]
                    count += 1
        return count

    def on_add_device(self, e, now):
        d = self.device(e["device"])
        if d.status == REMOVED:
            raise fail("revoked")
        if d.status == TERMINATED:
            raise fail("terminated")
        d.status = MEMBER
        return {"closed": 0}

    def on_remove_device(self, e, now):
        d = self.device(e["device"])
        if d.status == REMOVED:
            raise fail("revoked")
        if d.status == TERMINATED:
            raise fail("terminated")
        own = len(d.sessions)
        d.status, d.sessions = REMOVED, {}
        key = self.key(d)
        return {"closed": own + self.close_with(lambda k: k == key)}

    def account(self, account: bytes):
        if account not in self.accounts:
            raise fail("revoked")
        if self.accounts[account][1]:
            raise fail("terminated")

    def on_password_reset(self, e, now):
        self.account(e["account"])
        count = 0
        for d in self.devices.values():
            if d.cert.account == e["account"] and d.holds():
                count += len(d.sessions)
                d.sessions = {}
        return {"closed": count + self.close_with(lambda k: k[0] == e["account"])}

    def on_terminate(self, e, now):
        self.account(e["account"])
        count = 0
        for d in self.devices.values():
            if d.cert.account == e["account"]:
                count += len(d.sessions) if d.holds() else 0
                d.status, d.sessions = TERMINATED, {}
        self.accounts[e["account"]][1] = True
        return {"closed": count + self.close_with(lambda k: k[0] == e["account"])}

    def checkpoint(self) -> bytes:
        """SES-080."""
        out = b"cinder-ses-v1 checkpoint" + u16(len(self.accounts))
        for account, (_, terminated) in self.accounts.items():
            out += vec8(account) + u8(1 if terminated else 0)
        out += u16(len(self.devices))
        for d in self.devices.values():
            status = TERMINATED if self.accounts[d.cert.account][1] else d.status
            out += vec8(d.cert.account) + vec8(d.id) + u8(status)
            if not d.holds() or status == TERMINATED:
                out += u16(0) + u16(0)
                continue
            out += u16(len(d.store.used)) + b"".join(u32(i) for i in sorted(d.store.used))
            out += u16(len(d.sessions)) + b"".join(d.sessions[k].state() for k in sorted(d.sessions))
        return sha256(out)

    def handle(self, event: dict, now: int) -> dict:
        try:
            output, error = getattr(self, "on_" + event["event"])(event, now), None
        except Refused as e:
            output, error = None, e.code
        return {"output": output, "error": error, "checkpoint": self.checkpoint().hex()}


# --- Reading requests and writing results -------------------------------------------------------


def read_id(f: Fields, name: str) -> bytes:
    value = f.hex(name)
    if not 1 <= len(value) <= 64:
        raise BadRequest(f"{f.where(name)} must be 1 to 64 bytes")
    return value


def own_certificate(f: Fields, name: str) -> Certificate:
    try:
        return Certificate.decode(f.hex(name))
    except Refused as e:
        raise BadRequest(f"{f.where(name)} does not decode: {e.code}") from None


def op_handshake(args: dict) -> dict:
    a = Fields(args).only(
        "now", "receivedAt", "initiator", "responder", "bundle", "ephemeralSecret", "earlierInitMessages", "initMessage"
    )
    now, received_at = a.u64("now"), a.u64("receivedAt")
    i = a.object("initiator").only("rootKey", "certificate", "identitySecret")
    initiator = {"root_key": i.hex("rootKey", 32), "cert": own_certificate(i, "certificate"), "secret": i.hex("identitySecret", 32)}
    r = a.object("responder").only(
        "rootKey", "certificate", "identitySecret", "signedPrekeys", "oneTimePrekeys", "usedOneTimePrekeys", "acceptedSessions"
    )
    responder = {"root_key": r.hex("rootKey", 32), "cert": own_certificate(r, "certificate"), "secret": r.hex("identitySecret", 32)}
    store = PrekeyStore()
    for s in r.objects("signedPrekeys"):
        s.only("id", "secret", "notAfter")
        prekey_id, secret = s.u32("id"), s.hex("secret", 32)
        if prekey_id in store.signed:
            raise BadRequest("args.responder.signedPrekeys lists an ID twice")
        store.signed[prekey_id] = [secret, x25519_public(secret), s.u64("notAfter"), set()]
    for o in r.objects("oneTimePrekeys"):
        o.only("id", "secret")
        prekey_id = o.u32("id")
        if prekey_id in store.one_time:
            raise BadRequest("args.responder.oneTimePrekeys lists an ID twice")
        store.one_time[prekey_id] = o.hex("secret", 32)
    for n, value in enumerate(r.list("usedOneTimePrekeys")):
        prekey_id = Fields({"id": value}, f"args.responder.usedOneTimePrekeys[{n}]").u32("id")
        if prekey_id in store.one_time:
            raise BadRequest(f"one-time prekey {prekey_id} is listed both as available and as used")
        store.used.add(prekey_id)
    for s in r.objects("acceptedSessions"):
        s.only("signedPrekeyId", "sessionId")
        spk_id, sid = s.u32("signedPrekeyId"), s.hex("sessionId", 16)
        if spk_id not in store.signed:
            raise BadRequest("args.responder.acceptedSessions names a signed prekey the responder does not have")
        store.signed[spk_id][3].add(sid)
    b = a.object("bundle").only("account", "device", "rootKey", "certificate", "signedPrekey", "oneTimePrekey")
    bundle = {
        "account": read_id(b, "account"), "device": read_id(b, "device"), "root_key": b.hex("rootKey", 32),
        "certificate": b.hex("certificate"), "signed_prekey": b.hex("signedPrekey"), "one_time": None,
    }
    if b.get("oneTimePrekey") is not None:
        o = b.object("oneTimePrekey").only("id", "key")
        bundle["one_time"] = (o.u32("id"), o.hex("key", 32))
    ephemeral = a.hex("ephemeralSecret", 32)
    earlier = [Fields({"m": m}, "args.earlierInitMessages[]").hex("m") for m in a.list("earlierInitMessages")] if a.has("earlierInitMessages") else []
    delivered = a.hex("initMessage") if a.has("initMessage") and a.get("initMessage") is not None else None

    message, initiator_session, trace = initiate(initiator, bundle, ephemeral, now)
    for bytes_ in earlier:  # ADAPTER.md: each earlier message is handled first; its refusal is not the answer
        try:
            respond(responder, store, InitMessage.decode(bytes_), initiator["root_key"], received_at)
        except Refused:
            pass
    responder_session = respond(responder, store, InitMessage.decode(delivered if delivered is not None else message), initiator["root_key"], received_at)

    def first_keys(receiver: Session) -> list:
        keys = []
        for index in range(3):
            key, commit = receiver.receive(index)
            commit()
            keys.append(key.hex())
        return keys

    return {
        "initMessage": message.hex(),
        "sessionId": initiator_session.sid.hex(),
        "transcriptHash": trace["th"].hex(),
        "dh": [d.hex() for d in trace["dh"]],
        "chainKeyInitiatorToResponder": trace["ck_ab"].hex(),
        "chainKeyResponderToInitiator": trace["ck_ba"].hex(),
        "confirmKey": trace["kc"].hex(),
        "initiatorToResponder": first_keys(responder_session),
        "responderToInitiator": first_keys(initiator_session),
    }


EVENT_FIELDS = {
    "handshake": ("initiator", "responder", "ephemeralSecret", "oneTimePrekey"),
    "send": ("from", "to"),
    "send_many": ("from", "to", "count"),
    "receive": ("to", "header"),
    "seal": ("from", "to", "messageId", "conversationId", "sentAt", "ttl", "padded", "bor", "contentType", "content", "contentKey"),
    "open": ("to", "header", "envelope"),
    "add_device": ("device",),
    "remove_device": ("device",),
    "password_reset": ("account",),
    "terminate": ("account",),
}
KEYS = {"ephemeralSecret": 32, "contentKey": 32, "messageId": 16}


def read_field(f: Fields, field: str, event: str):
    if field == "oneTimePrekey":
        return None if f.get(field) is None else f.u32(field)
    if field == "count":
        count = f.uint(field, MAX_MESSAGES)
        if count == 0:
            raise BadRequest(f"{f.where(field)} must be 1 to 65,536")
        return count
    if field == "to" and event == "seal":
        return [Fields({"d": d}, f"{f.where('to')}[{n}]").hex("d") for n, d in enumerate(f.list("to"))]
    if field == "sentAt":
        return f.u64(field)
    if field in ("ttl", "bor"):
        return f.u32(field)
    if field == "padded":
        return f.bool(field)
    if field == "contentType":
        content_type = f.uint(field, U32)
        if content_type not in envelope.CONTENT_TYPES:
            raise BadRequest(f"{f.where(field)} must be 1, 2 or 3")
        return content_type
    return f.hex(field, KEYS.get(field))


def op_scenario(args: dict) -> dict:
    a = Fields(args).only("accounts", "devices", "events")
    accounts = [(read_id(x.only("account", "rootKey"), "account"), x.hex("rootKey", 32)) for x in a.objects("accounts")]
    devices = []
    for d in a.objects("devices"):
        d.only("certificate", "identitySecret", "signedPrekey", "signedPrekeySecret", "oneTimePrekeys", "member")
        try:
            spk = SignedPrekey.decode(d.hex("signedPrekey"))
            spk.encoding = d.hex("signedPrekey")
        except Refused as e:
            raise BadRequest(f"{d.where('signedPrekey')} does not decode: {e.code}") from None
        one_time = [(o.only("id", "secret").u32("id"), o.hex("secret", 32)) for o in d.objects("oneTimePrekeys")]
        cert = own_certificate(d, "certificate")
        devices.append(Device(cert, d.hex("identitySecret", 32), spk, d.hex("signedPrekeySecret", 32), one_time, d.bool("member")))
    events = read_events(a, EVENT_FIELDS, read_field)
    network = Network(accounts, devices)
    return {"steps": [network.handle(e, at) for at, e in events]}


OPS = {"session.handshake": op_handshake, "session.scenario": op_scenario}

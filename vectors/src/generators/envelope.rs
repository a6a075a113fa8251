//! Envelopes changed field by field (spec/envelope.md, section 2).
//!
//! The bytes are read as far as they go with the chapter's layout
//! (`header || commitment || slots || payload`), leniently, to learn where each field lies; a
//! mutation then changes one field where it lies, or cuts, grows or splices at a field's edge.

use cinder::envelope::{self as reference, Header, KEY_LEN, MESSAGE_ID_LEN, Recipient, padme};
use cinder::testing::ReplayRng;
use serde_json::{Map, Value};

use super::{Rng, bytes_mutate, decode_hex};

/// Where the fields of one envelope lie.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Layout {
    /// Offsets of the one-byte length prefixes (conversation, sender, each slot's device).
    length_bytes: Vec<usize>,
    /// Offset of `sent_at` (u64), if the bytes go that far.
    sent_at: Option<usize>,
    /// Offset of `ttl` (u32).
    ttl: Option<usize>,
    /// Offset of the commitment (32 bytes).
    commitment: Option<usize>,
    /// Offset of the slot count (u16).
    count: Option<usize>,
    /// Each slot's range.
    slots: Vec<(usize, usize)>,
    /// Offset of the payload length (u32).
    payload_len: Option<usize>,
    /// The ciphertext's range.
    ciphertext: Option<(usize, usize)>,
    /// Offset of the tag (16 bytes).
    tag: Option<usize>,
    /// Every field's end, for cuts at a boundary.
    ends: Vec<usize>,
}

fn layout(bytes: &[u8]) -> Layout {
    let mut out = Layout::default();
    let mut at = 3 + 16;
    out.ends.extend([1, 2, 3, at]);
    let fits = |at: usize, n: usize| at + n <= bytes.len();
    for _ in 0..2 {
        if !fits(at, 1) {
            return out;
        }
        out.length_bytes.push(at);
        at += 1 + usize::from(bytes[at]);
        out.ends.push(at);
    }
    if !fits(at, 12) {
        return out;
    }
    out.sent_at = Some(at);
    out.ttl = Some(at + 8);
    at += 12;
    out.ends.extend([at - 4, at]);
    if !fits(at, 32) {
        return out;
    }
    out.commitment = Some(at);
    at += 32;
    out.ends.push(at);
    if !fits(at, 2) {
        return out;
    }
    out.count = Some(at);
    let count = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    at += 2;
    out.ends.push(at);
    for _ in 0..count.min(1_000) {
        if !fits(at, 1) {
            return out;
        }
        let start = at;
        out.length_bytes.push(at);
        at += 1 + usize::from(bytes[at]) + 48;
        if at > bytes.len() {
            return out;
        }
        out.slots.push((start, at));
        out.ends.extend([at - 48, at]);
    }
    if !fits(at, 4) {
        return out;
    }
    out.payload_len = Some(at);
    let len = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    at += 4;
    out.ends.push(at);
    let end = at.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
    if end <= bytes.len() {
        out.ciphertext = Some((at, end));
        out.ends.push(end);
        if end + 16 <= bytes.len() {
            out.tag = Some(end);
            out.ends.push(end + 16);
        }
    }
    out
}

fn put_be(bytes: &mut [u8], at: usize, value: u64, width: usize) {
    let be = value.to_be_bytes();
    if at + width <= bytes.len() {
        bytes[at..at + width].copy_from_slice(&be[8 - width..]);
    }
}

/// One field-aware mutation of `bytes`; `others` are envelopes to splice from, `ttls` the ttl
/// values of the corpus.
#[must_use]
pub fn mutate(mut bytes: Vec<u8>, others: &[Vec<u8>], ttls: &[Value], rng: &mut Rng) -> Vec<u8> {
    let fields = layout(&bytes);
    let len = bytes.len();
    match rng.below(17) {
        0 if len > 1 => bytes[rng.below(2)] = *rng.pick(&[0x00, 0x02, 0xff]).unwrap_or(&0),
        1 if len > 2 => {
            // A reserved flag bit, or the padded bit.
            bytes[2] ^= 1 << rng.below(8);
        }
        2 => {
            if let Some(&at) = rng.pick(&fields.length_bytes) {
                let now = bytes[at];
                bytes[at] = *rng.pick(&[0, 1, 63, 64, 65, 255, now.wrapping_add(1), now.wrapping_sub(1)]).unwrap_or(&0);
            }
        }
        3 => {
            if let Some(at) = fields.count {
                let now = u64::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
                let value = *rng.pick(&[0, 1, 999, 1_000, 1_001, 65_535, now + 1, now.saturating_sub(1)]).unwrap_or(&0);
                put_be(&mut bytes, at, value, 2);
            }
        }
        4 => {
            if let Some(at) = fields.payload_len {
                let now = u64::from(u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]));
                let value = *rng
                    .pick(&[0, 8, 9, 1_081_344, 1_081_345, 4_294_967_295, now + 1, now.saturating_sub(1)])
                    .unwrap_or(&0);
                put_be(&mut bytes, at, value, 4);
            }
        }
        5 => {
            if let Some(at) = fields.ttl {
                let mut values: Vec<u64> = ttls.iter().filter_map(Value::as_u64).collect();
                values.extend([0, 1, 31_536_000, 31_536_001, 4_294_967_295]);
                let base = *rng.pick(&values).unwrap_or(&0);
                let value = u64::try_from((i128::from(base) + rng.delta()).max(0)).unwrap_or(0);
                put_be(&mut bytes, at, value.min(u64::from(u32::MAX)), 4);
            } else if let Some(at) = fields.sent_at {
                put_be(&mut bytes, at, *rng.pick(&[0, 1, u64::MAX, 1 << 63]).unwrap_or(&0), 8);
            }
        }
        6 if fields.slots.len() > 1 => {
            // Two slots change places: the recipients are no longer sorted.
            let a = rng.below(fields.slots.len() - 1);
            let (first, second) = (fields.slots[a], fields.slots[a + 1]);
            let mut swapped = bytes[second.0..second.1].to_vec();
            swapped.extend_from_slice(&bytes[first.0..first.1]);
            bytes.splice(first.0..second.1, swapped);
        }
        7 if !fields.slots.is_empty() => {
            // A slot repeated or removed, the count following or not.
            let slot = fields.slots[rng.below(fields.slots.len())];
            let count_at = fields.count.unwrap_or(0);
            let count = u64::from(u16::from_be_bytes([bytes[count_at], bytes[count_at + 1]]));
            let follow = rng.chance(3, 4);
            if rng.chance(1, 2) {
                let copy = bytes[slot.0..slot.1].to_vec();
                bytes.splice(slot.1..slot.1, copy);
                if follow {
                    put_be(&mut bytes, count_at, count + 1, 2);
                }
            } else {
                bytes.drain(slot.0..slot.1);
                if follow {
                    put_be(&mut bytes, count_at, count.saturating_sub(1), 2);
                }
            }
        }
        8 | 14 | 15 | 16 => {
            // One bit flipped in one region.
            let mut regions: Vec<(usize, usize)> = vec![(0, 19.min(len))];
            regions.extend(fields.commitment.map(|at| (at, at + 32)));
            regions.extend(fields.slots.iter().map(|&(_, end)| (end - 48, end)));
            regions.extend(fields.slots.iter().map(|&(start, end)| (start + 1, end - 48)));
            regions.extend(fields.ciphertext);
            regions.extend(fields.tag.map(|at| (at, at + 16)));
            regions.retain(|(start, end)| start < end && *end <= len);
            if let Some(&(start, end)) = rng.pick(&regions) {
                let at = start + rng.below(end - start);
                bytes[at] ^= 1 << rng.below(8);
            }
        }
        9 | 10 => {
            // Cut at a field's end, or one byte either side of it.
            if let Some(&end) = rng.pick(&fields.ends) {
                let cut = usize::try_from(
                    (i128::try_from(end).unwrap_or(0) + i128::from(rng.below(3) == 0) - i128::from(rng.below(3) == 0))
                        .max(0),
                )
                .unwrap_or(0);
                bytes.truncate(cut);
            }
        }
        11 => {
            let extra = 1 + rng.below(3);
            bytes.extend((0..extra).map(|i| u8::try_from(i).unwrap_or(0)));
        }
        12 => {
            // A region of another envelope in place of this one's.
            if let Some(other) = rng.pick(others) {
                let theirs = layout(other);
                let pick = rng.below(3);
                let (mine, them) = match pick {
                    0 => (fields.commitment.map(|a| (a, a + 32)), theirs.commitment.map(|a| (a, a + 32))),
                    1 => (fields.slots.first().copied(), theirs.slots.first().copied()),
                    _ => (
                        fields.ciphertext.map(|(s, _)| (s - 4, len)),
                        theirs.ciphertext.map(|(s, _)| (s - 4, other.len())),
                    ),
                };
                if let (Some(mine), Some(them)) = (mine, them)
                    && mine.1 <= len
                    && them.1 <= other.len()
                {
                    bytes.splice(mine.0..mine.1, other[them.0..them.1].iter().copied());
                }
            }
        }
        _ => return bytes_mutate(bytes, others, rng),
    }
    bytes
}

/// An envelope only a faulty sender makes (ENV-031, ENV-032): the sealed part of an
/// `envelope.seal` request, written by hand with one of its fields wrong — a burn time past the
/// bound, an unknown content type, a content length that does not match, padding that is not zero
/// or not the Padmé length — or with a commitment that is not its content key's, then sealed by
/// the reference, authenticated as any envelope. The
/// answer is the `envelope.open` arguments for one of its recipients.
#[must_use]
pub fn sender_fault(seal: &Value, rng: &mut Rng) -> Option<Map<String, Value>> {
    let hex_of = |name: &str| seal.get(name).and_then(Value::as_str).and_then(decode_hex);
    let int_of = |name: &str| seal.get(name).and_then(Value::as_u64);
    let message_id: [u8; MESSAGE_ID_LEN] = hex_of("messageId")?.try_into().ok()?;
    let conversation_id = hex_of("conversationId")?;
    let sender_device = hex_of("senderDevice")?;
    let content_key = hex_of("contentKey")?;
    let body = hex_of("content")?;
    let padded = seal.get("padded").and_then(Value::as_bool)?;
    let header = Header {
        message_id,
        conversation_id: &conversation_id,
        sender_device: &sender_device,
        sent_at: int_of("sentAt")?,
        ttl: u32::try_from(int_of("ttl")?).ok()?,
        padded,
    };
    let mut recipients: Vec<(Vec<u8>, [u8; KEY_LEN])> = Vec::new();
    for entry in seal.get("recipients")?.as_array()? {
        let device = entry.get("device").and_then(Value::as_str).and_then(decode_hex)?;
        let key: [u8; KEY_LEN] = entry.get("wrapKey").and_then(Value::as_str).and_then(decode_hex)?.try_into().ok()?;
        recipients.push((device, key));
    }
    let mut bor = u32::try_from(int_of("bor")?).ok()?;
    let mut content_type = u8::try_from(int_of("contentType")?).ok()?;
    let mut stated_len = u32::try_from(body.len()).ok()?;
    let mut pad_fault = 0;
    let mut commitment = None;
    match rng.below(6) {
        5 => {
            // A commitment that is not the content key's (ENV-023).
            let mut foreign = [0u8; 32];
            foreign.iter_mut().for_each(|b| *b = u8::try_from(rng.below(256)).unwrap_or(0));
            commitment = Some(foreign);
        }
        0 => bor = *rng.pick(&[31_536_001, 31_536_000, u32::MAX, 86_401]).unwrap_or(&u32::MAX),
        1 => content_type = *rng.pick(&[0, 4, 255]).unwrap_or(&0),
        2 => stated_len = if rng.chance(1, 2) { stated_len + 1 } else { stated_len.saturating_sub(1) },
        _ => pad_fault = 1 + rng.below(3),
    }
    let mut sealed = bor.to_be_bytes().to_vec();
    sealed.push(content_type);
    sealed.extend_from_slice(&stated_len.to_be_bytes());
    sealed.extend_from_slice(&body);
    let unpadded = sealed.len();
    let target = if padded { padme(unpadded) } else { unpadded };
    sealed.resize(target, 0);
    match pad_fault {
        1 if sealed.len() > unpadded => {
            let at = unpadded + rng.below(sealed.len() - unpadded);
            sealed[at] = 1;
        }
        1 | 2 => sealed.push(0),
        3 if sealed.len() > unpadded => {
            sealed.pop();
        }
        _ => {}
    }
    let mut list: Vec<Recipient<'_>> =
        recipients.iter().map(|(device, wrap_key)| Recipient { device, wrap_key }).collect();
    let mut out = vec![0u8; 4096 + sealed.len() + 113 * list.len()];
    let mut replay = ReplayRng::new(&content_key);
    let len = reference::seal_raw_sealed_part_for_testing_only(
        &header,
        &sealed,
        commitment.as_ref(),
        &mut list,
        &mut replay,
        &mut out,
    )
    .ok()?;
    out.truncate(len);
    let (device, key) = rng.pick(&recipients)?;
    let mut args = Map::new();
    args.insert("envelope".into(), hex::encode(&out).into());
    args.insert("device".into(), hex::encode(device).into());
    args.insert("wrapKey".into(), hex::encode(key).into());
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_of_a_committed_envelope_ends_with_its_tag() {
        let text = std::fs::read_to_string(crate::default_dir().join("envelope.json")).expect("envelope.json");
        let file = crate::format::VectorFile::parse(&text).expect("valid");
        let test = file.test_groups.iter().find(|g| g.op == "envelope.decode").and_then(|g| g.tests.first());
        let hex_text = test.and_then(|t| t.args.get("envelope")).and_then(Value::as_str).expect("an envelope");
        let bytes = hex::decode(hex_text).expect("hex");
        let fields = layout(&bytes);
        assert_eq!(fields.tag.map(|at| at + 16), Some(bytes.len()));
        assert_eq!(fields.slots.len(), 3);
        let mut rng = Rng::new(3);
        let changed = (0..200).filter(|_| mutate(bytes.clone(), &[], &[], &mut rng) != bytes).count();
        assert!(changed > 150, "{changed}");
    }
}

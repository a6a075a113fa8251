//! Generated adapter requests for differential fuzzing (`cinder-conformance fuzz`).
//!
//! Every run starts from the committed vector cases (the [`Corpus`]) and moves outward: a case is
//! one seed case of the chosen operation, changed by a few structure-aware mutations. Which
//! mutations exist depends on what a field holds:
//!
//! - identity inputs ([`text`]) are changed as text: separators, Unicode look-alikes, whitespace of
//!   every class, case, and lengths at and around every bound of the identity chapter;
//! - envelopes ([`envelope`]) are parsed field by field and changed where a field lies: version,
//!   suite and flag bits, every length and count, the order and number of slots, truncation at and
//!   beside each field's end, trailing bytes, bit flips in each region, splices from other
//!   envelopes; `envelope.open` and `envelope.decode` also get envelopes freshly sealed (by an
//!   [`Oracle`], the reference) from a mutated `envelope.seal` request;
//! - event lists of scenarios ([`events`]) lose, gain, repeat and reorder events, and events move
//!   to times on and around the case's deadlines, bounds and other events (the clock also going
//!   back);
//! - any other integer moves to the values the corpus holds for the same field, and to the bounds
//!   of its type, each give or take one; any other byte string is cut, grown, flipped and spliced,
//!   32-byte windows of session keys and signatures become small-order points, `S >= L` or
//!   non-canonical encodings; booleans flip; strings of a fixed vocabulary (`kind`, `event`, ...)
//!   take another word of the vocabulary.
//!
//! Everything is deterministic: case `index` of run `seed` is [`Generator::case`]`(seed, index)`,
//! whatever other cases were made before it or on which thread, so a run can be split over jobs
//! and any case remade from its two numbers.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::format::{Outcome, VectorFile};

pub mod envelope;
pub mod events;
pub mod text;

/// A small, fast, deterministic generator of pseudo-random numbers (SplitMix64). Not for keys:
/// only for choosing mutations reproducibly.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 pseudo-random bits.
    pub const fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number from 0 to `n - 1` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        usize::try_from(self.next_u64() % n64).unwrap_or(0)
    }

    /// True `num` times in `den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        den > 0 && self.next_u64() % den < num
    }

    /// One item of `items`, if there is one.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() { None } else { items.get(self.below(items.len())) }
    }

    /// A small signed change: mostly -1, 0 or +1, sometimes a larger step of time.
    pub fn delta(&mut self) -> i128 {
        const STEPS: [i128; 12] = [-1, 0, 1, -1, 0, 1, -2, 2, -60, 60, -3600, 86_400];
        STEPS[self.below(STEPS.len())]
    }
}

/// One committed vector case that generated cases start from.
#[derive(Clone, Debug, PartialEq)]
pub struct Seed {
    /// The adapter operation, e.g. `identity.canonicalize`.
    pub op: String,
    /// The protocol part (the vector file's `part`).
    pub part: String,
    /// `file/group/id` of the case it comes from.
    pub origin: String,
    /// The requirement IDs of that case.
    pub requirements: Vec<String>,
    /// The case's arguments.
    pub args: Value,
    /// Integers worth moving to: every integer of the case's arguments and expected answer, the
    /// times written inside its byte strings, and each time plus each duration of the case.
    pub interesting: Vec<u64>,
}

/// Seeds are bigger than this (as JSON) are chosen one time in ten as often as the others: they
/// are the 1 MiB bodies and 1,000-recipient envelopes, slow to copy and send.
const LARGE_ARGS: usize = 64 * 1024;
/// The most values the dictionary keeps per operation and field.
const DICT_VALUES: usize = 48;
/// Byte strings longer than this (in hex digits) are not kept in the dictionary.
const DICT_MAX_HEX: usize = 24 * 1024;

/// The seed cases of some vector files, with a dictionary of the values each field takes.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    seeds: Vec<Seed>,
    /// Seed indices by operation.
    by_op: BTreeMap<String, Vec<usize>>,
    /// `op` then field name (an array's entries under `name[]`) to distinct values.
    dict: BTreeMap<String, BTreeMap<String, Vec<Value>>>,
    /// Seeds that are large ([`LARGE_ARGS`]).
    large: Vec<bool>,
    /// The dictionary's byte strings, decoded once: `op` then field name to bytes.
    bytes: BTreeMap<String, BTreeMap<String, Vec<Vec<u8>>>>,
}

impl Corpus {
    /// Every test case of `files` as a seed, plus, for each `envelope.seal` case whose answer
    /// is an envelope, one `envelope.open` and one `envelope.decode` seed of that envelope.
    #[must_use]
    pub fn from_files(files: &[(&str, &VectorFile)]) -> Self {
        let mut corpus = Self::default();
        for (name, file) in files {
            for group in &file.test_groups {
                for test in &group.tests {
                    let origin = format!("{name}/{}/{}", group.group, test.id);
                    let expected = if test.result == Outcome::Valid { test.expected.as_ref() } else { None };
                    corpus.add(&group.op, &file.part, &origin, &test.requirements, test.args.clone(), expected);
                    if group.op == "envelope.seal"
                        && let Some(envelope) = expected.and_then(|e| e.get("envelope"))
                    {
                        let first = test.args.get("recipients").and_then(|r| r.get(0));
                        if let Some(first) = first {
                            let mut open = Map::new();
                            open.insert("envelope".into(), envelope.clone());
                            open.insert("device".into(), first.get("device").cloned().unwrap_or(Value::Null));
                            open.insert("wrapKey".into(), first.get("wrapKey").cloned().unwrap_or(Value::Null));
                            let decode =
                                Value::Object([("envelope".to_owned(), envelope.clone())].into_iter().collect());
                            let origin = format!("{origin} (sealed)");
                            corpus.add(
                                "envelope.open",
                                &file.part,
                                &origin,
                                &test.requirements,
                                Value::Object(open),
                                None,
                            );
                            corpus.add("envelope.decode", &file.part, &origin, &test.requirements, decode, None);
                        }
                    }
                }
            }
        }
        for (op, fields) in &corpus.dict {
            let decoded = corpus.bytes.entry(op.clone()).or_default();
            for (key, values) in fields {
                let list: Vec<Vec<u8>> = values.iter().filter_map(|v| v.as_str().and_then(decode_hex)).collect();
                decoded.insert(key.clone(), list);
            }
        }
        corpus
    }

    /// The byte strings field `key` takes in the seeds of `op`.
    fn byte_values(&self, op: &str, key: &str) -> &[Vec<u8>] {
        self.bytes.get(op).and_then(|d| d.get(key)).map_or(&[], Vec::as_slice)
    }

    fn add(
        &mut self,
        op: &str,
        part: &str,
        origin: &str,
        requirements: &[String],
        args: Value,
        expected: Option<&Value>,
    ) {
        let mut interesting = Vec::new();
        collect_ints(&args, &mut interesting);
        if let Some(expected) = expected {
            collect_ints(expected, &mut interesting);
        }
        collect_hex_times(&args, &mut interesting);
        interesting.sort_unstable();
        interesting.dedup();
        let times: Vec<u64> = interesting.iter().copied().filter(|&n| n >= 1_000_000_000).take(24).collect();
        let spans: Vec<u64> =
            interesting.iter().copied().filter(|&n| (1..1_000_000_000).contains(&n)).take(24).collect();
        for &t in &times {
            for &d in &spans {
                interesting.push(t.saturating_add(d));
            }
        }
        interesting.sort_unstable();
        interesting.dedup();
        let dict = self.dict.entry(op.to_owned()).or_default();
        remember(&args, None, dict);
        let index = self.seeds.len();
        self.large.push(args.to_string().len() > LARGE_ARGS);
        self.seeds.push(Seed {
            op: op.to_owned(),
            part: part.to_owned(),
            origin: origin.to_owned(),
            requirements: requirements.to_vec(),
            args,
            interesting,
        });
        self.by_op.entry(op.to_owned()).or_default().push(index);
    }

    /// The operations the corpus has seeds for, in name order.
    #[must_use]
    pub fn ops(&self) -> Vec<String> {
        self.by_op.keys().cloned().collect()
    }

    /// Seed number `index`.
    #[must_use]
    pub fn seed(&self, index: usize) -> Option<&Seed> {
        self.seeds.get(index)
    }

    /// How many seeds there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.seeds.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty()
    }

    /// The values field `key` takes in the seeds of `op`.
    #[must_use]
    pub fn values(&self, op: &str, key: &str) -> &[Value] {
        self.dict.get(op).and_then(|d| d.get(key)).map_or(&[], Vec::as_slice)
    }

    /// A seed of `op`, large ones ten times less often.
    fn pick_seed(&self, op: &str, rng: &mut Rng) -> Option<usize> {
        let seeds = self.by_op.get(op)?;
        for _ in 0..10 {
            let index = *rng.pick(seeds)?;
            if !self.large[index] {
                return Some(index);
            }
        }
        rng.pick(seeds).copied()
    }
}

fn collect_ints(value: &Value, out: &mut Vec<u64>) {
    match value {
        Value::Number(n) => out.extend(n.as_u64()),
        Value::Array(items) => items.iter().for_each(|item| collect_ints(item, out)),
        Value::Object(map) => map.values().for_each(|item| collect_ints(item, out)),
        _ => {}
    }
}

/// Times (big-endian u64 from 10^9 to 4 x 10^9) written inside the byte strings of `value`:
/// certificate validity, prekey expiry.
fn collect_hex_times(value: &Value, out: &mut Vec<u64>) {
    match value {
        Value::String(text) if text.len() <= 4096 => {
            if let Some(bytes) = decode_hex(text) {
                for window in bytes.windows(8) {
                    let n = u64::from_be_bytes(window.try_into().unwrap_or([0; 8]));
                    if (1_000_000_000..4_000_000_000).contains(&n) {
                        out.push(n);
                    }
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_hex_times(item, out)),
        Value::Object(map) => map.values().for_each(|item| collect_hex_times(item, out)),
        _ => {}
    }
}

fn keep(dict: &mut BTreeMap<String, Vec<Value>>, name: String, value: &Value) {
    if matches!(value, Value::String(s) if s.len() > DICT_MAX_HEX) {
        return;
    }
    let values = dict.entry(name).or_default();
    if values.len() < DICT_VALUES && !values.contains(value) {
        values.push(value.clone());
    }
}

fn remember(value: &Value, key: Option<&str>, dict: &mut BTreeMap<String, Vec<Value>>) {
    match value {
        Value::Object(map) => {
            for (name, item) in map {
                remember(item, Some(name), dict);
            }
        }
        Value::Array(items) => {
            if let Some(key) = key {
                for item in items {
                    if item.to_string().len() <= DICT_MAX_HEX {
                        keep(dict, format!("{key}[]"), item);
                    }
                    remember(item, Some(key), dict);
                }
            }
        }
        leaf => {
            if let Some(key) = key {
                keep(dict, key.to_owned(), leaf);
            }
        }
    }
}

/// Lowercase hex to bytes, if `text` is that.
#[must_use]
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    hex::decode(text).ok()
}

/// A generated request.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// The operation.
    pub op: String,
    /// The seed it was made from ([`Corpus::seed`]).
    pub seed: usize,
    /// The arguments.
    pub args: Value,
}

/// What the generator may ask the reference while it builds a case: the result fields of a
/// request, or `None` when it fails. Used to seal fresh envelopes for `envelope.open` and
/// `envelope.decode`.
pub trait Oracle {
    /// The reference's answer to `op` on `args`, when it succeeds.
    fn answer(&mut self, op: &str, args: &Value) -> Option<Map<String, Value>>;
}

/// An oracle that knows nothing: every fresh envelope comes from the seeds alone.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoOracle;

impl Oracle for NoOracle {
    fn answer(&mut self, _op: &str, _args: &Value) -> Option<Map<String, Value>> {
        None
    }
}

/// Makes cases for some operations from a corpus.
#[derive(Clone, Debug)]
pub struct Generator<'c> {
    corpus: &'c Corpus,
    ops: Vec<String>,
}

/// One step of a path into a JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A field of an object.
    Key(String),
    /// An entry of an array.
    Index(usize),
}

impl<'c> Generator<'c> {
    /// A generator of cases for `ops` (those of them the corpus has seeds for).
    #[must_use]
    pub fn new(corpus: &'c Corpus, ops: &[String]) -> Self {
        let ops = ops.iter().filter(|op| corpus.by_op.contains_key(op.as_str())).cloned().collect();
        Self { corpus, ops }
    }

    /// The operations it makes cases for.
    #[must_use]
    pub fn ops(&self) -> &[String] {
        &self.ops
    }

    /// Case `index` of the run with seed `seed`: the same two numbers always give the same case.
    pub fn case(&self, seed: u64, index: u64, oracle: &mut dyn Oracle) -> Option<Case> {
        let mut rng = Rng::new(seed ^ index.wrapping_mul(0xd1b5_4a32_d192_ed03));
        rng.next_u64();
        let op = rng.pick(&self.ops)?.clone();
        let seed_index = self.corpus.pick_seed(&op, &mut rng)?;
        let seed_case = &self.corpus.seeds[seed_index];
        let mut args = seed_case.args.clone();
        let mut mutation = Mutation { corpus: self.corpus, op: &op, seed: seed_case, rng: &mut rng };
        if (op == "envelope.open" || op == "envelope.decode") && mutation.rng.chance(1, 3) {
            mutation.fresh_envelope(&mut args, oracle);
        } else if op == "envelope.open" && mutation.rng.chance(1, 4) {
            // A faulty sender's envelope, opened as it is or changed further.
            if let Some(faulty) = mutation.sender_fault() {
                args = Value::Object(faulty);
                if mutation.rng.chance(1, 2) {
                    return Some(Case { op, seed: seed_index, args });
                }
            }
        }
        let rounds = 1 + usize::from(mutation.rng.chance(1, 2)) + usize::from(mutation.rng.chance(1, 4));
        for _ in 0..rounds {
            mutation.apply(&mut args);
        }
        bound_cost(&mut args);
        Some(Case { op, seed: seed_index, args })
    }
}

/// PBKDF2 work per case, in rounds: more is cut (an adapter may be slow, and fuzzing wants many
/// cases, not the chapter's largest one again).
const MAX_PBKDF2_WORK: u64 = 100_000;

/// Keeps a case cheap: rounds above 20,000 (up to the bound 1,000,000) become 20,000, and a
/// lookup's entries are cut so that entries times rounds stays under [`MAX_PBKDF2_WORK`].
fn bound_cost(args: &mut Value) {
    let Some(map) = args.as_object_mut() else { return };
    let rounds = map.get("rounds").and_then(Value::as_u64);
    if let Some(rounds) = rounds
        && (20_001..=1_000_000).contains(&rounds)
    {
        map.insert("rounds".into(), Value::from(20_000));
    }
    let rounds = map.get("rounds").and_then(Value::as_u64).unwrap_or(0).clamp(1, 20_000);
    if let Some(Value::Array(entries)) = map.get_mut("entries") {
        let most = usize::try_from(MAX_PBKDF2_WORK / rounds).unwrap_or(usize::MAX).max(1);
        entries.truncate(most);
    }
}

/// One case's mutations: the corpus, the operation and seed, and the generator.
struct Mutation<'m> {
    corpus: &'m Corpus,
    op: &'m str,
    seed: &'m Seed,
    rng: &'m mut Rng,
}

/// Small-order points of Curve25519 and edwards25519, and non-canonical encodings (the field
/// prime and beyond), as 32 little-endian bytes.
const BAD_POINTS: [&str; 7] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
];
/// Ed25519 scalars `S` at and past the group order `L` (little-endian), for signatures.
const BAD_SCALARS: [&str; 3] = [
    "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
    "eed3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];
/// Lengths at and around the bounds of the chapters (identifiers, salts, keys, IDs).
const LENGTHS: [usize; 24] =
    [0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 253, 254, 255, 256, 513];
/// Integer bounds of the JSON types the protocol uses.
const INT_BOUNDS: [u64; 10] =
    [0, 1, 2, 255, 256, 65_535, 4_294_967_295, 4_294_967_296, 9_007_199_254_740_993, u64::MAX];

impl Mutation<'_> {
    /// A fresh envelope: a seed of `envelope.seal`, changed once, sealed by the oracle.
    fn fresh_envelope(&mut self, args: &mut Value, oracle: &mut dyn Oracle) {
        let Some(seal_seeds) = self.corpus.by_op.get("envelope.seal") else { return };
        let Some(&index) = self.rng.pick(seal_seeds) else { return };
        if self.corpus.large[index] {
            return;
        }
        let seed = &self.corpus.seeds[index];
        let mut seal = seed.args.clone();
        let mut inner = Mutation { corpus: self.corpus, op: "envelope.seal", seed, rng: self.rng };
        inner.apply(&mut seal);
        let Some(answer) = oracle.answer("envelope.seal", &seal) else { return };
        let Some(envelope) = answer.get("envelope").cloned() else { return };
        let Some(map) = args.as_object_mut() else { return };
        map.insert("envelope".into(), envelope);
        if map.contains_key("wrapKey") {
            let recipients = seal.get("recipients").and_then(Value::as_array).cloned().unwrap_or_default();
            if let Some(recipient) = self.rng.pick(&recipients) {
                map.insert("device".into(), recipient.get("device").cloned().unwrap_or(Value::Null));
                map.insert("wrapKey".into(), recipient.get("wrapKey").cloned().unwrap_or(Value::Null));
            }
        }
    }

    /// `envelope.open` arguments of a faulty sender's envelope ([`envelope::sender_fault`]) made
    /// from a seed of `envelope.seal`.
    fn sender_fault(&mut self) -> Option<Map<String, Value>> {
        let seeds = self.corpus.by_op.get("envelope.seal")?;
        let index = *self.rng.pick(seeds)?;
        if self.corpus.large[index] {
            return None;
        }
        envelope::sender_fault(&self.corpus.seeds[index].args, self.rng)
    }

    /// One mutation somewhere in `args`.
    fn apply(&mut self, args: &mut Value) {
        // Two byte strings of one length change places (two keys, two parties).
        if self.rng.chance(1, 12)
            && let Some(map) = args.as_object_mut()
        {
            let pairs: Vec<(String, String)> = map
                .iter()
                .filter_map(|(a, va)| va.as_str().map(|t| (a, t.len())))
                .flat_map(|(a, len)| {
                    map.iter()
                        .filter(move |(b, vb)| *b > a && vb.as_str().is_some_and(|t| t.len() == len && len > 0))
                        .map(move |(b, _)| (a.clone(), b.clone()))
                })
                .collect();
            if let Some((a, b)) = self.rng.pick(&pairs).cloned() {
                let first = map.get(&a).cloned().unwrap_or(Value::Null);
                let second = map.insert(b, first).unwrap_or(Value::Null);
                map.insert(a, second);
                return;
            }
        }
        let mut sites = Vec::new();
        sites_of(args, &mut Vec::new(), &mut sites);
        // Event lists are where scenarios live: they get a third of all mutations.
        let events: Vec<&Vec<Step>> =
            sites.iter().filter(|path| matches!(path.last(), Some(Step::Key(k)) if k == "events")).collect();
        if let Some(path) = self.rng.pick(&events).copied().cloned()
            && self.rng.chance(1, 3)
        {
            if let Some(Value::Array(list)) = at_path_mut(args, &path) {
                let pool = self.corpus.values(self.op, "events[]");
                events::mutate(list, &self.seed.interesting, pool, self.rng);
            }
            return;
        }
        let Some(path) = self.pick_site(args, &sites) else { return };
        let key = path.iter().rev().find_map(|step| match step {
            Step::Key(k) => Some(k.clone()),
            Step::Index(_) => None,
        });
        let key = key.unwrap_or_default();
        let Some(value) = at_path_mut(args, &path) else { return };
        self.mutate_value(&key, value);
    }

    /// A site, weighted: the fields that carry a part's structure (an envelope, an identity
    /// input) and byte strings and integers are chosen more often than words and flags.
    fn pick_site(&mut self, args: &mut Value, sites: &[Vec<Step>]) -> Option<Vec<Step>> {
        let weights: Vec<usize> = sites
            .iter()
            .map(|path| {
                let key = match path.last() {
                    Some(Step::Key(k)) => k.as_str(),
                    _ => "",
                };
                match (key, at_path_mut(args, path)) {
                    ("envelope" | "input", _) => 12,
                    (_, Some(Value::String(s))) if decode_hex(s).is_some() => 2,
                    (_, Some(Value::Number(_) | Value::Array(_))) => 2,
                    _ => 1,
                }
            })
            .collect();
        let total: usize = weights.iter().sum();
        let mut point = self.rng.below(total);
        for (path, weight) in sites.iter().zip(weights) {
            if point < weight {
                return Some(path.clone());
            }
            point -= weight;
        }
        None
    }

    fn mutate_value(&mut self, key: &str, value: &mut Value) {
        match value {
            Value::Number(_) => self.mutate_int(key, value),
            Value::Bool(b) => *b = !*b,
            Value::Null => {
                let others: Vec<&Value> = self.corpus.values(self.op, key).iter().filter(|v| !v.is_null()).collect();
                if let Some(other) = self.rng.pick(&others) {
                    *value = (*other).clone();
                } else {
                    *value = Value::from(self.int_near(key));
                }
            }
            Value::String(text) => {
                if let Some(bytes) = decode_hex(text) {
                    let changed = self.mutate_bytes(key, bytes);
                    *text = hex::encode(changed);
                } else {
                    let others = self.corpus.values(self.op, key);
                    if let Some(other) = self.rng.pick(others)
                        && self.rng.chance(4, 5)
                    {
                        *value = other.clone();
                    } else {
                        *text = if self.rng.chance(1, 2) { text.to_uppercase() } else { format!("{text}x") };
                    }
                }
            }
            Value::Array(list) => self.mutate_list(key, list),
            Value::Object(map) => {
                if let Some(name) = map.keys().nth(self.rng.below(map.len())).cloned()
                    && let Some(item) = map.get_mut(&name)
                {
                    self.mutate_value(&name, item);
                }
            }
        }
    }

    /// An integer the field should try: the case's interesting values, the field's values in the
    /// corpus or a type bound, give or take a little.
    fn int_near(&mut self, key: &str) -> u64 {
        let base = match self.rng.below(10) {
            0..=4 => self.rng.pick(&self.seed.interesting).copied().unwrap_or(0),
            5..=7 => {
                let values: Vec<u64> = self.corpus.values(self.op, key).iter().filter_map(Value::as_u64).collect();
                self.rng.pick(&values).copied().unwrap_or(0)
            }
            _ => return *self.rng.pick(&INT_BOUNDS).unwrap_or(&0),
        };
        let moved = i128::from(base) + self.rng.delta();
        u64::try_from(moved.max(0)).unwrap_or(u64::MAX)
    }

    fn mutate_int(&mut self, key: &str, value: &mut Value) {
        let mut n = self.int_near(key);
        // PBKDF2 costs its rounds: beyond 20,000 only the values just past the chapter's bound.
        if key == "rounds" && (20_001..=1_000_000).contains(&n) {
            n = if self.rng.chance(1, 2) { 1_000_001 } else { 1_000 };
        }
        // A message's count of messages sent at once stays near the skip window.
        if key == "count" && n > 5_000 {
            n = 1_000 + (n % 3);
        }
        *value = Value::from(n);
    }

    fn mutate_list(&mut self, key: &str, list: &mut Vec<Value>) {
        let pool = self.corpus.values(self.op, &format!("{key}[]"));
        match self.rng.below(7) {
            0 if !list.is_empty() => {
                list.remove(self.rng.below(list.len()));
            }
            1 if !list.is_empty() => {
                let at = self.rng.below(list.len());
                let copy = list[at].clone();
                list.insert(at, copy);
            }
            2 if list.len() > 1 => {
                let (a, b) = (self.rng.below(list.len()), self.rng.below(list.len()));
                list.swap(a, b);
            }
            3 => {
                if let Some(item) = self.rng.pick(pool) {
                    let at = self.rng.below(list.len() + 1);
                    list.insert(at.min(list.len()), item.clone());
                }
            }
            4 => list.reverse(),
            5 if !list.is_empty() => {
                let at = self.rng.below(list.len());
                let item_key = key.to_owned();
                self.mutate_value(&item_key, &mut list[at]);
            }
            _ => {
                let keep = self.rng.below(list.len() + 1);
                list.truncate(keep);
            }
        }
    }

    fn mutate_bytes(&mut self, key: &str, bytes: Vec<u8>) -> Vec<u8> {
        if key == "input" && self.op.starts_with("identity.") && self.rng.chance(3, 4) {
            return text::mutate(&bytes, self.rng);
        }
        if key == "envelope" && self.rng.chance(3, 4) {
            let others = self.corpus.byte_values(self.op, "envelope");
            return envelope::mutate(bytes, others, self.corpus.values("envelope.seal", "ttl"), self.rng);
        }
        if self.seed.part == "session" && bytes.len() >= 32 && self.rng.chance(1, 4) {
            return self.bad_window(bytes);
        }
        bytes_mutate(bytes, self.corpus.byte_values(self.op, key), self.rng)
    }

    /// A 32-byte window (a key or half a signature) becomes a bad point or scalar.
    fn bad_window(&mut self, mut bytes: Vec<u8>) -> Vec<u8> {
        let table: &[&str] = if self.rng.chance(2, 3) { &BAD_POINTS } else { &BAD_SCALARS };
        let Some(window) = self.rng.pick(table).and_then(|w| decode_hex(w)) else { return bytes };
        // Where keys sit: at the end, at the start, or anywhere.
        let start = match self.rng.below(3) {
            0 => bytes.len() - 32,
            1 => 0,
            _ => self.rng.below(bytes.len() - 31),
        };
        bytes[start..start + 32].copy_from_slice(&window);
        bytes
    }
}

/// Generic byte-string mutations: flip, set, cut, grow, delete, repeat, splice, resize to a
/// bound.
#[must_use]
pub fn bytes_mutate(mut bytes: Vec<u8>, others: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    let len = bytes.len();
    match rng.below(9) {
        0 if len > 0 => {
            let at = rng.below(len);
            bytes[at] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let at = rng.below(len);
            bytes[at] = *rng.pick(&[0x00, 0xff, 0x7f, 0x80, 0x01]).unwrap_or(&0);
        }
        2 => bytes.truncate(rng.below(len + 1)),
        3 => {
            let extra = 1 + rng.below(4);
            let at = rng.below(len + 1);
            for _ in 0..extra {
                let byte = u8::try_from(rng.below(256)).unwrap_or(0);
                bytes.insert(at.min(bytes.len()), byte);
            }
        }
        4 if len > 0 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(8)).min(len);
            bytes.drain(at..end);
        }
        5 if len > 0 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(8)).min(len);
            let chunk = bytes[at..end].to_vec();
            bytes.splice(at..at, chunk);
        }
        6 => {
            if let Some(other) = rng.pick(others) {
                if rng.chance(1, 2) || other.is_empty() {
                    return other.clone();
                }
                let cut = rng.below(len + 1);
                let from = rng.below(other.len());
                bytes.truncate(cut);
                bytes.extend_from_slice(&other[from..]);
            }
        }
        _ => {
            let target = *rng.pick(&LENGTHS).unwrap_or(&0);
            let target = if rng.chance(1, 2) { target } else { (len + rng.below(3)).saturating_sub(1) };
            if target <= len {
                bytes.truncate(target);
            } else {
                let fill = bytes.last().copied().unwrap_or(b'a');
                bytes.resize(target, fill);
            }
        }
    }
    bytes
}

/// Every place of `value` a mutation can change, as paths: each leaf and each array.
fn sites_of(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                path.push(Step::Key(key.clone()));
                sites_of(item, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            out.push(path.clone());
            // Long arrays (1,000 recipients, 1,000 lookups): a few of their entries.
            for (index, item) in items.iter().take(16).enumerate() {
                path.push(Step::Index(index));
                sites_of(item, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

/// The value at `path` in `value`, to change.
pub fn at_path_mut<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut here = value;
    for step in path {
        here = match (step, here) {
            (Step::Key(key), Value::Object(map)) => map.get_mut(key)?,
            (Step::Index(index), Value::Array(items)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(here)
}

/// Every array and byte string of `value`, as paths, outermost first: what a minimiser shrinks.
#[must_use]
pub fn shrinkable(value: &Value) -> Vec<Vec<Step>> {
    let mut sites = Vec::new();
    sites_of(value, &mut Vec::new(), &mut sites);
    sites.retain(|path| {
        let mut copy = value.clone();
        matches!(at_path_mut(&mut copy, path), Some(Value::Array(_)))
            || matches!(at_path_mut(&mut copy, path), Some(Value::String(s)) if decode_hex(s).is_some_and(|b| !b.is_empty()))
    });
    sites.sort_by_key(Vec::len);
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Corpus {
        let files: Vec<(String, VectorFile)> = crate::ALL
            .iter()
            .map(|(name, _)| {
                let text = std::fs::read_to_string(crate::default_dir().join(name)).expect("vector file");
                ((*name).to_owned(), VectorFile::parse(&text).expect("valid file"))
            })
            .collect();
        let refs: Vec<(&str, &VectorFile)> = files.iter().map(|(n, f)| (n.as_str(), f)).collect();
        Corpus::from_files(&refs)
    }

    #[test]
    fn the_same_seed_and_index_give_the_same_case_and_others_differ() {
        let corpus = corpus();
        let ops = corpus.ops();
        assert_eq!(ops.len(), 12, "{ops:?}");
        let generator = Generator::new(&corpus, &ops);
        let a: Vec<Case> = (0..200).filter_map(|i| generator.case(7, i, &mut NoOracle)).collect();
        let b: Vec<Case> = (0..200).rev().filter_map(|i| generator.case(7, i, &mut NoOracle)).collect();
        assert_eq!(a.len(), 200);
        assert!(a.iter().eq(b.iter().rev()));
        let c: Vec<Case> = (0..200).filter_map(|i| generator.case(8, i, &mut NoOracle)).collect();
        assert_ne!(a, c);
        let mut seen: Vec<&str> = a.iter().map(|case| case.op.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 12, "every operation gets cases: {seen:?}");
        let changed = a.iter().filter(|case| corpus.seed(case.seed).is_some_and(|s| s.args != case.args)).count();
        assert!(changed > 150, "most cases differ from their seed ({changed} of 200)");
    }

    #[test]
    fn sealed_envelopes_seed_open_and_decode() {
        let corpus = corpus();
        let sealed = |op: &str| corpus.seeds.iter().filter(|s| s.op == op && s.origin.ends_with("(sealed)")).count();
        assert!(sealed("envelope.open") > 10 && sealed("envelope.decode") > 10);
    }

    #[test]
    fn scenario_seeds_know_their_deadlines() {
        let corpus = corpus();
        let seed = corpus.seeds.iter().find(|s| s.op == "expiry.scenario").expect("an expiry seed");
        // The first expiry vector: received at 1767225600 with a ttl of 3600.
        assert!(seed.interesting.contains(&1_767_229_200), "{:?}", seed.interesting);
    }
}

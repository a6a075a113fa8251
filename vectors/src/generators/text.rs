//! Identity inputs changed as text (spec/identity.md): separators, Unicode look-alikes, whitespace
//! of every class, case and width, and lengths at and around every bound of the chapter.

use super::{Rng, bytes_mutate};

/// Separators a phone number or an identifier may be written with, and near relatives.
const SEPARATORS: [char; 16] = [' ', '-', '.', '(', ')', '/', '+', '_', ',', '@', ':', '#', '*', '\'', '"', '\\'];
/// Whitespace of every Unicode class, the zero-width characters and controls.
const WHITESPACE: [char; 26] = [
    '\t', '\n', '\u{0B}', '\u{0C}', '\r', '\u{85}', '\u{A0}', '\u{1680}', '\u{2000}', '\u{2002}', '\u{2003}',
    '\u{2007}', '\u{2009}', '\u{200A}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}', '\u{200B}',
    '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{0}', '\u{7F}',
];
/// Characters and a look-alike or compatibility variant of each.
const LOOKALIKES: [(char, char); 28] = [
    ('a', '\u{430}'),
    ('e', '\u{435}'),
    ('o', '\u{43E}'),
    ('p', '\u{440}'),
    ('c', '\u{441}'),
    ('x', '\u{445}'),
    ('i', '\u{456}'),
    ('k', '\u{212A}'),
    ('s', '\u{17F}'),
    ('A', '\u{391}'),
    ('0', '\u{FF10}'),
    ('1', '\u{661}'),
    ('2', '\u{6F2}'),
    ('3', '\u{0969}'),
    ('5', '\u{FF15}'),
    ('7', '\u{1D7D5}'),
    ('9', '\u{2079}'),
    ('+', '\u{FF0B}'),
    ('+', '\u{207A}'),
    ('@', '\u{FF20}'),
    ('.', '\u{3002}'),
    ('.', '\u{FF0E}'),
    ('-', '\u{2010}'),
    ('-', '\u{2212}'),
    ('-', '\u{2013}'),
    ('(', '\u{FF08}'),
    ('e', '\u{E9}'),
    ('i', '\u{130}'),
];
/// Lengths (in bytes) at and around the identity chapter's bounds: user IDs 3 to 64, phone
/// numbers 7 to 15 digits, e-mail local parts 64 and labels 63 and addresses 254, device IDs 128,
/// raw input 512.
const LENGTHS: [usize; 27] =
    [0, 1, 2, 3, 4, 6, 7, 8, 14, 15, 16, 17, 63, 64, 65, 66, 127, 128, 129, 253, 254, 255, 256, 511, 512, 513, 600];

/// One text mutation of `bytes` (UTF-8 text; other bytes get a byte mutation).
#[must_use]
pub fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let Ok(text) = core::str::from_utf8(bytes) else {
        return bytes_mutate(bytes.to_vec(), &[], rng);
    };
    let mut chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    match rng.below(10) {
        0 => chars.insert(at, *rng.pick(&SEPARATORS).unwrap_or(&' ')),
        9 if rng.chance(1, 2) => {
            // A national trunk marker, or a digit in brackets, after the first few characters.
            let marker = *rng.pick(&["(0)", "(1)", " (0) ", "0", "00", "+"]).unwrap_or(&"(0)");
            let at = at.min(1 + rng.below(4)).min(chars.len());
            for (i, c) in marker.chars().enumerate() {
                chars.insert(at + i, c);
            }
        }
        1 => chars.insert(at, *rng.pick(&WHITESPACE).unwrap_or(&' ')),
        2 => {
            // Leading or trailing whitespace.
            let space = *rng.pick(&WHITESPACE).unwrap_or(&' ');
            if rng.chance(1, 2) { chars.insert(0, space) } else { chars.push(space) }
        }
        3 => {
            // A look-alike for a character the text has, or anywhere.
            let places: Vec<(usize, char)> = chars
                .iter()
                .enumerate()
                .flat_map(|(i, c)| LOOKALIKES.iter().filter(move |(from, _)| from == c).map(move |(_, to)| (i, *to)))
                .collect();
            if let Some(&(i, to)) = rng.pick(&places) {
                chars[i] = to;
            } else if let Some(&(_, to)) = rng.pick(&LOOKALIKES) {
                chars.insert(at, to);
            }
        }
        4 => {
            // A combining mark after a character.
            chars.insert(at, *rng.pick(&['\u{301}', '\u{308}', '\u{327}', '\u{20E3}']).unwrap_or(&'\u{301}'));
        }
        5 => {
            let all: String = chars.iter().collect();
            let changed = match rng.below(3) {
                0 => all.to_uppercase(),
                1 => all.to_lowercase(),
                _ => {
                    all.chars().map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c }).rev().collect()
                }
            };
            chars = changed.chars().collect();
        }
        6 if !chars.is_empty() => {
            chars.remove(at.min(chars.len() - 1));
        }
        7 => return resize(&chars, rng),
        8 => return resize_part(&chars, rng),
        _ => return bytes_mutate(bytes.to_vec(), &[], rng),
    }
    chars.into_iter().collect::<String>().into_bytes()
}

/// The text grown or cut to a length (in bytes) near a bound, by repeating or removing one of its
/// characters.
fn resize(chars: &[char], rng: &mut Rng) -> Vec<u8> {
    let target = *rng.pick(&LENGTHS).unwrap_or(&0);
    let mut chars = chars.to_vec();
    let at = rng.below(chars.len());
    let fill = chars.get(at).copied().filter(char::is_ascii_alphanumeric).unwrap_or('7');
    let len = |chars: &[char]| chars.iter().map(|c| c.len_utf8()).sum::<usize>();
    while len(&chars) < target {
        chars.insert(at.min(chars.len()), fill);
    }
    while len(&chars) > target && !chars.is_empty() {
        chars.remove(at.min(chars.len() - 1));
    }
    chars.into_iter().collect::<String>().into_bytes()
}

/// One part of an address or number (split at `@` and `.`, or the run of digits) grown or cut to
/// a bound: an e-mail local part of 64 or 65, a label of 63 or 64, a number of 7 to 16 digits.
fn resize_part(chars: &[char], rng: &mut Rng) -> Vec<u8> {
    let bounds: &[usize] = &[6, 7, 8, 14, 15, 16, 62, 63, 64, 65];
    let target = *rng.pick(bounds).unwrap_or(&63);
    let parts: Vec<(usize, usize)> = {
        let mut parts = Vec::new();
        let mut start = 0;
        for (i, c) in chars.iter().enumerate() {
            if matches!(c, '@' | '.' | '+') {
                parts.push((start, i));
                start = i + 1;
            }
        }
        parts.push((start, chars.len()));
        parts
    };
    let Some(&(start, end)) = rng.pick(&parts) else { return chars.iter().collect::<String>().into_bytes() };
    let fill = chars[start..end].iter().copied().find(char::is_ascii_alphanumeric).unwrap_or('9');
    let mut part: Vec<char> = chars[start..end].to_vec();
    part.resize(target, fill);
    let mut out = chars[..start].to_vec();
    out.extend(part);
    out.extend_from_slice(&chars[end..]);
    out.into_iter().collect::<String>().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_mutations_reach_every_kind_of_change() {
        let mut rng = Rng::new(1);
        let input = b"alice@example.com";
        let outs: Vec<Vec<u8>> = (0..400).map(|_| mutate(input, &mut rng)).collect();
        let has = |p: &dyn Fn(&str) -> bool| outs.iter().any(|o| core::str::from_utf8(o).is_ok_and(p));
        assert!(has(&|s| s.contains('\u{A0}') || s.contains('\u{3000}') || s.contains('\t')));
        assert!(has(&|s| s.contains('\u{430}') || s.contains('\u{435}')));
        assert!(has(&|s| s.split('@').next().is_some_and(|l| l.len() == 64 || l.len() == 65)));
        assert!(has(&|s| s == "ALICE@EXAMPLE.COM"));
        assert!(outs.iter().filter(|o| o.as_slice() == input).count() < 40, "most mutations change the text");
    }
}

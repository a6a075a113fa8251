//! Reading one line at a time with a bound, so a peer that never prints a newline cannot make the
//! reader buffer without limit.

use std::io::{self, BufRead};

/// What one bounded read produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// A complete line, without its `\n` (and without a `\r` before it). A last line that ends at
    /// end of input without a newline counts as a line.
    Line(Vec<u8>),
    /// The line went past the bound; the reader stopped in the middle of it.
    TooLong,
    /// End of input, with nothing buffered.
    Eof,
}

/// Reads up to and including the next `\n`, keeping at most `max` bytes of the line.
///
/// # Errors
/// Any I/O error of `reader` other than `Interrupted` (which is retried).
pub(crate) fn read_line_bounded(reader: &mut impl BufRead, max: usize) -> io::Result<LineRead> {
    let mut line = Vec::new();
    loop {
        let available = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if line.is_empty() { LineRead::Eof } else { LineRead::Line(strip_cr(line)) });
        }
        if let Some(pos) = available.iter().position(|&b| b == b'\n') {
            if line.len() + pos > max {
                return Ok(LineRead::TooLong);
            }
            line.extend_from_slice(&available[..pos]);
            reader.consume(pos + 1);
            return Ok(LineRead::Line(strip_cr(line)));
        }
        let taken = available.len();
        if line.len() + taken > max {
            return Ok(LineRead::TooLong);
        }
        line.extend_from_slice(available);
        reader.consume(taken);
    }
}

fn strip_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_lines(input: &[u8], max: usize) -> Vec<LineRead> {
        let mut reader = io::BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        loop {
            let read = read_line_bounded(&mut reader, max).expect("reading from a slice cannot fail");
            let stop = !matches!(read, LineRead::Line(_));
            out.push(read);
            if stop {
                return out;
            }
        }
    }

    #[test]
    fn splits_lines_across_small_buffers() {
        assert_eq!(
            all_lines(b"hello world\r\nsecond\nlast", 100),
            vec![
                LineRead::Line(b"hello world".to_vec()),
                LineRead::Line(b"second".to_vec()),
                LineRead::Line(b"last".to_vec()),
                LineRead::Eof
            ]
        );
    }

    #[test]
    fn stops_at_a_line_past_the_bound() {
        assert_eq!(all_lines(b"12345\n123456\n", 5), vec![LineRead::Line(b"12345".to_vec()), LineRead::TooLong]);
        assert_eq!(all_lines(b"123456789", 5), vec![LineRead::TooLong]);
    }

    #[test]
    fn reports_end_of_input_on_empty_input() {
        assert_eq!(all_lines(b"", 5), vec![LineRead::Eof]);
    }
}

//! Splitting the `--adapter` string into a program and its arguments.
//!
//! The string is split the way a POSIX shell splits words, but nothing else a shell does happens:
//! no variables, globs, pipes or redirections (wrap the command in `sh -c '...'` for those).
//!
//! - unquoted whitespace (space, tab, newline) separates words;
//! - `'...'` keeps everything inside literally;
//! - `"..."` keeps everything inside literally except `\"` and `\\`, which stand for `"` and `\`;
//! - outside quotes, `\` makes the next character literal;
//! - quoted and unquoted pieces next to each other form one word (`a"b c"` is `ab c`).

use core::fmt;

/// A program and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterCommand {
    /// The program: a path, or a name looked up in `PATH`.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    text: String,
}

impl AdapterCommand {
    /// Splits `text` into words (see the module documentation).
    ///
    /// # Errors
    /// An empty command, an unterminated quote, or a lone `\` at the end.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut words: Vec<String> = Vec::new();
        let mut word = String::new();
        let mut in_word = false;
        let mut chars = text.chars();
        while let Some(ch) = chars.next() {
            match ch {
                ' ' | '\t' | '\n' | '\r' => {
                    if in_word {
                        words.push(core::mem::take(&mut word));
                        in_word = false;
                    }
                }
                '\'' => {
                    in_word = true;
                    loop {
                        match chars.next() {
                            Some('\'') => break,
                            Some(c) => word.push(c),
                            None => return Err("the adapter command has an unterminated ' quote".into()),
                        }
                    }
                }
                '"' => {
                    in_word = true;
                    loop {
                        match chars.next() {
                            Some('"') => break,
                            Some('\\') => match chars.next() {
                                Some(c @ ('"' | '\\')) => word.push(c),
                                Some(c) => {
                                    word.push('\\');
                                    word.push(c);
                                }
                                None => return Err("the adapter command has an unterminated \" quote".into()),
                            },
                            Some(c) => word.push(c),
                            None => return Err("the adapter command has an unterminated \" quote".into()),
                        }
                    }
                }
                '\\' => match chars.next() {
                    Some(c) => {
                        in_word = true;
                        word.push(c);
                    }
                    None => return Err("the adapter command ends with a lone \\".into()),
                },
                c => {
                    in_word = true;
                    word.push(c);
                }
            }
        }
        if in_word {
            words.push(word);
        }
        let mut words = words.into_iter();
        let Some(program) = words.next() else {
            return Err("the adapter command is empty".into());
        };
        Ok(Self { program, args: words.collect(), text: text.trim().to_owned() })
    }
}

impl fmt::Display for AdapterCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Result<Vec<String>, String> {
        AdapterCommand::parse(text).map(|c| core::iter::once(c.program).chain(c.args).collect())
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(
            words("  python3  adapter.py\t--fast\n"),
            Ok(vec!["python3".into(), "adapter.py".into(), "--fast".into()])
        );
    }

    #[test]
    fn honours_quotes_and_backslashes() {
        assert_eq!(words(r#"sh -c 'exec ./a "b"'"#), Ok(vec!["sh".into(), "-c".into(), r#"exec ./a "b""#.into()]));
        assert_eq!(
            words(r#""my adapter" a\ b "x\"y\\z\n""#),
            Ok(vec!["my adapter".into(), "a b".into(), r#"x"y\z\n"#.into()])
        );
        assert_eq!(words(r#"a"b c"d '' e"#), Ok(vec!["ab cd".into(), String::new(), "e".into()]));
    }

    #[test]
    fn rejects_what_it_cannot_split() {
        assert!(words("").is_err());
        assert!(words("   ").is_err());
        assert!(words("a 'b").is_err());
        assert!(words("a \"b").is_err());
        assert!(words("a \\").is_err());
    }
}

//! `--filter` patterns: a case path (`file/group/id`) matches a pattern where every `*` stands for
//! any run of characters (`/` included) and every other character stands for itself.

/// One `--filter` pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern(String);

impl Pattern {
    /// A pattern from its text.
    #[must_use]
    pub fn new(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The pattern as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `path` matches the whole pattern.
    #[must_use]
    pub fn matches(&self, path: &str) -> bool {
        let pattern: Vec<char> = self.0.chars().collect();
        let text: Vec<char> = path.chars().collect();
        // Greedy matching with one backtrack point: the most recent `*` and where it resumed.
        let (mut p, mut t) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < pattern.len() && pattern[p] == '*' {
                star = Some((p, t));
                p += 1;
            } else if p < pattern.len() && pattern[p] == text[t] {
                p += 1;
                t += 1;
            } else if let Some((star_p, star_t)) = star {
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            } else {
                return false;
            }
        }
        pattern[p..].iter().all(|&c| c == '*')
    }
}

/// Whether a case path is selected: no patterns select everything, otherwise any one must match.
#[must_use]
pub fn selected(patterns: &[Pattern], path: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| p.matches(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_patterns_match_only_themselves() {
        assert!(Pattern::new("identity/g/a").matches("identity/g/a"));
        assert!(!Pattern::new("identity/g/a").matches("identity/g/ab"));
        assert!(!Pattern::new("identity/g/ab").matches("identity/g/a"));
    }

    #[test]
    fn stars_match_any_run_including_slashes() {
        let p = Pattern::new("identity/*");
        assert!(p.matches("identity/canonicalize/phone-1"));
        assert!(p.matches("identity/"));
        assert!(!p.matches("envelope/seal/x"));
        assert!(Pattern::new("*phone*").matches("identity/canonicalize/phone-1"));
        assert!(Pattern::new("*/*/*-1").matches("identity/canonicalize/phone-1"));
        assert!(!Pattern::new("*/*/*-2").matches("identity/canonicalize/phone-1"));
        assert!(Pattern::new("a*b*c").matches("aXbYbZc"));
        assert!(!Pattern::new("a*b*c").matches("aXbYbZ"));
        assert!(Pattern::new("**").matches(""));
    }

    #[test]
    fn no_patterns_select_everything_and_any_match_selects() {
        assert!(selected(&[], "x/y/z"));
        let patterns = [Pattern::new("a/*"), Pattern::new("*/z")];
        assert!(selected(&patterns, "x/y/z"));
        assert!(!selected(&patterns, "x/y/w"));
    }
}

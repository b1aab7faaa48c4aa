//! Literal texts, each replaced by its own replacement: the normalizer's masks (a run id →
//! `<run_id>`) and the redactor's secrets (a key in each of its encodings → its masked form).
//! Every string of every body is searched for every literal, so each keeps its searcher built
//! (`str::contains` and `str::replace` set one up per call, which cost more than the search).

use memchr::memmem::Finder;

/// The literals, longest first, so a literal that contains another is replaced whole.
#[derive(Clone, Debug, Default)]
pub struct Literals {
    items: Vec<Literal>,
}

#[derive(Clone, Debug)]
struct Literal {
    text: String,
    replacement: String,
    finder: Finder<'static>,
}

impl Literals {
    /// Adds `text` (replaced by `replacement`), or gives a known one this replacement. The
    /// empty text is ignored.
    pub fn set(&mut self, text: &str, replacement: &str) {
        match self.items.iter_mut().find(|l| l.text == text) {
            Some(l) => l.replacement = replacement.to_string(),
            None => {
                self.add(text, replacement);
            }
        }
    }

    /// Adds `text` unless it is known (or empty); whether it was added.
    pub fn add(&mut self, text: &str, replacement: &str) -> bool {
        if text.is_empty() || self.has(text) {
            return false;
        }
        self.items.push(Literal {
            text: text.to_string(),
            replacement: replacement.to_string(),
            finder: Finder::new(text.as_bytes()).into_owned(),
        });
        // Stable: of two as long, the first added stays first.
        self.items.sort_by_key(|l| std::cmp::Reverse(l.text.len()));
        true
    }

    /// Adds every literal of `other` this one does not have.
    pub fn extend(&mut self, other: &Literals) {
        for l in &other.items {
            self.add(&l.text, &l.replacement);
        }
    }

    /// Whether `text` is one of the literals.
    pub fn has(&self, text: &str) -> bool {
        self.items.iter().any(|l| l.text == text)
    }

    /// How many literals there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether any literal occurs in `s`.
    pub fn found_in(&self, s: &str) -> bool {
        self.items
            .iter()
            .any(|l| l.finder.find(s.as_bytes()).is_some())
    }

    /// `s` with each literal in turn replaced everywhere (left to right, not overlapping, as
    /// `str::replace` does), or `None` when none occurs in it (most strings: no copy is made).
    pub fn replaced(&self, s: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for l in &self.items {
            if let Some(r) = l.replace(out.as_deref().unwrap_or(s)) {
                out = Some(r);
            }
        }
        out
    }

    /// [`Literals::replaced`], or `s` itself.
    pub fn apply(&self, s: &str) -> String {
        self.replaced(s).unwrap_or_else(|| s.to_string())
    }
}

impl Literal {
    fn replace(&self, s: &str) -> Option<String> {
        let mut at = self.finder.find_iter(s.as_bytes()).peekable();
        at.peek()?;
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for i in at {
            // A match of valid UTF-8 in valid UTF-8 starts and ends on character boundaries.
            out.push_str(&s[last..i]);
            out.push_str(&self.replacement);
            last = i + self.text.len();
        }
        out.push_str(&s[last..]);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_as_str_replace_does_longest_first() {
        let mut l = Literals::default();
        l.set("aa", "<a>");
        l.set("é-key", "<k>");
        l.set("", "<ignored>");
        for s in [
            "aaa",
            "aaaa",
            "xaaxaa",
            "no match",
            "é-keyé-key aa",
            "",
            "a",
        ] {
            let by_hand = s.replace("é-key", "<k>").replace("aa", "<a>");
            assert_eq!(l.apply(s), by_hand, "{s:?}");
            assert_eq!(l.replaced(s).is_some(), by_hand != s, "{s:?}");
            assert_eq!(l.found_in(s), by_hand != s, "{s:?}");
        }
    }

    #[test]
    fn set_updates_add_keeps_and_extend_skips_known() {
        let mut l = Literals::default();
        assert!(l.add("secret-1", "<1>"));
        assert!(!l.add("secret-1", "<other>"));
        assert_eq!(l.apply("secret-1"), "<1>");
        l.set("secret-1", "<new>");
        assert_eq!(l.apply("secret-1"), "<new>");
        let mut other = Literals::default();
        other.add("secret-1", "<theirs>");
        other.add("secret-22", "<22>");
        l.extend(&other);
        assert_eq!(l.len(), 2);
        assert_eq!(l.apply("secret-1 secret-22"), "<new> <22>");
    }
}

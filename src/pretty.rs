//! JSON pretty-printed as Stripe answers it and as snapshot files hold it (two-space
//! indentation), the same bytes as `serde_json::to_vec_pretty`, cheaper: a line's indentation
//! is one write (serde_json's formatter writes it two spaces at a time, so an object nested in
//! a list page costs more per line than the same object alone), and the text is built in a
//! per-thread buffer that keeps its capacity (instead of a fresh buffer regrown a dozen times
//! per value). The mock's answers are printed from the left margin; a snapshot's body two
//! levels in, as it sits in its file, so checking a response against one is one comparison.

use std::cell::RefCell;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

/// A newline followed by enough spaces for any depth the mock renders; deeper lines repeat it.
const NEWLINE_SPACES: [u8; 129] = {
    let mut b = [b' '; 129];
    b[0] = b'\n';
    b
};

#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// A newline and `depth` levels of two spaces.
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        let mut spaces = self.depth * 2;
        let first = spaces.min(NEWLINE_SPACES.len() - 1);
        w.write_all(&NEWLINE_SPACES[..=first])?;
        spaces -= first;
        while spaces > 0 {
            let n = spaces.min(NEWLINE_SPACES.len() - 1);
            w.write_all(&NEWLINE_SPACES[1..=n])?;
            spaces -= n;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, c: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, c: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(c)
    }

    fn item<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

thread_local! {
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Above this the per-thread buffer is not kept (a huge answer should not pin its memory).
const KEEP: usize = 1 << 20;

/// `v` pretty-printed as if `depth` levels deep (every line but the first indented by
/// `2 × depth` more spaces), handed to `f` in a per-thread buffer; `None` if it cannot be
/// serialized.
pub fn with_printed<T: Serialize + ?Sized, R>(
    v: &T,
    depth: usize,
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> Option<R> {
    BUF.with(|b| {
        // A re-entrant call (none today) would find the buffer borrowed: use a fresh one.
        let mut fresh = Vec::new();
        let mut guard = b.try_borrow_mut().ok();
        let buf = guard.as_deref_mut().unwrap_or(&mut fresh);
        buf.clear();
        let format = Pretty {
            depth,
            has_value: false,
        };
        let mut ser = serde_json::Serializer::with_formatter(&mut *buf, format);
        let out = v.serialize(&mut ser).is_ok().then(|| f(buf));
        if buf.capacity() > KEEP {
            *buf = Vec::new();
        }
        out
    })
}

/// `v` pretty-printed into a string of its own, with a trailing newline (the writer of
/// `report.json`, too large to print through the per-thread buffer).
pub fn to_string<T: Serialize + ?Sized>(v: &T) -> Result<String, serde_json::Error> {
    let mut buf = Vec::with_capacity(1 << 16);
    v.serialize(&mut serde_json::Serializer::with_formatter(
        &mut buf,
        Pretty::default(),
    ))?;
    buf.push(b'\n');
    // serde_json writes only UTF-8.
    Ok(String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn printed(v: &Value, depth: usize) -> String {
        with_printed(v, depth, |b| String::from_utf8(b.clone()).unwrap()).unwrap()
    }

    fn same(v: &Value) {
        let want = String::from_utf8(serde_json::to_vec_pretty(v).unwrap()).unwrap();
        assert_eq!(printed(v, 0), want);
        assert_eq!(to_string(v).unwrap(), want.clone() + "\n");
        // Two levels in: what serde_json writes for the value inside two objects, between
        // the second key and the closing braces.
        let nested = serde_json::to_string_pretty(&json!({"a": {"b": v}})).unwrap();
        let inner = &nested["{\n  \"a\": {\n    \"b\": ".len()..nested.len() - "\n  }\n}".len()];
        assert_eq!(printed(v, 2), inner);
    }

    #[test]
    fn writes_what_serde_json_writes() {
        same(&json!(null));
        same(&json!("a\"b\n"));
        same(&json!([]));
        same(&json!({}));
        same(&json!({"a": [], "b": {}, "c": [1, {"d": [null, "x", {"e": {}}]}], "f": 1.5}));
        same(
            &json!({"object": "list", "data": [{"id": "in_1", "lines": {"data": [{"x": [[]]}]}}]}),
        );
        // Deeper than one run of spaces.
        let mut deep = json!({"leaf": [1, 2]});
        for i in 0..80 {
            deep = if i % 2 == 0 {
                json!([deep, 3])
            } else {
                json!({"k": deep})
            };
        }
        same(&deep);
    }
}

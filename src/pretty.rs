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
use serde_json::Value;

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
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        newline(w, self.depth)
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
/// `2 × depth` more spaces), handed to `f` in a per-thread buffer.
pub fn with_printed<R>(v: &Value, depth: usize, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    BUF.with(|b| {
        // A re-entrant call (none today) would find the buffer borrowed: use a fresh one.
        let mut fresh = Vec::new();
        let mut guard = b.try_borrow_mut().ok();
        let buf = guard.as_deref_mut().unwrap_or(&mut fresh);
        buf.clear();
        print(buf, v, depth);
        let out = f(buf);
        if buf.capacity() > KEEP {
            *buf = Vec::new();
        }
        out
    })
}

/// The value walked directly rather than through serde's serializer: the same bytes
/// (strings and numbers that need care go through serde_json itself), a third of the
/// instructions, since nearly every string needs no escape and is copied whole.
fn print(buf: &mut Vec<u8>, v: &Value, depth: usize) {
    match v {
        Value::Null => buf.extend_from_slice(b"null"),
        Value::Bool(true) => buf.extend_from_slice(b"true"),
        Value::Bool(false) => buf.extend_from_slice(b"false"),
        Value::Number(n) => {
            // Writing to a Vec cannot fail, and a Number is always finite.
            let _ = serde_json::to_writer(&mut *buf, n);
        }
        Value::String(s) => string(buf, s),
        Value::Array(a) if a.is_empty() => buf.extend_from_slice(b"[]"),
        Value::Array(a) => {
            buf.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                let _ = newline(buf, depth + 1);
                print(buf, x, depth + 1);
            }
            let _ = newline(buf, depth);
            buf.push(b']');
        }
        Value::Object(m) if m.is_empty() => buf.extend_from_slice(b"{}"),
        Value::Object(m) => {
            buf.push(b'{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                let _ = newline(buf, depth + 1);
                string(buf, k);
                buf.extend_from_slice(b": ");
                print(buf, x, depth + 1);
            }
            let _ = newline(buf, depth);
            buf.push(b'}');
        }
    }
}

/// A JSON string: copied between quotes when nothing in it needs an escape, else escaped
/// by serde_json (which escapes exactly the quote, the backslash and the control characters).
fn string(buf: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        let _ = serde_json::to_writer(&mut *buf, s);
    } else {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    }
}

/// Whether any byte is a control character, a quote or a backslash: eight bytes at a time
/// (most strings are a few words long, and a byte-by-byte test cost more than the copy).
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The classic word tricks: a byte's high bit is set in the result iff that byte is below
    // 0x20 (or zero, for `zero`); a borrow can only flag bytes above one already flagged.
    let zero = |y: u64| y.wrapping_sub(ONES) & !y & HIGH;
    let word = |x: u64| {
        (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | zero(x ^ (ONES * b'"' as u64))
            | zero(x ^ (ONES * b'\\' as u64))
            != 0
    };
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        if word(u64::from_le_bytes(c.try_into().unwrap_or_default())) {
            return true;
        }
    }
    let rest = chunks.remainder();
    let mut last = [b'a'; 8];
    last[..rest.len()].copy_from_slice(rest);
    word(u64::from_le_bytes(last))
}

/// A newline and `depth` levels of two spaces.
fn newline<W: ?Sized + Write>(w: &mut W, depth: usize) -> io::Result<()> {
    let mut spaces = depth * 2;
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

/// `v` pretty-printed into a string of its own, with a trailing newline, in a buffer with room
/// for `capacity` bytes from the start (the writer of `report.json`, too large to print
/// through the per-thread buffer).
pub fn to_string<T: Serialize + ?Sized>(
    v: &T,
    capacity: usize,
) -> Result<String, serde_json::Error> {
    let mut buf = Vec::with_capacity(capacity);
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
    use serde_json::json;

    fn printed(v: &Value, depth: usize) -> String {
        with_printed(v, depth, |b| String::from_utf8(b.clone()).unwrap())
    }

    fn same(v: &Value) {
        let want = String::from_utf8(serde_json::to_vec_pretty(v).unwrap()).unwrap();
        assert_eq!(printed(v, 0), want);
        assert_eq!(to_string(v, 0).unwrap(), want.clone() + "\n");
        // Two levels in: what serde_json writes for the value inside two objects, between
        // the second key and the closing braces.
        let nested = serde_json::to_string_pretty(&json!({"a": {"b": v}})).unwrap();
        let inner = &nested["{\n  \"a\": {\n    \"b\": ".len()..nested.len() - "\n  }\n}".len()];
        assert_eq!(printed(v, 2), inner);
    }

    #[test]
    fn every_byte_that_needs_an_escape_is_found_anywhere_in_a_string() {
        for len in 1..=19 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut s = vec![b'x'; len];
                    s[at] = b;
                    let want = b < 0x20 || b == b'"' || b == b'\\';
                    assert_eq!(needs_escape(&s), want, "byte {b:#x} at {at} of {len}");
                }
            }
        }
        assert!(!needs_escape(b""));
        assert!(!needs_escape("é😀 ~\u{7f}".as_bytes()));
    }

    #[test]
    fn writes_what_serde_json_writes() {
        same(&json!(null));
        same(&json!("a\"b\n"));
        same(&json!(
            "\\ \u{1} \u{1f} \u{7f} \t\r\u{8}\u{c} é 😀 </script>"
        ));
        same(&json!({"k\"\n": "v", "": "", "ü": [true, false]}));
        same(&json!([
            0,
            -1,
            u64::MAX,
            i64::MIN,
            1.5,
            -0.0,
            1e300,
            5e-324,
            0.1,
            100.0
        ]));
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

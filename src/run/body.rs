//! Response bodies parsed into bounded JSON, with duplicate keys found rather than collapsed.
//!
//! A body under the byte cap can still be a 15 MB array of zeros: 7.5 million JSON values,
//! each a tree node of tens of bytes, copied again by every stage. So the parser keeps at most
//! [`MAX_NODES`] values; past that, the rest of each open array or object is folded into one
//! string that counts what was folded and carries a digest of it. Two bodies that differ in the
//! folded part still differ (in that string), so nothing real is hidden, and memory no longer
//! grows with the body.
//!
//! serde_json keeps the last of two equal keys; JSON parsers disagree on which one wins, so a
//! target that sends duplicates is reported (by JSON Pointer) instead of silently collapsed.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Values kept from one body. A Stripe list page of 100 expanded invoices is ~30 000.
pub const MAX_NODES: usize = 100_000;

/// A parsed body.
#[derive(Debug)]
pub struct Parsed {
    /// The body, folded past the node budget.
    pub value: Value,
    /// JSON Pointers of keys that occurred more than once in their object.
    pub duplicate_keys: Vec<String>,
}

/// Parses `bytes` as JSON, keeping at most `max_nodes` values.
pub fn parse(bytes: &[u8], max_nodes: usize) -> Result<Parsed, serde_json::Error> {
    let state = RefCell::new(State {
        nodes: 0,
        max_nodes,
        path: Vec::new(),
        duplicate_keys: Vec::new(),
        sizes: SIZES.get(),
    });
    // serde_json's own recursion limit (128) stays on: a hostile nesting cannot overflow.
    // UTF-8 is checked once, whole, instead of string by string (a third of what parsing the
    // strings cost); a body that is not UTF-8 is read from the bytes, for serde_json's own
    // error and position.
    let value = match std::str::from_utf8(bytes) {
        Ok(text) => whole(serde_json::Deserializer::from_str(text), &state)?,
        Err(_) => whole(serde_json::Deserializer::from_slice(bytes), &state)?,
    };
    let s = state.into_inner();
    SIZES.set(s.sizes);
    Ok(Parsed {
        value,
        duplicate_keys: s.duplicate_keys,
    })
}

/// One value, and nothing after it.
fn whole<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    st: &RefCell<State>,
) -> Result<Value, serde_json::Error> {
    let value = Node { st }.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

enum Seg {
    Key(String),
    Index(usize),
}

struct State {
    nodes: usize,
    max_nodes: usize,
    path: Vec<Seg>,
    duplicate_keys: Vec<String>,
    sizes: Sizes,
}

/// How many members the last object under each parent key had (by a digest of the key, in one
/// of [`SIZE_SLOTS`] slots). Growing a map rehashes all it holds; a Stripe answer repeats its
/// shapes (every line item, every invoice of a list, the same answer step after step), so a map
/// sized like the last one under the same key grows about never. Kept per thread, across bodies.
type Sizes = [(u64, u16); SIZE_SLOTS];

const SIZE_SLOTS: usize = 64;

const MAX_SIZE_HINT: usize = 256;

thread_local! {
    static SIZES: std::cell::Cell<Sizes> = const { std::cell::Cell::new([(0, 0); SIZE_SLOTS]) };
}

impl State {
    /// The digest of the key the object being opened sits under (an array's key for its
    /// elements; 1 for the root), never 0 (an empty slot).
    fn parent(&self) -> u64 {
        let mut h = Fnv::new();
        let mut segs = self.path.iter().rev();
        match segs.next() {
            None => return 1,
            Some(Seg::Key(k)) => h.bytes(k.as_bytes()),
            Some(Seg::Index(_)) => {
                h.bytes(b"[");
                if let Some(Seg::Key(k)) = segs.next() {
                    h.bytes(k.as_bytes());
                }
            }
        }
        h.value() | 1
    }
    /// The members the last object under `parent` had, if it is remembered.
    fn size_hint(&self, parent: u64) -> usize {
        match self.sizes[parent as usize % SIZE_SLOTS] {
            (p, n) if p == parent => usize::from(n),
            _ => 0,
        }
    }
    /// At most [`MAX_SIZE_HINT`]: a hostile body's huge object then costs the next small one
    /// under its key a few kilobytes, not its own size (a Stripe object has ~100 keys at most).
    fn remember_size(&mut self, parent: u64, n: usize) {
        self.sizes[parent as usize % SIZE_SLOTS] = (parent, n.min(MAX_SIZE_HINT) as u16);
    }

    fn pointer(&self, last: &str) -> String {
        let mut p = String::new();
        for seg in &self.path {
            p.push('/');
            match seg {
                Seg::Key(k) => p.push_str(&escape(k)),
                Seg::Index(i) => p.push_str(&i.to_string()),
            }
        }
        p.push('/');
        p.push_str(&escape(last));
        p
    }
    fn full(&self) -> bool {
        self.nodes >= self.max_nodes
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The string a folded tail becomes.
fn folded_text(what: &str, count: usize, limit: usize, digest: u64) -> String {
    format!("…{count} more {what} not kept (over apiparity's {limit}-value limit per body); fnv1a64 of them: {digest:016x}")
}

struct Node<'a> {
    st: &'a RefCell<State>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.st.borrow_mut().nodes += 1;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            if self.st.borrow().full() {
                let mut h = Fnv::new();
                let mut count = 0;
                while seq.next_element_seed(Hash(&mut h))?.is_some() {
                    count += 1;
                }
                if count > 0 {
                    items.push(Value::String(folded_text(
                        "elements",
                        count,
                        self.st.borrow().max_nodes,
                        h.value(),
                    )));
                }
                break;
            }
            self.st.borrow_mut().path.push(Seg::Index(items.len()));
            let next = seq.next_element_seed(Node { st: self.st });
            self.st.borrow_mut().path.pop();
            match next? {
                Some(v) => items.push(v),
                None => break,
            }
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let parent = self.st.borrow().parent();
        let mut map = Map::with_capacity(self.st.borrow().size_hint(parent));
        loop {
            if self.st.borrow().full() {
                let mut h = Fnv::new();
                let mut count = 0;
                while let Some(k) = access.next_key::<String>()? {
                    h.bytes(k.as_bytes());
                    access.next_value_seed(Hash(&mut h))?;
                    count += 1;
                }
                if count > 0 {
                    map.insert(
                        "…".to_string(),
                        Value::String(folded_text(
                            "members",
                            count,
                            self.st.borrow().max_nodes,
                            h.value(),
                        )),
                    );
                }
                break;
            }
            let Some(key) = access.next_key::<String>()? else {
                break;
            };
            // The key lends itself to the path while its value is parsed (no copy per key), and
            // is hashed once, on insertion; a duplicate's pointer goes where it would have gone
            // had it been found before its value (before the value's own duplicates).
            self.st.borrow_mut().path.push(Seg::Key(key));
            let mark = self.st.borrow().duplicate_keys.len();
            let v = access.next_value_seed(Node { st: self.st });
            let Some(Seg::Key(key)) = self.st.borrow_mut().path.pop() else {
                unreachable!("the path pops what this call pushed")
            };
            let v = v?;
            match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(v);
                }
                serde_json::map::Entry::Occupied(mut slot) => {
                    let p = self.st.borrow().pointer(slot.key());
                    self.st.borrow_mut().duplicate_keys.insert(mark, p);
                    slot.insert(v);
                }
            }
        }
        self.st.borrow_mut().remember_size(parent, map.len());
        Ok(Value::Object(map))
    }
}

/// FNV-1a, 64 bit: stable across Rust versions, so a folded digest in a committed snapshot
/// means the same thing tomorrow.
struct Fnv(fnv::FnvHasher);

impl Fnv {
    fn new() -> Fnv {
        Fnv(fnv::FnvHasher::default())
    }
    fn bytes(&mut self, b: &[u8]) {
        std::hash::Hasher::write(&mut self.0, b);
    }
    fn value(&self) -> u64 {
        std::hash::Hasher::finish(&self.0)
    }
}

/// Feeds a value into the digest without building it.
struct Hash<'a>(&'a mut Fnv);

impl<'de> DeserializeSeed<'de> for Hash<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Hash<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.0.bytes(if v { b"t" } else { b"f" });
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.0.bytes(b"n");
        self.0.bytes(v.to_string().as_bytes());
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.0.bytes(b"n");
        self.0.bytes(v.to_string().as_bytes());
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.0.bytes(b"n");
        self.0.bytes(v.to_string().as_bytes());
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.bytes(b"s");
        self.0.bytes(v.as_bytes());
        self.0.bytes(b"\0");
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.bytes(b"z");
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.bytes(b"[");
        while seq.next_element_seed(Hash(self.0))?.is_some() {}
        self.0.bytes(b"]");
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        self.0.bytes(b"{");
        while let Some(k) = access.next_key::<String>()? {
            self.0.bytes(k.as_bytes());
            self.0.bytes(b":");
            access.next_value_seed(Hash(self.0))?;
        }
        self.0.bytes(b"}");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_bodies_parse_exactly() {
        for text in [
            r#"{"a":[1,2.5,"x",null,true,{"b":{}}],"c":-3}"#,
            r#"{"z":1,"b":[[],[{}],[[1,[2]],{"y":{"x":[3]},"a":4}]],"m":{"q":null,"c":"d"}}"#,
            r#"[{"k":1},[],{"j":[{"i":{}}]},"s"]"#,
            "3",
        ] {
            let p = parse(text.as_bytes(), MAX_NODES).unwrap();
            let want = serde_json::from_str::<Value>(text).unwrap();
            assert_eq!(p.value, want);
            // Map equality ignores order: the text says the members kept theirs.
            assert_eq!(p.value.to_string(), want.to_string());
            assert!(p.duplicate_keys.is_empty());
        }
        assert!(parse(b"{\"a\":", MAX_NODES).is_err());
        assert!(parse(b"{} x", MAX_NODES).is_err());
        // Not UTF-8: serde_json's error, at its position.
        let bad = b"{\"a\": \"caf\xe9\"}";
        assert_eq!(
            parse(bad, MAX_NODES).unwrap_err().to_string(),
            serde_json::from_slice::<Value>(bad)
                .unwrap_err()
                .to_string()
        );
    }

    #[test]
    fn duplicate_keys_are_named_by_pointer() {
        let p = parse(
            br#"{"a":1,"x":{"k/1":[{"id":1,"id":2}],"k/1":0},"a":3}"#,
            100,
        )
        .unwrap();
        assert_eq!(p.duplicate_keys, vec!["/x/k~11/0/id", "/x/k~11", "/a"]);
        assert_eq!(p.value["a"], json!(3));
        // Each duplicate at its place: in order of the members they follow, before the
        // duplicates inside their values; the first place and the last value kept.
        let p = parse(
            br#"{"a":1,"b":{"c":1,"c":2},"a":{"d":0,"d":1},"b":2,"a":3,"e":[{"f":0,"f":1}]}"#,
            100,
        )
        .unwrap();
        assert_eq!(
            p.duplicate_keys,
            vec!["/b/c", "/a", "/a/d", "/b", "/a", "/e/0/f"]
        );
        assert_eq!(p.value.to_string(), r#"{"a":3,"b":2,"e":[{"f":1}]}"#);
    }

    #[test]
    fn big_bodies_are_folded_and_still_differ() {
        let zeros = |n: usize, last: u8| {
            let mut s = String::from("[");
            for i in 0..n {
                s.push_str(if i == n - 1 && last == 1 { "1," } else { "0," });
            }
            s.pop();
            s.push(']');
            s
        };
        let a = parse(zeros(1000, 0).as_bytes(), 10).unwrap();
        let b = parse(zeros(1000, 1).as_bytes(), 10).unwrap();
        let items = a.value.as_array().unwrap();
        assert_eq!(items.len(), 10);
        assert!(items[9].as_str().unwrap().starts_with("…991 more elements"));
        assert_ne!(
            a.value, b.value,
            "a difference in the folded tail still shows"
        );
        let c = parse(zeros(1000, 0).as_bytes(), 10).unwrap();
        assert_eq!(a.value, c.value, "folding is deterministic");
    }
}

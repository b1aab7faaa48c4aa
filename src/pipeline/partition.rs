//! `run --partition k/n`: one of `n` disjoint slices of the selected scenarios, so a suite can
//! be spread over CI runners and the slices' reports merged (`apiparity report merge`). As in
//! cargo-nextest, two schemes:
//!
//! - `count:k/n` (the default, also written `k/n`): the selected scenarios in plan order (file
//!   order), dealt round-robin; slices differ by at most one scenario;
//! - `hash:k/n`: by a hash of the scenario key (FNV-1a, stable across versions and machines), so
//!   a scenario stays in its slice when others are added or removed.
//!
//! Either way every selected scenario is in exactly one slice, whatever runner computes it.

use std::fmt;
use std::str::FromStr;

/// How scenarios are dealt to slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Round-robin over the selected scenarios in plan order.
    Count,
    /// By a stable hash of the scenario key.
    Hash,
}

/// Slice `index` (1-based) of `total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// How scenarios are dealt.
    pub scheme: Scheme,
    /// Which slice, from 1.
    pub index: u32,
    /// How many slices.
    pub total: u32,
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Count => "count",
            Scheme::Hash => "hash",
        };
        write!(f, "{scheme}:{}/{}", self.index, self.total)
    }
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Partition, String> {
        let usage = || {
            format!(
                "`{s}` is not a partition: expected k/n with 1 ≤ k ≤ n, optionally prefixed \
                 count: or hash: (e.g. 2/3, hash:1/4)"
            )
        };
        let (scheme, rest) = match s.split_once(':') {
            Some(("count", rest)) => (Scheme::Count, rest),
            Some(("hash", rest)) => (Scheme::Hash, rest),
            Some((other, _)) => {
                return Err(format!(
                    "unknown partition scheme `{other}`: expected count or hash (e.g. count:2/3)"
                ))
            }
            None => (Scheme::Count, s),
        };
        let (k, n) = rest.split_once('/').ok_or_else(usage)?;
        let index: u32 = k.trim().parse().map_err(|_| usage())?;
        let total: u32 = n.trim().parse().map_err(|_| usage())?;
        if total == 0 || index == 0 || index > total {
            return Err(usage());
        }
        Ok(Partition {
            scheme,
            index,
            total,
        })
    }
}

fn fnv1a(s: &str) -> u64 {
    let mut h = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut h, s.as_bytes());
    std::hash::Hasher::finish(&h)
}

impl Partition {
    /// Whether the scenario at `position` among the selected ones (plan order), with `key`,
    /// belongs to this slice.
    pub fn keeps(&self, position: usize, key: &str) -> bool {
        let slot = match self.scheme {
            Scheme::Count => position as u64 % u64::from(self.total),
            Scheme::Hash => fnv1a(key) % u64::from(self.total),
        };
        slot == u64::from(self.index - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_fnv1a_64_so_slices_stay_put_across_releases() {
        // Published FNV-1a 64-bit test vectors.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn parses_and_refuses() {
        let p: Partition = "2/3".parse().unwrap();
        assert_eq!((p.scheme, p.index, p.total), (Scheme::Count, 2, 3));
        assert_eq!(
            "hash:1/4".parse::<Partition>().unwrap().scheme,
            Scheme::Hash
        );
        assert_eq!(
            "count:3/3".parse::<Partition>().unwrap().to_string(),
            "count:3/3"
        );
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/", "/2", "-1/3"] {
            let e = bad.parse::<Partition>().unwrap_err();
            assert!(e.contains("expected k/n"), "{bad}: {e}");
        }
        let e = "slice:1/2".parse::<Partition>().unwrap_err();
        assert!(e.contains("unknown partition scheme `slice`"), "{e}");
    }

    /// Every scenario lands in exactly one slice, for both schemes; count slices are balanced.
    #[test]
    fn slices_are_disjoint_and_cover() {
        let keys: Vec<String> = (0..50)
            .map(|i| format!("group{}/scenario-{i}", i % 7))
            .collect();
        for scheme in ["count", "hash"] {
            for n in 1..=6u32 {
                let parts: Vec<Partition> = (1..=n)
                    .map(|k| format!("{scheme}:{k}/{n}").parse().unwrap())
                    .collect();
                let mut sizes = vec![0usize; n as usize];
                for (pos, key) in keys.iter().enumerate() {
                    let owners: Vec<usize> = parts
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| p.keeps(pos, key))
                        .map(|(i, _)| i)
                        .collect();
                    assert_eq!(owners.len(), 1, "{scheme} {n} {key}");
                    sizes[owners[0]] += 1;
                }
                if scheme == "count" {
                    let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                    assert!(hi - lo <= 1, "{sizes:?}");
                }
            }
        }
        // Hash slices do not depend on the position: adding scenarios moves none.
        let p: Partition = "hash:2/3".parse().unwrap();
        assert_eq!(p.keeps(0, "a/b"), p.keeps(99, "a/b"));
    }
}

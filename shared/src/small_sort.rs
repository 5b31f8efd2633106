//! Sorting the short lists a report holds: ports, hosts, evidence, cells.
//!
//! The standard library's sorts are built for long slices and are big in
//! code: every element type compiles about 4 KB of quicksort, merge and
//! small-sort routines, which came to 42 KB of the page's wasm for ten
//! types. These lists hold tens of items (the longest, the names the
//! redaction keeps, a few hundred, once per share), where an insertion sort
//! is as quick and compiles to a few hundred bytes per type.
//!
//! Both sorts are stable, as `slice::sort` is. [`IntoSet`] collects into a
//! `BTreeSet` without the standard library's `FromIterator`, which sorts
//! the items in a `Vec` first (the same sort code again).

use std::cmp::Ordering;
use std::collections::BTreeSet;

/// Sorts `items` by `compare`, keeping equal items in their order.
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && compare(&items[j - 1], &items[j]) == Ordering::Greater {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Sorts `items` by the key `key` gives each, keeping equal keys in their order.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` in their natural order.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// `collect()` into a [`BTreeSet`], inserting the items one by one.
pub trait IntoSet: Iterator + Sized
where
    Self::Item: Ord,
{
    /// The items as a set.
    fn into_set(self) -> BTreeSet<Self::Item> {
        let mut set = BTreeSet::new();
        set.extend(self);
        set
    }
}

impl<I: Iterator> IntoSet for I where I::Item: Ord {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_standard_library_stable_sort() {
        // Every list of up to 7 items drawn from 4 keys, tagged with their
        // first position so that stability shows.
        for len in 0..=7u32 {
            for code in 0..4u32.pow(len) {
                let items: Vec<(u32, u32)> =
                    (0..len).map(|i| ((code / 4u32.pow(i)) % 4, i)).collect();
                let mut ours = items.clone();
                sort_by_key(&mut ours, |&(k, _)| k);
                let mut std = items.clone();
                std.sort_by_key(|&(k, _)| k);
                assert_eq!(ours, std, "{items:?}");
                let mut natural = items.clone();
                sort(&mut natural);
                let mut std_natural = items;
                std_natural.sort();
                assert_eq!(natural, std_natural);
                let set = natural.iter().map(|&(k, _)| k).into_set();
                assert_eq!(set, natural.iter().map(|&(k, _)| k).collect());
            }
        }
    }
}

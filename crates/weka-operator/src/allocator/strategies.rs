//! How a capacity is cut into virtual drives (upstream `drive_allocation_strategies.go`):
//! candidate cuts in order of preference, and their placement on physical drives.

use weka_api::common::GoInt;

/// The smallest virtual drive: 3 x 128 GiB.
pub const MIN_CHUNK_GIB: GoInt = 128 * 3;

/// Virtual-drive sizes to try for `needed` GiB, best first, with between `min_drives` and
/// `max_drives` drives, given the free GiB of each physical drive:
///
/// 1. even distribution over n = min_drives, min_drives + 1, ... drives, while each drive
///    stays >= [`MIN_CHUNK_GIB`];
/// 2. fit to physical: the largest free drives taken whole (the last one partly) until the
///    capacity is met, then the largest pieces halved until there are `min_drives`.
///
/// Nothing is tried when the drives do not hold `needed` GiB in total.
pub fn strategies(
    needed: GoInt,
    min_drives: usize,
    max_drives: usize,
    free: &[GoInt],
) -> Vec<Vec<GoInt>> {
    if needed <= 0 || free.iter().sum::<GoInt>() < needed {
        return Vec::new();
    }
    let mut found = Vec::new();
    for n in min_drives.max(1)..=max_drives {
        let base = needed / n as GoInt;
        if base < MIN_CHUNK_GIB {
            break;
        }
        let remainder = (needed % n as GoInt) as usize;
        found.push((0..n).map(|i| if i < remainder { base + 1 } else { base }).collect());
    }
    if let Some(fit) = fit_to_physical(needed, min_drives, max_drives, free) {
        found.push(fit);
    }
    found
}

fn fit_to_physical(
    needed: GoInt,
    min_drives: usize,
    max_drives: usize,
    free: &[GoInt],
) -> Option<Vec<GoInt>> {
    let mut usable: Vec<GoInt> = free.iter().copied().filter(|f| *f >= MIN_CHUNK_GIB).collect();
    usable.sort_unstable_by(|a, b| b.cmp(a));
    let mut sizes = Vec::new();
    let mut total = 0;
    for available in usable {
        let take = available.min(needed - total);
        if take >= MIN_CHUNK_GIB {
            sizes.push(take);
            total += take;
        }
        if total >= needed {
            break;
        }
    }
    if total < needed {
        return None;
    }
    while sizes.len() < min_drives && sizes.len() < max_drives {
        let Some((index, largest)) = sizes
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, s)| *s >= 2 * MIN_CHUNK_GIB)
            .max_by(|(ia, a), (ib, b)| a.cmp(b).then(ib.cmp(ia)))
        else {
            break;
        };
        sizes[index] = largest / 2;
        sizes.push(largest - largest / 2);
    }
    (sizes.len() >= min_drives && sizes.len() <= max_drives).then_some(sizes)
}

/// Places each size on the physical drive with the most free capacity at that moment (the
/// earlier one on a tie). Returns the index of the drive of each size, or `None` when some
/// size fits nowhere. Drives with less than [`MIN_CHUNK_GIB`] free are not used.
pub fn place(sizes: &[GoInt], free: &[GoInt]) -> Option<Vec<usize>> {
    let mut remaining: Vec<GoInt> =
        free.iter().map(|f| if *f >= MIN_CHUNK_GIB { *f } else { 0 }).collect();
    let mut placement = Vec::with_capacity(sizes.len());
    for size in sizes {
        let (index, most) = remaining
            .iter()
            .copied()
            .enumerate()
            .max_by(|(ia, a), (ib, b)| a.cmp(b).then(ib.cmp(ia)))?;
        if most < *size {
            return None;
        }
        remaining[index] -= size;
        placement.push(index);
    }
    Some(placement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_distribution_comes_first_from_the_core_count_up() {
        let found = strategies(3000, 2, 4, &[10000, 10000]);
        assert_eq!(found[0], [1500, 1500]);
        assert_eq!(found[1], [1000, 1000, 1000]);
        assert_eq!(found[2], [750, 750, 750, 750]);
        assert_eq!(found.len(), 4, "then fit-to-physical");
        assert_eq!(found[3], [1500, 1500]);
    }

    #[test]
    fn even_distribution_stops_below_the_minimum_chunk() {
        let found = strategies(1000, 1, 8, &[5000]);
        assert_eq!(found[..2], [vec![1000], vec![500, 500]]);
        assert_eq!(found.len(), 3, "384 * 3 > 1000; plus fit-to-physical");
    }

    #[test]
    fn fit_to_physical_takes_large_drives_whole_and_splits_for_the_core_count() {
        assert_eq!(fit_to_physical(21000, 1, 8, &[20000, 500, 500]), Some(vec![20000, 500, 500]));
        assert_eq!(
            fit_to_physical(21000, 4, 8, &[20000, 500, 500]),
            Some(vec![10000, 500, 500, 10000])
        );
        assert_eq!(fit_to_physical(21000, 1, 2, &[20000, 500, 500]), None, "too many drives");
    }

    #[test]
    fn nothing_is_tried_without_enough_free_capacity() {
        assert!(strategies(5000, 1, 8, &[2000, 2000]).is_empty());
    }

    #[test]
    fn placement_always_uses_the_drive_with_most_room() {
        assert_eq!(place(&[1000, 1000, 1000], &[2500, 2000]), Some(vec![0, 1, 0]));
        assert_eq!(place(&[1000, 1000, 1000], &[1500, 1500]), None);
        assert_eq!(place(&[400], &[383]), None, "a drive below the minimum chunk takes nothing");
    }
}

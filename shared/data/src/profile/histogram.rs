//! Histograms exactly as `numpy.histogram` builds them: Freedman-Diaconis bins (`bins='fd'`),
//! or a fixed number of equal-width bins when FD asks for too many.
//!
//! The edge arithmetic (linspace) and the bin assignment (including numpy's one-ulp corrections
//! at the edges and the closed last bin) are reproduced step by step, so counts and edges match
//! numpy's. This module must never allocate more than `max_bins` bins, whatever the data.

use serde::{Deserialize, Serialize};

/// How the bins were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinRule {
    /// Freedman-Diaconis, as `numpy.histogram(x, bins='fd')`.
    Fd,
    /// Freedman-Diaconis asked for more bins than allowed: equal-width bins over [min, max],
    /// as `numpy.histogram(x, bins=max_bins)`.
    FdCapped,
}

/// Bin edges and counts; `edges` has one more element than `counts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// How the bins were chosen.
    pub bin_rule: BinRule,
    /// Ascending edges; every bin is half-open except the last, which is closed.
    pub edges: Vec<f64>,
    /// Number of values in each bin.
    pub counts: Vec<u64>,
}

/// The histogram of ascending, non-empty `sorted` values whose quartiles are `p25` and `p75`.
pub(crate) fn histogram(
    sorted: &[f64],
    integer: bool,
    p25: f64,
    p75: f64,
    max_bins: usize,
) -> Histogram {
    let (first_edge, last_edge) = outer_edges(sorted);
    let max_bins = max_bins.max(1);
    let width = 2.0 * (p75 - p25) * (sorted.len() as f64).powf(-1.0 / 3.0);
    let fd_bins = if width != 0.0 {
        let width = if integer && width < 1.0 { 1.0 } else { width };
        ((last_edge - first_edge) / width).ceil()
    } else {
        1.0
    };
    let (bin_rule, bins) = if fd_bins > max_bins as f64 {
        (BinRule::FdCapped, max_bins)
    } else {
        (BinRule::Fd, (fd_bins as usize).max(1))
    };
    let edges = linspace(first_edge, last_edge, bins + 1);
    let counts = count(sorted, &edges, first_edge, last_edge);
    Histogram {
        bin_rule,
        edges,
        counts,
    }
}

/// numpy's `_get_outer_edges`: [min, max], widened by 0.5 each way when they are equal.
fn outer_edges(sorted: &[f64]) -> (f64, f64) {
    let first = sorted.first().copied().unwrap_or(0.0);
    let last = sorted.last().copied().unwrap_or(1.0);
    if first == last {
        (first - 0.5, last + 0.5)
    } else {
        (first, last)
    }
}

/// `numpy.linspace(start, stop, num)` with the endpoint (num >= 2).
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut edges: Vec<f64> = (0..num)
        .map(|i| {
            let i = i as f64;
            if step == 0.0 {
                i / div * delta + start
            } else {
                i * step + start
            }
        })
        .collect();
    if let Some(last) = edges.last_mut() {
        *last = stop;
    }
    edges
}

/// numpy's uniform-bin counting: a computed index, corrected by comparing with the edges.
fn count(values: &[f64], edges: &[f64], first_edge: f64, last_edge: f64) -> Vec<u64> {
    let bins = edges.len() - 1;
    let mut counts = vec![0_u64; bins];
    let norm_denom = last_edge - first_edge;
    let last_bin = bins - 1;
    for &x in values {
        if !(x >= first_edge && x <= last_edge) {
            continue;
        }
        let mut index = (((x - first_edge) / norm_denom) * bins as f64) as usize;
        if index >= bins {
            index = last_bin;
        }
        if edges.get(index).is_some_and(|&edge| x < edge) {
            index = index.saturating_sub(1);
        }
        if index != last_bin && edges.get(index + 1).is_some_and(|&edge| x >= edge) {
            index += 1;
        }
        if let Some(slot) = counts.get_mut(index) {
            *slot += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_values_get_one_bin_around_the_value() {
        let h = histogram(&[3.0, 3.0, 3.0], false, 3.0, 3.0, 200);
        assert_eq!(h.bin_rule, BinRule::Fd);
        assert_eq!(h.edges, vec![2.5, 3.5]);
        assert_eq!(h.counts, vec![3]);
    }

    #[test]
    fn the_last_bin_is_closed() {
        // numpy.histogram([0, 1, 2, 3, 4], bins='fd') -> edges [0, 2, 4], counts [2, 3]
        let h = histogram(&[0.0, 1.0, 2.0, 3.0, 4.0], false, 1.0, 3.0, 200);
        assert_eq!(h.edges, vec![0.0, 2.0, 4.0]);
        assert_eq!(h.counts, vec![2, 3]);
    }

    #[test]
    fn too_many_fd_bins_fall_back_to_the_cap() {
        let mut values: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        values.push(1e9);
        let h = histogram(&values, false, 0.25, 0.75, 200);
        assert_eq!(h.bin_rule, BinRule::FdCapped);
        assert_eq!(h.counts.len(), 200);
        assert_eq!(h.counts.iter().sum::<u64>(), 1001);
    }
}

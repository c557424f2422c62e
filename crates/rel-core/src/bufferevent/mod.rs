//! The rules of bufferevents that need no C: how much one read or write
//! may move, and rate-limit token buckets. The objects themselves, whose
//! struct and callbacks C sees, are in librel's C layer.

pub mod ratelimit;

/// How much one read may take: at most `max_single`, and no more than what
/// fills the input to its high watermark (0: none). `None` when the input
/// is already at or over the watermark: stop reading until it drains.
pub fn read_budget(max_single: usize, high_watermark: usize, input_len: usize) -> Option<usize> {
    if high_watermark == 0 {
        return Some(max_single);
    }
    let room = high_watermark.checked_sub(input_len).filter(|&r| r > 0)?;
    Some(room.min(max_single))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_budget_stops_at_the_high_watermark() {
        assert_eq!(read_budget(16384, 0, 1 << 30), Some(16384));
        assert_eq!(read_budget(16384, 100, 40), Some(60));
        assert_eq!(read_budget(16384, 100_000, 40), Some(16384));
        assert_eq!(read_budget(16384, 100, 100), None);
        assert_eq!(read_budget(16384, 100, 150), None);
    }
}

//! Whether the loop polls before it waits. After a pass that had reports
//! the next is likely busy too, and a zero-timeout poll then skips the
//! wait's clock reading and timeout. But where each report is a reply to
//! what the callback just sent (a ping-pong server), the poll finds nothing
//! every time and costs a system call before each wait. So polls that find
//! nothing back off: after `k` in a row, the next `2^k - 1` chances are
//! skipped (`k` at most [`MAX_MISSES`]), and one that finds work resets it.
//! A skipped poll costs little when work was there after all: the wait
//! returns at once.

/// Where the back-off stops: a poll is tried at least every 16 chances.
const MAX_MISSES: u8 = 4;

#[derive(Default)]
pub struct PollFirst {
    /// Polls in a row that found nothing.
    misses: u8,
    /// Chances left to skip before the next poll.
    skip: u8,
}

impl PollFirst {
    /// Whether to poll at this chance (a busy pass before a wait).
    pub fn try_now(&mut self) -> bool {
        if self.skip == 0 {
            return true;
        }
        self.skip -= 1;
        false
    }

    /// The poll found work, or nothing.
    pub fn found(&mut self, work: bool) {
        if work {
            self.misses = 0;
        } else {
            self.misses = (self.misses + 1).min(MAX_MISSES);
            self.skip = (1 << self.misses) - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chances taken out of `n`, with every poll finding `work`.
    fn polls(p: &mut PollFirst, n: usize, work: bool) -> Vec<usize> {
        (0..n)
            .filter(|_| {
                let take = p.try_now();
                if take {
                    p.found(work);
                }
                take
            })
            .collect()
    }

    #[test]
    fn polls_that_find_work_are_all_taken() {
        let mut p = PollFirst::default();
        assert_eq!(polls(&mut p, 50, true).len(), 50);
    }

    #[test]
    fn polls_that_find_nothing_back_off_to_one_in_sixteen() {
        let mut p = PollFirst::default();
        // 1, then after 1, 3, 7, 15 skipped chances, then every 16th.
        assert_eq!(polls(&mut p, 80, false), vec![0, 2, 6, 14, 30, 46, 62, 78]);
    }

    #[test]
    fn one_poll_that_finds_work_ends_the_back_off() {
        let mut p = PollFirst::default();
        polls(&mut p, 40, false);
        while !p.try_now() {}
        p.found(true);
        assert_eq!(polls(&mut p, 10, true).len(), 10);
    }
}

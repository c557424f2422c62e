//! The time a new deadline counts from. `event_add` reads the clock only so
//! that a timer never fires early, and for that a value a little *above*
//! CLOCK_MONOTONIC serves as well as the exact one. A precise reading costs
//! a vDSO call (27 ns on the benchmark VM); where the kernel's own
//! clocksource is an invariant TSC, this extrapolates from the last precise
//! reading with `rdtsc` instead (11 ns):
//!
//! - each precise reading is bracketed by two TSC reads. The one before
//!   anchors extrapolation: the monotonic time at that TSC was at most the
//!   reading;
//! - the TSC's rate is measured between two readings at least
//!   [`CALIBRATION_NS`] apart, over the ticks from the first one's closing
//!   read to the second one's opening read (fewer than passed between the
//!   readings, so the rate errs high), and raised by [`RATE_MARGIN_PPM`],
//!   more than CLOCK_MONOTONIC ever slews (NTP: 500 ppm at most). It is
//!   measured again over every such stretch, and the lowest measurement
//!   kept: each errs high, and one that a preemption inside a bracket made
//!   err by more (deadlines that much later) does not last;
//! - no extrapolation runs longer than [`MAX_EXTRAPOLATION_NS`], and
//!   [`MARGIN_NS`] covers an `rdtsc` that executes ahead of its place.
//!
//! The result is never below the true time and at most about 1.2 µs above
//! it. Anywhere else, and until the rate is known, it is the precise clock.
//! Each precise reading also checks the extrapolation against it, at the
//! closing TSC read, when the monotonic time was at least the reading: a
//! thread preempted between the reads then cannot fail the check, but
//! should the TSC ever run slower than measured (a VM moved to another
//! host), the clock goes back to precise readings for good.

use crate::clock;

/// How far apart the two readings that measure the TSC's rate must be.
const CALIBRATION_NS: u64 = 10_000_000;
/// How much faster than measured the TSC is taken to run.
const RATE_MARGIN_PPM: u128 = 1_000;
/// The longest stretch extrapolated before reading the clock again.
const MAX_EXTRAPOLATION_NS: u64 = 1_000_000;
/// Added to every extrapolation.
const MARGIN_NS: u64 = 200;

/// One base's deadline clock (used under the base's lock).
pub struct DeadlineClock {
    /// Whether the TSC serves at all ([`tsc::usable`], asked once).
    usable: bool,
    /// The last precise reading: (TSC before it, CLOCK_MONOTONIC ns); none
    /// yet is (0, 0), which no TSC reading is within `max_ticks` of.
    last: (u64, u64),
    /// The reading the next measurement of the rate counts from: (TSC after
    /// it, CLOCK_MONOTONIC ns).
    first: Option<(u64, u64)>,
    /// ns per TSC tick, raised by the margin, in 32.32 fixed point; 0 until
    /// measured, or after the TSC was caught running slow.
    rate: u64,
    /// The TSC was caught running slower than measured: no more
    /// extrapolation.
    distrusted: bool,
    /// The most ticks extrapolated (MAX_EXTRAPOLATION_NS at the rate): 0
    /// until the rate is measured and once the TSC is distrusted, so that
    /// this one bound decides whether to extrapolate.
    max_ticks: u64,
}

impl Default for DeadlineClock {
    fn default() -> Self {
        DeadlineClock {
            usable: tsc::usable(),
            last: (0, 0),
            first: None,
            rate: 0,
            distrusted: false,
            max_ticks: 0,
        }
    }
}

impl DeadlineClock {
    /// A time at or after CLOCK_MONOTONIC's now, and close to it.
    pub fn now(&mut self) -> u64 {
        if !self.usable {
            return clock::now_ns();
        }
        let tsc = tsc::read();
        if let Some(at) = self.extrapolate(tsc) {
            return at;
        }
        let now = clock::now_ns();
        self.note(tsc, now, tsc::read());
        now
    }

    /// The bound at `tsc`, when the rate is known and the last precise
    /// reading recent enough (at no tick from it, the reading itself).
    fn extrapolate(&self, tsc: u64) -> Option<u64> {
        let (ticks, at) = self.extrapolation(tsc);
        (ticks <= self.max_ticks).then_some(at as u64)
    }

    /// The ticks since the last precise reading, and where the rate puts
    /// `tsc` from it (margin included).
    fn extrapolation(&self, tsc: u64) -> (u64, u128) {
        let (t0, n0) = self.last;
        let ticks = tsc.wrapping_sub(t0);
        let ns = (u128::from(ticks) * u128::from(self.rate)) >> 32;
        (ticks, u128::from(n0) + ns + u128::from(MARGIN_NS))
    }

    /// Keeps a precise reading `now`, taken between the TSC reads `before`
    /// and `after`: checks the extrapolation against it, and measures the
    /// rate whenever two readings are far enough apart.
    fn note(&mut self, before: u64, now: u64, after: u64) {
        if self.rate != 0 {
            // The check runs past the usual limit, at twice it at most.
            let (ticks, at) = self.extrapolation(after);
            if ticks <= 2 * self.max_ticks && at < u128::from(now) {
                self.rate = 0;
                self.max_ticks = 0;
                self.distrusted = true;
            }
        }
        self.last = (before, now);
        if self.distrusted {
            return;
        }
        match self.first {
            Some((t0, n0)) if now - n0 >= CALIBRATION_NS && before > t0 => {
                let (ticks, ns) = (u128::from(before - t0), u128::from(now - n0));
                let rate = ((ns << 32) * (1_000_000 + RATE_MARGIN_PPM)).div_ceil(ticks * 1_000_000);
                let rate = u64::try_from(rate).unwrap_or(0);
                // Every measurement errs high: the lowest is the closest.
                if rate != 0 && (self.rate == 0 || rate < self.rate) {
                    self.rate = rate;
                    self.max_ticks = (u128::from(MAX_EXTRAPOLATION_NS) << 32)
                        .checked_div(u128::from(rate))
                        .map_or(0, |t| t as u64);
                }
                self.first = Some((after, now));
            }
            Some(_) => {}
            None => self.first = Some((after, now)),
        }
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod tsc {
    use std::sync::OnceLock;

    /// Whether the TSC is invariant (CPUID) and the kernel keeps its own
    /// clock on it, which it does only while the TSCs agree across CPUs.
    pub fn usable() -> bool {
        static USABLE: OnceLock<bool> = OnceLock::new();
        *USABLE.get_or_init(|| {
            use std::arch::x86_64::__cpuid;
            let invariant =
                __cpuid(0x8000_0000).eax >= 0x8000_0007 && __cpuid(0x8000_0007).edx & (1 << 8) != 0;
            let source = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
            invariant && std::fs::read_to_string(source).is_ok_and(|s| s.trim() == "tsc")
        })
    }

    pub fn read() -> u64 {
        // SAFETY: reads the time-stamp counter; no memory is touched.
        unsafe { std::arch::x86_64::_rdtsc() }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod tsc {
    pub fn usable() -> bool {
        false
    }

    pub fn read() -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Never below the precise clock read just before, and not far above
    /// the one read just after, once calibrated or not. (How close it stays
    /// with undisturbed readings: `extrapolates_within_the_margins`; a
    /// loaded machine may preempt a measurement, which errs high then.)
    #[test]
    fn stays_above_the_monotonic_clock() {
        let mut c = DeadlineClock::default();
        let start = clock::now_ns();
        let mut extrapolated = 0;
        while clock::now_ns() - start < 3 * CALIBRATION_NS {
            let before = clock::now_ns();
            let t = c.now();
            let after = clock::now_ns();
            assert!(t >= before, "{t} below {before}");
            assert!(t <= after + 200_000, "{t} far above {after}");
            extrapolated += usize::from(c.rate != 0);
        }
        if tsc::usable() {
            assert!(c.rate != 0 && extrapolated > 0, "calibrated");
        }
    }

    /// A rate that turns out too low (the TSC slower than measured) is
    /// caught at the next precise reading, and extrapolation stops.
    #[test]
    fn a_tsc_running_slow_is_caught_and_no_longer_trusted() {
        let mut c = DeadlineClock {
            last: (1_000, 5_000_000),
            rate: 1 << 31, // 0.5 ns per tick, while it took 1 below
            max_ticks: 2_000_000,
            ..DeadlineClock::default()
        };
        assert_eq!(
            c.extrapolate(2_001_000),
            Some(5_000_000 + 1_000_000 + MARGIN_NS)
        );
        c.note(2_000_990, 7_000_000, 2_001_000);
        assert!(c.distrusted && c.rate == 0 && c.max_ticks == 0);
        assert_eq!(c.extrapolate(2_002_000), None);
        c.note(30_000_000_000, 40_000_000_000, 30_000_000_010);
        assert_eq!(c.rate, 0, "not measured again");
    }

    /// A thread preempted between the opening TSC read and the precise
    /// reading does not fail the check: it is made at the closing read.
    /// Here the TSC ticks once a ns, the monotonic time at tick t being
    /// 4,999,000 + t.
    #[test]
    fn a_reading_delayed_by_preemption_keeps_the_tsc_trusted() {
        let mut c = DeadlineClock {
            last: (1_000, 5_000_000),
            rate: 1 << 32,
            max_ticks: 1_000_000,
            ..DeadlineClock::default()
        };
        // Opened at tick 1,500,000, then preempted for 100 µs.
        c.note(1_500_000, 6_599_000, 1_600_050);
        assert!(!c.distrusted && c.rate == 1 << 32);
        assert_eq!(c.last, (1_500_000, 6_599_000));
        assert!(c.extrapolate(1_700_000).is_some_and(|at| at >= 6_699_000));
    }

    /// With readings that no preemption disturbed, an extrapolation is
    /// above the true time by the margins alone: the rate's (1,000 ppm of
    /// up to 1 ms) and [`MARGIN_NS`]. The TSC ticks twice a ns here.
    #[test]
    fn extrapolates_within_the_margins() {
        let mut c = DeadlineClock::default();
        // The monotonic time at tick t is t / 2 + 1,000,000.
        c.note(0, 1_000_000, 10);
        c.note(20_000_000, 11_000_000, 20_000_010);
        assert!(c.rate != 0 && c.max_ticks > 0, "calibrated");
        for ticks in [0, 1_000, 500_000, c.max_ticks] {
            let tsc = 20_000_000 + ticks;
            let truth = tsc / 2 + 1_000_000;
            let at = c.extrapolate(tsc).unwrap();
            assert!(at >= truth, "below: {at} < {truth}");
            assert!(at <= truth + MARGIN_NS + 1_100, "{at} far above {truth}");
        }
    }

    /// A measurement that a preemption made err high (the second reading
    /// came 500 µs after its opening TSC read) gives way to the next, closer
    /// one; a later disturbed one does not replace it.
    #[test]
    fn a_disturbed_measurement_gives_way_to_a_closer_one() {
        let mut c = DeadlineClock::default();
        // Two ticks a ns again: the monotonic time at tick t is t / 2 + 1,000,000.
        c.note(0, 1_000_000, 10);
        c.note(20_000_000, 11_500_000, 21_000_010);
        let disturbed = c.rate;
        c.note(42_000_000, 22_000_000, 42_000_010);
        let exact = (1u128 << 32) / 2;
        let margin = exact * RATE_MARGIN_PPM / 1_000_000;
        assert!(c.rate < disturbed, "{} not below {disturbed}", c.rate);
        assert!(
            u128::from(c.rate) > exact + margin,
            "still errs high: {}",
            c.rate
        );
        assert!(u128::from(c.rate) < exact + 2 * margin, "{}", c.rate);
        let close = c.rate;
        c.note(64_000_000, 33_500_000, 65_000_010);
        assert_eq!(c.rate, close, "a worse one is not kept");
        assert!(!c.distrusted);
    }

    /// The rate is measured over the ticks between the readings' brackets,
    /// fewer than passed between the readings: it errs high, never low.
    #[test]
    fn the_measured_rate_errs_high() {
        let mut c = DeadlineClock::default();
        // A TSC at 2 ticks a ns; each bracket is 1,000 ticks wide.
        c.note(1_000, 1_000_000, 2_000);
        c.note(30_001_000, 16_000_000, 30_002_000);
        let exact = (1u128 << 32) / 2;
        let margin = exact * RATE_MARGIN_PPM / 1_000_000;
        assert!(u128::from(c.rate) > exact + margin, "{}", c.rate);
        assert!(u128::from(c.rate) < exact + 2 * margin, "{}", c.rate);
    }
}

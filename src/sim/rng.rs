//! Seeded random streams (SplitMix64): small, fast and the same on every
//! platform, so a seed names a run.

/// A random stream.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
    /// Box–Muller makes normals in pairs: the second waits here.
    spare: Option<f64>,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
            spare: None,
        }
    }

    /// Stream `stream` of the run seeded `seed`: streams of one seed are
    /// independent, so adding a stream to a model leaves the others' draws as
    /// they were.
    pub(crate) fn stream(seed: u64, stream: u64) -> Self {
        let mut mix = Rng::new(seed.wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03)));
        Rng::new(mix.next_u64())
    }

    /// Process `n`'s two streams of the run seeded `seed` (its work and its
    /// breakdowns, in the machine models): every process draws from streams
    /// of its own.
    pub(crate) fn pair(seed: u64, n: u64) -> (Rng, Rng) {
        let (a, b) = pair_numbers(n);
        (Rng::stream(seed, a), Rng::stream(seed, b))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    // The simulated plant draws with it; it is native only.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal (Box–Muller, both values of each pair used).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * sin);
        r * cos
    }

    /// Normal with this mean and standard deviation.
    pub(crate) fn gauss(&mut self, mean: f64, std: f64) -> f64 {
        mean + std * self.normal()
    }

    /// Exponential with this mean (Python's `random.expovariate(1 / mean)`).
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }
}

/// The stream numbers of process `n`'s pair.
fn pair_numbers(n: u64) -> (u64, u64) {
    (2 * n, 2 * n + 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_two_processes_share_a_random_stream() {
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..1000 {
            let (work, breakdowns) = super::pair_numbers(n);
            assert!(seen.insert(work) && seen.insert(breakdowns), "process {n}");
        }
    }
}

//! SimPy's machine-shop example as a model on this engine: machines make
//! parts, break down at random, and wait for one repairman, who spends the
//! rest of his time on less important jobs that a broken machine interrupts.
//! Times are in minutes.

use std::cell::Cell;
use std::rc::Rc;

use super::{Resource, Rng, Sim};

#[derive(Debug, Clone)]
pub struct ShopConfig {
    pub machines: usize,
    /// Processing time per part: normal(mean, sigma), drawn again while ≤ 0.
    pub pt_mean: f64,
    pub pt_sigma: f64,
    /// Mean time between breakdowns (exponential), in clock minutes: as in
    /// SimPy's model, a breakdown drawn while the machine is already broken
    /// is skipped.
    pub mttf: f64,
    pub repair_time: f64,
    /// Length of the repairman's other jobs.
    pub job_duration: f64,
    pub repairmen: usize,
    pub weeks: f64,
    pub seed: u64,
}

impl Default for ShopConfig {
    fn default() -> Self {
        ShopConfig {
            machines: 10,
            pt_mean: 10.0,
            pt_sigma: 2.0,
            mttf: 300.0,
            repair_time: 30.0,
            job_duration: 30.0,
            repairmen: 1,
            weeks: 4.0,
            seed: 42,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShopResult {
    /// Parts made by each machine.
    pub parts: Vec<u64>,
    /// Breakdowns of each machine.
    pub failures: Vec<u64>,
    /// Other jobs the repairman finished.
    pub other_jobs: u64,
    /// Events the engine processed.
    pub events: u64,
    /// Minutes simulated.
    pub minutes: f64,
}

fn time_per_part(rng: &mut Rng, mean: f64, sigma: f64) -> f64 {
    loop {
        let t = rng.gauss(mean, sigma);
        if t > 0.0 {
            return t;
        }
    }
}

/// Runs the shop for `cfg.weeks` weeks.
pub fn run(cfg: &ShopConfig) -> ShopResult {
    let sim = Sim::new();
    let repairman = Resource::new(&sim, cfg.repairmen);
    let mut counters = Vec::new();
    for m in 0..cfg.machines as u64 {
        let parts = Rc::new(Cell::new(0u64));
        let failures = Rc::new(Cell::new(0u64));
        let broken = Rc::new(Cell::new(false));
        // Its part times and its breakdowns draw from streams of their own.
        let (mut rng, mut wear) = Rng::pair(cfg.seed, m);
        // Machine `m`'s working process.
        let working = {
            let (s, repairman, parts, failures, broken) = (
                sim.clone(),
                repairman.clone(),
                parts.clone(),
                failures.clone(),
                broken.clone(),
            );
            let cfg = cfg.clone();
            sim.spawn(async move {
                loop {
                    let mut done_in = time_per_part(&mut rng, cfg.pt_mean, cfg.pt_sigma);
                    while done_in > 0.0 {
                        let start = s.now();
                        match s.timeout(done_in).await {
                            Ok(()) => done_in = 0.0,
                            Err(_) => {
                                broken.set(true);
                                failures.set(failures.get() + 1);
                                done_in -= s.now() - start;
                                // Only `breakdowns` interrupts, and not while broken.
                                let _repair = repairman.request(1, true).await;
                                s.timeout(cfg.repair_time).await.ok();
                                broken.set(false);
                            }
                        }
                    }
                    parts.set(parts.get() + 1);
                }
            })
        };
        // Its breakdowns.
        let (s, broken) = (sim.clone(), broken.clone());
        let mttf = cfg.mttf;
        sim.spawn(async move {
            loop {
                s.timeout(wear.exponential(mttf)).await.ok();
                if !broken.get() {
                    s.interrupt(working, super::Cause::Signal(0));
                }
            }
        });
        counters.push((parts, failures));
    }
    // The repairman's other jobs, pre-empted by any repair.
    let jobs = Rc::new(Cell::new(0u64));
    {
        let (s, repairman, jobs, job) = (
            sim.clone(),
            repairman.clone(),
            jobs.clone(),
            cfg.job_duration,
        );
        sim.spawn(async move {
            loop {
                let mut done_in = job;
                while done_in > 0.0 {
                    let Ok(_held) = repairman.request(2, true).await else {
                        continue;
                    };
                    let start = s.now();
                    match s.timeout(done_in).await {
                        Ok(()) => done_in = 0.0,
                        Err(_) => done_in -= s.now() - start,
                    }
                }
                jobs.set(jobs.get() + 1);
            }
        });
    }
    let minutes = cfg.weeks * 7.0 * 24.0 * 60.0;
    sim.run_until(minutes);
    ShopResult {
        parts: counters.iter().map(|(p, _)| p.get()).collect(),
        failures: counters.iter().map(|(_, f)| f.get()).collect(),
        other_jobs: jobs.get(),
        events: sim.events(),
        minutes,
    }
}

/// The lines SimPy's example prints.
pub fn report(cfg: &ShopConfig, result: &ShopResult) -> String {
    let mut out = format!(
        "Machine shop\nMachine shop results after {} weeks\n",
        cfg.weeks
    );
    for (i, parts) in result.parts.iter().enumerate() {
        out.push_str(&format!("Machine {i} made {parts} parts.\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shop_runs_the_same_for_a_seed_and_makes_plausible_numbers() {
        let cfg = ShopConfig::default();
        let a = run(&cfg);
        assert_eq!(a, run(&cfg));
        assert_ne!(
            a.parts,
            run(&ShopConfig {
                seed: 7,
                ..cfg.clone()
            })
            .parts
        );
        // 40,320 minutes; a machine is down about 1/11 of the time (30 min
        // repair per 300 min of work, plus waiting), so about 3,300 parts.
        for &p in &a.parts {
            assert!((3000..3700).contains(&p), "{p} parts");
        }
        // About 40,320 / 330 ≈ 120 breakdowns a machine.
        for &f in &a.failures {
            assert!((80..170).contains(&f), "{f} failures");
        }
        assert!(a.other_jobs > 0);
        let text = report(&cfg, &a);
        assert!(
            text.contains(&format!("Machine 3 made {} parts.", a.parts[3])),
            "{text}"
        );
    }

    #[test]
    fn a_second_repairman_means_more_parts() {
        let one = ShopConfig::default();
        let two = ShopConfig {
            repairmen: 2,
            ..one.clone()
        };
        let total = |c: &ShopConfig| -> u64 {
            (0..10)
                .map(|seed| {
                    run(&ShopConfig { seed, ..c.clone() })
                        .parts
                        .iter()
                        .sum::<u64>()
                })
                .sum()
        };
        assert!(total(&two) > total(&one));
    }

    /// A fixed part time (sigma 0) and a repairman per machine: a machine
    /// never waits, so each is always either making a part or being
    /// repaired, and its clock adds up. Parts × part time + breakdowns ×
    /// repair time is the run's length, give or take what is under way at
    /// the end: a part (less than a part time short) or a repair (its
    /// breakdown counted, its part not: less than a repair time over).
    /// Breakdowns come at 1/MTTF while a machine is not broken (SimPy's
    /// model skips them while it is), so about minutes / (MTTF + repair) a
    /// machine; and the repairmen's other jobs, interrupted only when all
    /// ten are busy, fill nearly the run.
    #[test]
    fn with_fixed_times_and_a_repairman_each_every_minute_is_accounted_for() {
        for seed in [42, 1, 2, 3, 4] {
            let cfg = ShopConfig {
                pt_sigma: 0.0,
                repairmen: 10,
                seed,
                ..ShopConfig::default()
            };
            let r = run(&cfg);
            assert_eq!(r.minutes, 4.0 * 7.0 * 24.0 * 60.0);
            for (m, (&parts, &failures)) in r.parts.iter().zip(&r.failures).enumerate() {
                let accounted = parts as f64 * cfg.pt_mean + failures as f64 * cfg.repair_time;
                assert!(
                    accounted > r.minutes - cfg.pt_mean && accounted < r.minutes + cfg.repair_time,
                    "seed {seed}, machine {m}: {parts} parts, {failures} breakdowns account \
                     for {accounted} of {} min",
                    r.minutes
                );
            }
            // 40,320 / 330 = 122.2 a machine, 1,222 in all: Poisson, sd 35.
            let all: u64 = r.failures.iter().sum();
            assert!(
                (1_082..=1_362).contains(&all),
                "seed {seed}: {all} breakdowns"
            );
            // 40,320 / 30 = 1,344 jobs when nothing interrupts them.
            assert!(
                (1_300..=1_344).contains(&r.other_jobs),
                "seed {seed}: {} jobs",
                r.other_jobs
            );
        }
    }

    /// One repairman is never idle: he repairs or does his other jobs, and
    /// an interrupted job resumes with what was left of it. So his jobs
    /// and the repairs (each breakdown counted when it happens) fill the
    /// run, give or take the job under way and the repairs not yet done.
    #[test]
    fn one_repairman_is_always_repairing_or_on_his_other_jobs() {
        for seed in [1, 2, 3] {
            let cfg = ShopConfig {
                seed,
                ..ShopConfig::default()
            };
            let r = run(&cfg);
            let repairs: u64 = r.failures.iter().sum();
            let accounted =
                r.other_jobs as f64 * cfg.job_duration + repairs as f64 * cfg.repair_time;
            let slack = (cfg.machines + 1) as f64 * cfg.repair_time.max(cfg.job_duration);
            assert!(
                (accounted - r.minutes).abs() <= slack,
                "seed {seed}: {} jobs and {repairs} repairs account for {accounted} of {} min",
                r.other_jobs,
                r.minutes
            );
        }
    }
}

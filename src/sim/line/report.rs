//! What the line makes of a run: throughput, downtime, queues, OEE, per
//! station and for the whole line.

use serde::Serialize;

use super::Line;

impl Line {
    /// What the line did from its start until now.
    pub(crate) fn report(&self) -> LineReport {
        let now = self.sim.now();
        // The line starts at 0.
        let span = now.max(f64::MIN_POSITIVE);
        let hours = span / 3600.0;
        // The ideal time per part of the slowest station.
        let bottleneck = self
            .def
            .stations
            .iter()
            .map(|s| s.cycle_s / s.machines.len() as f64)
            .fold(0.0, f64::max);
        let stations = self
            .def
            .stations
            .iter()
            .enumerate()
            .map(|(si, st)| {
                let ms: Vec<_> = self.machines.iter().filter(|m| m.station == si).collect();
                let times: Vec<[f64; 4]> = ms.iter().map(|m| m.times(now)).collect();
                let n = ms.len() as f64;
                let parts: u64 = ms.iter().map(|m| m.parts.get()).sum();
                let down: f64 = times.iter().map(|t| t[3]).sum();
                StationReport {
                    name: st.name.clone(),
                    parts: parts as f64,
                    down_min: down / 60.0,
                    availability: 1.0 - down / (span * n),
                    starved: times.iter().map(|t| t[0]).sum::<f64>() / (span * n),
                    blocked: times.iter().map(|t| t[2]).sum::<f64>() / (span * n),
                    oee: parts as f64 * st.cycle_s / (span * n),
                    failures: ms.iter().map(|m| m.failures.get() as f64).sum(),
                    queue_before: si.checked_sub(1).map(|p| self.buffers[p].mean_level()),
                }
            })
            .collect();
        let shipped = self.shipped.get() as f64;
        LineReport {
            hours,
            shipped,
            per_hour: shipped / hours,
            oee: shipped * bottleneck / span,
            stations,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationReport {
    pub name: String,
    pub parts: f64,
    /// Machine-minutes down.
    pub down_min: f64,
    /// Share of machine time not down.
    pub availability: f64,
    /// Share of machine time waiting for parts, and held by a full buffer.
    pub starved: f64,
    pub blocked: f64,
    /// Overall equipment effectiveness: ideal cycle time × parts / time
    /// (availability × performance; every part is good).
    pub oee: f64,
    pub failures: f64,
    /// Time-weighted mean level of the buffer feeding it.
    pub queue_before: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineReport {
    pub hours: f64,
    /// Parts out of the last station.
    pub shipped: f64,
    pub per_hour: f64,
    /// Parts made against what the slowest station could make flat out.
    pub oee: f64,
    pub stations: Vec<StationReport>,
}

impl LineReport {
    /// The mean of several runs' reports (same line, same horizon).
    pub(crate) fn mean(reports: &[LineReport]) -> LineReport {
        let n = reports.len().max(1) as f64;
        let first = &reports[0];
        let avg = |f: &dyn Fn(&LineReport) -> f64| reports.iter().map(f).sum::<f64>() / n;
        LineReport {
            hours: first.hours,
            shipped: avg(&|r| r.shipped),
            per_hour: avg(&|r| r.per_hour),
            oee: avg(&|r| r.oee),
            stations: (0..first.stations.len())
                .map(|i| {
                    let s = |f: &dyn Fn(&StationReport) -> f64| {
                        reports.iter().map(|r| f(&r.stations[i])).sum::<f64>() / n
                    };
                    StationReport {
                        name: first.stations[i].name.clone(),
                        parts: s(&|x| x.parts),
                        down_min: s(&|x| x.down_min),
                        availability: s(&|x| x.availability),
                        starved: s(&|x| x.starved),
                        blocked: s(&|x| x.blocked),
                        oee: s(&|x| x.oee),
                        failures: s(&|x| x.failures),
                        queue_before: first.stations[i]
                            .queue_before
                            .map(|_| s(&|x| x.queue_before.unwrap_or(0.0))),
                    }
                })
                .collect(),
        }
    }
}

//! A generated city for the benches (`city_frame`, `city_scale`): the
//! generator of `twinscape import --synthetic` and a scene whose buildings
//! carry one sensor (energy) and streets one (speed).

use std::path::PathBuf;

/// A generated city of `buildings` buildings in a folder of its own.
pub struct GeneratedCity {
    pub dir: PathBuf,
    pub scene: PathBuf,
    pub buildings: usize,
    pub streets: usize,
}

impl GeneratedCity {
    /// One sensor a twin: buildings' first, then streets'.
    pub fn sensors(&self) -> u32 {
        (self.buildings + self.streets) as u32
    }

    /// The app's options for this city, samples through the channel only.
    pub fn options(&self) -> twinscape::app::Options {
        twinscape::app::Options {
            scene: self.scene.clone(),
            source: twinscape::telemetry::TelemetrySource::Channel,
            snapshot: None,
            run_for: None,
            unpaced: false,
        }
    }
}

impl Drop for GeneratedCity {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const SCENE: &str = r#"(
    name: "generated city",
    kind: City,
    camera: (focus: (0.0, 0.0, 0.0), distance: 4000.0, yaw_deg: 0.0, pitch_deg: 60.0),
    city: (
        map: "scene://generated.city.json",
        // The shipped city's limits: every building's rules are evaluated
        // each frame (the samples, 0–399 kW, never reach them).
        buildings: [(name: "energy", unit: "kW", range: (0.0, 400.0), warn: Some(480.0), alarm: Some(560.0), show: [Color])],
        streets: [(name: "speed", unit: "km/h", range: (0.0, 50.0), show: [Color])],
    ),
    twins: [],
)
"#;

pub fn generated(buildings: usize, what: &str) -> GeneratedCity {
    let dir = std::env::temp_dir().join(format!("twinscape-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let summary = twinscape::city::synthetic(buildings, 1, &dir.join("generated.city.json"))
        .expect("the generated city is written");
    let scene = dir.join("generated.scene.ron");
    std::fs::write(&scene, SCENE).unwrap();
    GeneratedCity {
        dir,
        scene,
        buildings: summary.buildings(),
        streets: summary.streets(),
    }
}

/// The sizes given on the command line (buildings), else 100,000.
pub fn sizes() -> Vec<usize> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        vec![100_000]
    } else {
        sizes
    }
}

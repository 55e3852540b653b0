//! A sensor's part of the schema: its limits, binding, effects, alarm
//! rules, predictor and countdown.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorDef {
    pub name: String,
    pub unit: String,
    /// The normal operating range, low to high; the colour ramp spans it.
    pub range: (f64, f64),
    /// What the sensor can physically read, low to high (its measuring
    /// range): a reading outside is flagged `out_of_range` (a broken probe
    /// or a wrong unit). Unlimited if left out.
    #[serde(default)]
    pub physical: Option<(f64, f64)>,
    #[serde(default)]
    pub warn: Option<f64>,
    #[serde(default)]
    pub alarm: Option<f64>,
    #[serde(default)]
    pub binding: Option<BindingDef>,
    #[serde(default)]
    pub show: Vec<ShowDef>,
    /// How its limits raise alarms.
    #[serde(default)]
    pub alarms: AlarmDef,
    /// How its near future is projected (forecast, time to alarm).
    #[serde(default)]
    pub predictor: PredictorDef,
    /// How sure a countdown to the alarm limit must be to be shown.
    #[serde(default)]
    pub countdown: CountdownDef,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum PredictorDef {
    /// Per sensor, whichever of the three below forecast the window best
    /// (fitted on its older two thirds, scored on the newest third).
    #[default]
    Auto,
    /// Least squares over the last 600 samples.
    Linear,
    /// Holt's double exponential smoothing; weights between 0 and 1.
    Holt { alpha: f64, beta: f64 },
    /// A first-order response, settling exponentially towards an asymptote
    /// (warm-ups, cool-downs, filling tanks), fitted over the window.
    FirstOrder,
    /// Your own ONNX model, a file under `assets/` (e.g.
    /// `"models/press_temperature.onnx"`): it takes the last `last` values,
    /// one every `step_s` seconds, as `[1, last]` floats and gives the value
    /// `horizon_s` seconds after the latest.
    Onnx {
        model: String,
        last: usize,
        step_s: f64,
        horizon_s: f64,
    },
}

/// When "alarm in …" is shown: only when the lower bound of the one-sided
/// prediction interval at `confidence` reaches the alarm limit within
/// `horizon_s` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CountdownDef {
    /// Between 0.5 and 1 (default 0.9).
    pub confidence: f64,
    /// Seconds ahead (default 1800).
    pub horizon_s: f64,
}

impl Default for CountdownDef {
    fn default() -> Self {
        CountdownDef {
            confidence: crate::analytics::countdown::DEFAULT_CONFIDENCE,
            horizon_s: crate::analytics::countdown::DEFAULT_HORIZON_S,
        }
    }
}

/// A sensor's alarm settings; every field may be left out.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlarmDef {
    /// How far below a limit the value must fall to clear its alarm
    /// (default: 5% of the range).
    pub hysteresis: Option<f64>,
    /// How long a condition must hold before it raises an alarm.
    pub min_duration_s: f64,
    /// Largest allowed rate of change, units per second (default: none).
    pub max_rate: Option<f64>,
    /// Early warning when the countdown to the alarm limit (shown only when
    /// sure enough, see `CountdownDef`) expects it within this many seconds (default: off; duty cycles make short
    /// trends swing, so it is chosen per sensor).
    pub forecast_horizon_s: Option<f64>,
}

impl Default for AlarmDef {
    fn default() -> Self {
        AlarmDef {
            hysteresis: None,
            min_duration_s: 2.0,
            max_rate: None,
            forecast_horizon_s: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingDef {
    /// An MQTT topic, or a filter with `+` and `#`.
    pub topic: String,
    #[serde(default)]
    pub decode: Decode,
    /// A JSON field path to the reading's own time (a number: seconds, or
    /// milliseconds from 10^11 up, since the Unix epoch). A reading whose
    /// stamp is one of the last 256 applied to its sensor is a repeat (a
    /// redelivery) and is not applied again. Without it every reading applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateDef {
    /// A topic with exactly one `{twin}` level, e.g. `"plant/{twin}/vibration"`.
    pub topic: String,
    /// The sensor, by name, that the message feeds on the named twin.
    pub sensor: String,
    #[serde(default)]
    pub decode: Decode,
    /// A JSON field path to the reading's own time (a number: seconds, or
    /// milliseconds from 10^11 up, since the Unix epoch). A reading whose
    /// stamp is one of the last 256 applied to its sensor is a repeat (a
    /// redelivery) and is not applied again. Without it every reading applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp: Option<String>,
}

/// How a payload becomes a number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decode {
    /// A plain number in text, such as `23.5`.
    #[default]
    Number,
    /// A JSON document and a dotted field path, such as `"readings.temp"` or `"values.0"`.
    Json(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Axis {
    X,
    Y,
    Z,
}

/// How a sensor's value shows in 3D.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ShowDef {
    /// Tint the twin's `tint: true` parts along a ramp over the range
    /// (cool → normal → warn → alarm).
    Color,
    /// Spin a part; `max_rps` turns per second at the top of the range.
    Spin {
        part: String,
        axis: Axis,
        max_rps: f32,
    },
    /// Move a part along an axis by up to `distance` across the range.
    Lift {
        part: String,
        axis: Axis,
        distance: f32,
    },
    /// Scale a part along an axis from `min` to `max` across the range.
    Scale {
        part: String,
        axis: Axis,
        min: f32,
        max: f32,
    },
    /// Carry a part along an axis at up to `max_speed` units per second,
    /// wrapping within `length` centred on the twin (parcels on a belt).
    Travel {
        part: String,
        axis: Axis,
        length: f32,
        max_speed: f32,
    },
    /// A floating text label with the value and unit.
    Label,
}

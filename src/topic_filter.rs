//! MQTT topic-filter syntax (MQTT 3.1.1 §4.7): whether a filter is valid
//! and whether a topic matches it. A leaf module that imports nothing else
//! of the crate, so the scene's validation and the telemetry router can
//! both use it without depending on each other.

/// Why a subscription filter is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FilterError {
    #[error("is empty")]
    Empty,
    #[error("`#` must be a whole level and the last one")]
    MisplacedHash,
    #[error("`+` must be a whole level")]
    PartialPlus,
}

/// Checks a subscription filter against the MQTT rules.
pub(crate) fn validate_filter(filter: &str) -> Result<(), FilterError> {
    if filter.is_empty() {
        return Err(FilterError::Empty);
    }
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i != levels.len() - 1) {
            return Err(FilterError::MisplacedHash);
        }
        if level.contains('+') && *level != "+" {
            return Err(FilterError::PartialPlus);
        }
    }
    Ok(())
}

/// Whether `topic` matches the subscription `filter` (MQTT 3.1.1 §4.7):
/// the reference the router's trie is tested against.
#[cfg(test)]
pub(crate) fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// Whether every topic that matches `specific` also matches `general`
/// (both valid filters).
pub(crate) fn covers(general: &str, specific: &str) -> bool {
    let mut g = general.split('/');
    let mut s = specific.split('/');
    loop {
        match (g.next(), s.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(level)) if level != "#" => {}
            (Some(a), Some(b)) if a == b && a != "+" && a != "#" => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The filters to subscribe to so that each topic is delivered once: a
/// broker may send a message once per matching subscription (rumqttd
/// does), so a filter that another one already covers is left out.
/// Duplicates are kept once; order is kept.
pub(crate) fn minimal(filters: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        let repeated = filters[..i].contains(f);
        let covered = filters.iter().any(|g| g != f && covers(g, f));
        if !repeated && !covered {
            out.push(f.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_the_mqtt_rules() {
        assert_eq!(validate_filter("a/#/b"), Err(FilterError::MisplacedHash));
        assert_eq!(validate_filter("a/b#"), Err(FilterError::MisplacedHash));
        assert_eq!(validate_filter("a/x+/b"), Err(FilterError::PartialPlus));
        assert_eq!(validate_filter(""), Err(FilterError::Empty));
        assert_eq!(validate_filter("a/+/#"), Ok(()));
    }

    #[test]
    fn matching_follows_the_spec_examples() {
        // MQTT 3.1.1 §4.7.1.2 and §4.7.2.
        assert!(matches("sport/tennis/player1/#", "sport/tennis/player1"));
        assert!(matches(
            "sport/tennis/player1/#",
            "sport/tennis/player1/ranking"
        ));
        assert!(matches("sport/#", "sport"));
        assert!(matches("sport/tennis/+", "sport/tennis/player1"));
        assert!(!matches("sport/tennis/+", "sport/tennis/player1/ranking"));
        assert!(!matches("sport/+", "sport"));
        assert!(matches("+/+", "/finance"));
        assert!(matches("/+", "/finance"));
        assert!(!matches("+", "/finance"));
        assert!(!matches("#", "$SYS/broker"));
        assert!(!matches("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/#", "$SYS/broker"));
    }

    #[test]
    fn a_filter_covers_the_topics_and_filters_inside_it() {
        assert!(covers("factory/+/telemetry", "factory/conv-1/telemetry"));
        assert!(covers("factory/#", "factory/+/telemetry"));
        assert!(covers("#", "a/b/#"));
        assert!(covers("a/+/c", "a/+/c"));
        assert!(!covers("factory/+/telemetry", "factory/+/#"));
        assert!(!covers("factory/conv-1/telemetry", "factory/+/telemetry"));
        assert!(!covers("a/+", "a/b/c"));
        assert!(!covers("a/+", "a"));
        assert!(!covers("a/+", "a/#"), "`+` is one level, `#` any number");
        assert!(covers("a/#", "a"), "`#` also matches the parent level");
    }

    #[test]
    fn the_minimal_subscription_delivers_each_topic_once() {
        let given: Vec<String> = [
            "factory/conv-1/telemetry",
            "factory/+/telemetry",
            "sensor/temperature",
            "factory/+/telemetry",
            "plant/#",
            "plant/a/+",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            minimal(&given),
            ["factory/+/telemetry", "sensor/temperature", "plant/#"]
        );
        // Every topic that one of the given filters matches, one of the
        // minimal ones matches too.
        for topic in [
            "factory/conv-1/telemetry",
            "plant/a/x",
            "sensor/temperature",
        ] {
            assert!(minimal(&given).iter().any(|f| matches(f, topic)), "{topic}");
        }
    }
}

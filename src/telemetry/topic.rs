//! MQTT topic filters and the router from topics to sensors: a pure core.
//!
//! Design: a message's topic is looked up in a hash map of exact topics first
//! (the common case, one hash per message), then walked level by level through
//! a trie that holds only the filters with `+` or `#`. No message scans every
//! binding, so a scene with thousands of sensors costs the same per message as
//! one with ten.

use std::collections::HashMap;

use crate::scene::format::{Decode, SceneDef};

/// What a matching message feeds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    /// A sensor, by its index in scene order.
    Sensor {
        sensor: u32,
        decode: Decode,
        /// The JSON field path of the reading's own time, if it has one.
        stamp: Option<String>,
    },
    /// A template: the topic level at `level` names the twin, whose sensor
    /// index comes from `twins`.
    Template {
        level: usize,
        sensor_name: String,
        twins: HashMap<String, u32>,
        decode: Decode,
        stamp: Option<String>,
    },
}

#[derive(Default, Debug)]
struct Node {
    children: HashMap<String, Node>,
    plus: Option<Box<Node>>,
    /// Targets of filters ending in `#` at this node (matches this level and below).
    hash: Vec<usize>,
    /// Targets of filters ending exactly here.
    here: Vec<usize>,
}

/// Maps topics to the sensors they feed; built once per scene, shared by the
/// ingest thread.
#[derive(Debug, Default)]
pub struct Router {
    targets: Vec<Target>,
    exact: HashMap<String, Vec<usize>>,
    wild: Node,
    filters: Vec<String>,
}

impl Router {
    pub fn from_scene(scene: &SceneDef) -> Router {
        let mut router = Router::default();
        for (index, (_, sensor)) in scene.sensors().enumerate() {
            if let Some(b) = &sensor.binding {
                router.add(
                    &b.topic,
                    Target::Sensor {
                        sensor: index as u32,
                        decode: b.decode.clone(),
                        stamp: b.stamp.clone(),
                    },
                );
            }
        }
        for template in &scene.templates {
            let level = template
                .topic
                .split('/')
                .position(|l| l == "{twin}")
                .unwrap_or(0);
            let mut twins = HashMap::new();
            let mut i = 0u32;
            for twin in &scene.twins {
                for sensor in twin.sensors.iter() {
                    if sensor.name == template.sensor {
                        twins.insert(twin.id.clone(), i);
                    }
                    i += 1;
                }
            }
            let filter = template.topic.replace("{twin}", "+");
            router.add(
                &filter,
                Target::Template {
                    level,
                    sensor_name: template.sensor.clone(),
                    twins,
                    decode: template.decode.clone(),
                    stamp: template.stamp.clone(),
                },
            );
        }
        router
    }

    fn add(&mut self, filter: &str, target: Target) {
        let id = self.targets.len();
        self.targets.push(target);
        if !self.filters.iter().any(|f| f == filter) {
            self.filters.push(filter.to_string());
        }
        if !filter.contains(['+', '#']) {
            self.exact.entry(filter.to_string()).or_default().push(id);
            return;
        }
        let mut node = &mut self.wild;
        for level in filter.split('/') {
            node = match level {
                "#" => {
                    node.hash.push(id);
                    return;
                }
                "+" => node.plus.get_or_insert_with(Default::default),
                other => node.children.entry(other.to_string()).or_default(),
            };
        }
        node.here.push(id);
    }

    /// The distinct filters to subscribe to.
    pub(crate) fn filters(&self) -> &[String] {
        &self.filters
    }

    /// The filters a subscriber of this scene subscribes to (the twin, the
    /// page and the simulated plant alike): a filter that another one covers
    /// is left out, as brokers such as rumqttd deliver a message once per
    /// matching subscription.
    pub(crate) fn subscriptions(&self) -> Vec<String> {
        crate::topic_filter::minimal(&self.filters)
    }

    /// Calls `f` with every target the topic feeds; returns how many.
    pub(crate) fn route(&self, topic: &str, mut f: impl FnMut(&Target)) -> usize {
        let mut n = 0;
        if let Some(ids) = self.exact.get(topic) {
            for &id in ids {
                f(&self.targets[id]);
                n += 1;
            }
        }
        if !self.wild.children.is_empty() || self.wild.plus.is_some() || !self.wild.hash.is_empty()
        {
            let system = topic.starts_with('$');
            walk(&self.wild, Some(topic), !system, &mut |id| {
                f(&self.targets[id]);
                n += 1;
            });
        }
        n
    }
}

/// Visits the targets under `node` that match the `rest` of a topic (`None`
/// once every level is used). Wildcards never match the first level of a
/// `$` topic.
fn walk(node: &Node, rest: Option<&str>, wild_ok: bool, f: &mut impl FnMut(usize)) {
    if wild_ok {
        node.hash.iter().for_each(|&id| f(id));
    }
    let Some(rest) = rest else {
        node.here.iter().for_each(|&id| f(id));
        return;
    };
    let (level, tail) = match rest.split_once('/') {
        Some((level, tail)) => (level, Some(tail)),
        None => (rest, None),
    };
    if let Some(child) = node.children.get(level) {
        walk(child, tail, true, f);
    }
    if wild_ok && let Some(plus) = &node.plus {
        walk(plus, tail, true, f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topic_filter::matches;

    #[test]
    fn filter_matching_follows_the_mqtt_rules() {
        let cases = [
            ("a/b/c", "a/b/c", true),
            ("a/b/c", "a/b", false),
            ("a/+/c", "a/x/c", true),
            ("a/+/c", "a/x/y/c", false),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("#", "a/b", true),
            ("+", "a", true),
            ("+", "a/b", false),
            ("+/+", "/x", true),
            ("a/+", "a/", true),
            ("#", "$SYS/x", false),
            ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/x", true),
            ("sensor/temperature", "sensor/Temperature", false),
        ];
        for (filter, topic, want) in cases {
            assert_eq!(
                matches(filter, topic),
                want,
                "filter {filter:?} against topic {topic:?}"
            );
        }
    }

    fn router_for(filters: &[&str]) -> Router {
        let mut r = Router::default();
        for (i, f) in filters.iter().enumerate() {
            r.add(
                f,
                Target::Sensor {
                    sensor: i as u32,
                    decode: Decode::Number,
                    stamp: None,
                },
            );
        }
        r
    }

    fn routed(r: &Router, topic: &str) -> Vec<u32> {
        let mut out = vec![];
        r.route(topic, |t| {
            if let Target::Sensor { sensor, .. } = t {
                out.push(*sensor)
            }
        });
        out.sort_unstable();
        out
    }

    #[test]
    fn router_agrees_with_matches_for_every_filter_and_topic() {
        let filters = [
            "a/b/c", "a/+/c", "a/#", "#", "+/b/+", "x/y", "a/b/c/#", "+", "$SYS/#",
        ];
        let topics = [
            "a/b/c",
            "a/x/c",
            "a",
            "a/b",
            "x/y",
            "q",
            "a/b/c/d",
            "$SYS/load",
            "/b/",
            "",
        ];
        let r = router_for(&filters);
        for topic in topics {
            let want: Vec<u32> = filters
                .iter()
                .enumerate()
                .filter(|(_, f)| matches(f, topic))
                .map(|(i, _)| i as u32)
                .collect();
            assert_eq!(routed(&r, topic), want, "topic {topic:?}");
        }
    }

    #[test]
    fn a_router_with_one_filter_agrees_with_matches_too() {
        // Alone, each filter's router must still take the wildcard path
        // (a lone "#" or "a/+": the root has only a hash, or only children).
        for filter in ["#", "a/+", "+/c", "a/#", "a/b"] {
            let r = router_for(&[filter]);
            for topic in ["a/b", "x/c", "a", "q/r/s"] {
                let want: Vec<u32> = if matches(filter, topic) {
                    vec![0]
                } else {
                    vec![]
                };
                assert_eq!(routed(&r, topic), want, "{filter:?} against {topic:?}");
            }
        }
    }

    #[test]
    fn each_filter_is_subscribed_once() {
        // Two sensors on one topic, two on one wildcard: two subscriptions.
        let r = router_for(&["a/b", "a/+", "a/b", "a/+"]);
        assert_eq!(r.filters(), ["a/b".to_string(), "a/+".to_string()]);
        assert_eq!(routed(&r, "a/b"), vec![0, 1, 2, 3]);
    }

    #[test]
    fn deep_topics_route_too() {
        let deep = (0..40).map(|i| i.to_string()).collect::<Vec<_>>().join("/");
        let r = router_for(&["0/+/#", &deep]);
        assert_eq!(routed(&r, &deep), vec![0, 1]);
    }
}

//! The leak property test: whatever the fleet, the scopes, the filters and the order of events
//! (reports, ticks, silences, joins, leaves, reloads that change or revoke a token), no viewer
//! is ever sent a vehicle outside its token's scope, in either encoding, in snapshot parts,
//! batches, compact dictionaries and resyncs alike; and after each tick an up-to-date viewer
//! holds exactly what its filter and scope allow.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::scopes::Client;
use super::*;
use crate::scopes::{Rules, Scope, Tokens};
use fleetview_core::protocol::{Encoding, Subscribe};

/// A scope as the property test draws it.
#[derive(Debug, Clone)]
struct Spec {
    all: bool,
    exact: Vec<u8>,
    /// `v{digit}*`
    pattern: Option<u8>,
    /// ids of group `g{n}`: vehicles whose number is n mod 3.
    group: Option<u8>,
    bbox: Option<(u8, u8)>,
}

impl Spec {
    fn rules(&self) -> Rules {
        let mut devices: Vec<String> = self.exact.iter().map(|n| format!("v{n}")).collect();
        devices.extend(self.pattern.map(|d| format!("v{d}*")));
        let group_ids = self
            .group
            .map(|g| {
                (0..30u8)
                    .filter(|n| n % 3 == g)
                    .map(|n| format!("v{n}"))
                    .collect()
            })
            .unwrap_or_default();
        let bbox = self.bbox.map(|(s, w)| {
            let (s, w) = (f64::from(s), f64::from(w));
            BBox::from([w, s, w + 5.0, s + 5.0])
        });
        Rules {
            all: self.all,
            devices,
            group_ids,
            bbox,
        }
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::bool::weighted(0.15),
        prop::collection::vec(0u8..30, 0..6),
        prop::option::of(0u8..4),
        prop::option::of(0u8..3),
        prop::option::of((0u8..6, 0u8..6)),
    )
        .prop_map(|(all, exact, pattern, group, bbox)| Spec {
            all: all || (exact.is_empty() && pattern.is_none() && group.is_none()),
            exact,
            pattern,
            group,
            bbox,
        })
}

#[derive(Debug, Clone)]
enum Op {
    /// Vehicle n reports at (lat, lon) in whole degrees.
    Report(u8, u8, u8),
    Tick,
    /// Time passes (silent vehicles are dropped after 60 s).
    Wait(u16),
    /// Viewer v joins with token t, a bbox or id filter maybe, an encoding, a queue size.
    Join(u8, u8, Option<(u8, u8)>, bool, usize),
    Leave(u8),
    /// Token t's scope becomes this one (or, with `None`, it is revoked).
    Reload(u8, Option<Spec>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..30, 0u8..10, 0u8..10).prop_map(|(v, a, b)| Op::Report(v, a, b)),
        4 => Just(Op::Tick),
        1 => (1u16..90).prop_map(Op::Wait),
        2 => (0u8..5, 0u8..3, prop::option::of((0u8..8, 0u8..8)), any::<bool>(), 1usize..4)
            .prop_map(|(v, t, b, c, q)| Op::Join(v, t, b, c, q)),
        1 => (0u8..5).prop_map(Op::Leave),
        1 => (0u8..3, prop::option::weighted(0.85, spec())).prop_map(|(t, s)| Op::Reload(t, s)),
    ]
}

/// The property test's world: the hub, the tokens in force, and the viewers.
struct World {
    hub: Hub,
    now: i64,
    generation: u64,
    /// Token t as the file says it now (`None` once revoked) and its scope.
    specs: Vec<Option<Spec>>,
    tokens: Vec<Option<Arc<Scope>>>,
    /// Viewer v: its client, token and filter (without the scope).
    viewers: BTreeMap<u8, (Client, u8, Filter)>,
}

impl World {
    fn new(specs: &[Spec]) -> Self {
        let mut world = Self {
            hub: Hub::new(60_000),
            now: T0,
            generation: 1,
            specs: specs.iter().cloned().map(Some).collect(),
            tokens: Vec::new(),
            viewers: BTreeMap::new(),
        };
        world.tokens = world.load(1).into_iter().map(|s| s.map(Arc::new)).collect();
        world
    }

    /// The file's tokens as load `generation`.
    fn load(&self, generation: u64) -> Vec<Option<Scope>> {
        self.specs
            .iter()
            .enumerate()
            .map(|(t, spec)| {
                let rules = spec.as_ref()?.rules();
                Some(Scope::new(
                    &format!("t{t}"),
                    [t as u8; 32],
                    generation,
                    rules,
                ))
            })
            .collect()
    }

    /// Every viewer reads what it was sent, checked against its token's scope now.
    fn drain(&mut self) {
        for (client, token, _) in self.viewers.values_mut() {
            let scope = self.tokens[usize::from(*token)].clone();
            client.drain(|id, lat, lon| scope.as_ref().is_some_and(|s| s.sees(id, lat, lon)));
        }
        self.viewers.retain(|_, (c, _, _)| !c.revoked);
    }

    /// After a tick, a viewer that is up to date holds exactly the vehicles its filter and
    /// scope allow, where they are.
    fn check_complete(&self) {
        let fleet = self.hub.all();
        for (v, (client, token, filter)) in &self.viewers {
            let viewer = &self.hub.viewers[&ViewerId::from(*v)];
            if viewer.needs_snapshot {
                continue;
            }
            let scope = self.tokens[usize::from(*token)].clone();
            let want: BTreeSet<&str> = fleet
                .iter()
                .filter(|f| {
                    filter
                        .clone()
                        .within(scope.clone())
                        .matches(f.id, f.lat, f.lon)
                })
                .map(|f| f.id)
                .collect();
            let held: BTreeSet<&str> = client.held.keys().map(String::as_str).collect();
            assert_eq!(held, want, "viewer {v} of token t{token}");
        }
    }

    fn apply(&mut self, op: &Op) {
        match op.clone() {
            Op::Report(v, lat, lon) => {
                self.now += 10;
                let fix = batch(&[(&format!("v{v}"), f64::from(lat), f64::from(lon), self.now)]);
                self.hub.report(&fix, self.now);
            }
            Op::Tick => {
                self.now += 200;
                self.hub.tick(self.now);
            }
            Op::Wait(s) => self.now += i64::from(s) * 1000,
            Op::Join(v, t, b, compact, queue) => self.join(v, t, b, compact, queue),
            Op::Leave(v) => {
                self.hub.leave(ViewerId::from(v));
                self.viewers.remove(&v);
            }
            Op::Reload(t, spec) => {
                self.generation += 1;
                self.specs[usize::from(t)] = spec;
                let g = self.generation;
                self.tokens = self.load(g).into_iter().map(|s| s.map(Arc::new)).collect();
                let file = self.load(g).into_iter().flatten();
                self.hub
                    .rescope(Arc::new(Tokens::of_viewers(g, file)), self.now);
            }
        }
        self.drain();
        if matches!(op, Op::Tick) {
            self.check_complete();
        }
    }

    fn join(&mut self, v: u8, t: u8, b: Option<(u8, u8)>, compact: bool, queue: usize) {
        let Some(scope) = self.tokens[usize::from(t)].clone() else {
            return; // a revoked token cannot subscribe
        };
        self.viewers.remove(&v);
        let (s, w) = b.map_or((0.0, 0.0), |(s, w)| (f64::from(s), f64::from(w)));
        let subscribe = Subscribe {
            bbox: b.map(|_| BBox::from([w, s, w + 4.0, s + 4.0])),
            ..Subscribe::default()
        };
        let encoding = if compact {
            Encoding::Compact
        } else {
            Encoding::V1
        };
        let filter = Filter::from_subscribe(&subscribe)
            .expect("valid")
            .with_encoding(encoding);
        let within = filter.clone().within(Some(scope));
        let client = Client::join(&mut self.hub, ViewerId::from(v), within, queue);
        self.viewers.insert(v, (client, t, filter));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn no_viewer_is_ever_sent_a_vehicle_outside_its_scope(
        specs in prop::collection::vec(spec(), 3),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let mut world = World::new(&specs);
        for op in &ops {
            world.apply(op);
        }
        // At the end every queue has room: one more tick brings everyone up to date.
        world.apply(&Op::Tick);
        world.apply(&Op::Tick);
    }
}

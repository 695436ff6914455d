//! A simulated fleet across a country: the Cairns bus network laid over each of 30 Australian
//! towns, so that `fleetview-server --sim 1000000 --sim-area australia` gives a window a
//! national fleet to draw (clusters over each town at country zoom, streets when zoomed in).

use super::{Network, Route};

/// Where the Cairns network is centred: each copy is moved by the town's offset from here.
const CAIRNS_CENTRE: (f64, f64) = (-16.92, 145.75);

/// Thirty Australian towns and cities (name, lat, lon), from the largest down.
pub const AUSTRALIA: [(&str, f64, f64); 30] = [
    ("Sydney", -33.87, 151.21),
    ("Melbourne", -37.81, 144.96),
    ("Brisbane", -27.47, 153.03),
    ("Perth", -31.95, 115.86),
    ("Adelaide", -34.93, 138.60),
    ("Gold Coast", -28.02, 153.40),
    ("Newcastle", -32.93, 151.78),
    ("Canberra", -35.28, 149.13),
    ("Hobart", -42.88, 147.33),
    ("Geelong", -38.15, 144.36),
    ("Townsville", -19.26, 146.82),
    ("Cairns", -16.92, 145.75),
    ("Darwin", -12.46, 130.84),
    ("Toowoomba", -27.56, 151.95),
    ("Ballarat", -37.56, 143.85),
    ("Bendigo", -36.76, 144.28),
    ("Albury", -36.08, 146.92),
    ("Launceston", -41.43, 147.14),
    ("Mackay", -21.14, 149.19),
    ("Rockhampton", -23.38, 150.51),
    ("Bunbury", -33.33, 115.64),
    ("Bundaberg", -24.87, 152.35),
    ("Wagga Wagga", -35.12, 147.37),
    ("Mildura", -34.21, 142.14),
    ("Alice Springs", -23.70, 133.88),
    ("Kalgoorlie", -30.75, 121.47),
    ("Geraldton", -28.77, 114.61),
    ("Broome", -17.96, 122.24),
    ("Mount Isa", -20.73, 139.49),
    ("Dubbo", -32.25, 148.60),
];

impl Network {
    /// This network (laid out around Cairns) copied to each of `towns` (name, lat, lon): its
    /// routes named after the town ("Sydney 110"), its shapes moved there.
    pub fn across(&self, towns: &[(&str, f64, f64)]) -> Network {
        let mut routes = Vec::with_capacity(self.routes.len() * towns.len());
        let mut shapes = Vec::with_capacity(self.shapes.len() * towns.len());
        for (town, lat, lon) in towns {
            let (dlat, dlon) = (lat - CAIRNS_CENTRE.0, lon - CAIRNS_CENTRE.1);
            let first = routes.len();
            routes.extend(self.routes.iter().map(|r| Route {
                id: format!("{town}:{}", r.id),
                name: format!("{town} {}", r.name),
                long_name: format!("{town}: {}", r.long_name),
                color: r.color.clone(),
            }));
            shapes.extend(self.shapes.iter().map(|s| {
                let mut moved = s.translated(dlat, dlon);
                moved.id = format!("{town}:{}", s.id);
                moved.route = first + s.route;
                moved
            }));
        }
        Network {
            routes,
            shapes,
            source: format!("{} across {} towns", self.source, towns.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_across_the_towns_is_a_moved_copy_in_each() {
        let cairns = Network::cairns().expect("asset");
        let national = cairns.across(&AUSTRALIA);
        assert_eq!(national.routes.len(), 30 * cairns.routes.len());
        assert_eq!(national.shapes.len(), 30 * cairns.shapes.len());
        // The Sydney copy of the first shape lies around Sydney, as long within a few percent.
        let (first, sydney) = (&cairns.shapes[0], &national.shapes[0]);
        assert!(sydney.id.starts_with("Sydney:"));
        assert_eq!(
            national.routes[sydney.route].name,
            format!("Sydney {}", cairns.routes[first.route].name)
        );
        let (lat, lon) = sydney.points()[0];
        assert!(
            (lat + 33.87).abs() < 0.5 && (lon - 151.21).abs() < 0.5,
            "{lat},{lon}"
        );
        let ratio = sydney.length() / first.length();
        assert!(
            (0.85..1.0).contains(&ratio),
            "shorter east-west further south: {ratio}"
        );
        assert_eq!(sydney.stops.len(), first.stops.len());
        assert!(sydney.stops.iter().all(|s| *s <= sydney.length()));
    }
}

//! Cluster discs as one mesh: a filled disc, a ring split by the mix of statuses, and a thin
//! transparent rim for anti-aliasing, with a fixed number of segments. Hundreds of discs then
//! cost one shape that egui passes straight through, instead of hundreds of feathered circles
//! and arcs it must tessellate each frame.

use egui::epaint::{Mesh, Vertex, WHITE_UV};
use egui::{Color32, Pos2, Vec2};

/// Segments of a disc: smooth enough at the sizes clusters are drawn.
const SEGMENTS: usize = 24;

/// Which ring colour each of the disc's segments gets: shares in proportion to `counts`, at
/// least one segment for any non-zero count (a single stale vehicle among 200 still shows).
pub fn segment_colours(counts: &[u32], colours: &[Color32]) -> [Color32; SEGMENTS] {
    let total: u32 = counts.iter().sum();
    let mut shares: Vec<usize> = counts
        .iter()
        .map(|&n| {
            if n == 0 {
                0
            } else {
                ((n as f32 / total.max(1) as f32 * SEGMENTS as f32).floor() as usize).max(1)
            }
        })
        .collect();
    // Round to exactly SEGMENTS: the biggest share gives or takes the difference.
    let sum: usize = shares.iter().sum();
    if let Some(biggest) = (0..shares.len()).max_by_key(|&i| counts[i]) {
        shares[biggest] = (shares[biggest] + SEGMENTS).saturating_sub(sum).max(1);
    }
    let mut out = [colours.first().copied().unwrap_or(Color32::GRAY); SEGMENTS];
    let mut at = 0;
    for (i, &share) in shares.iter().enumerate() {
        for _ in 0..share {
            if at < SEGMENTS {
                out[at] = colours[i];
                at += 1;
            }
        }
    }
    out
}

/// Adds a disc of `radius` at `centre`, filled with `fill`, its outer `ring` points coloured
/// segment by segment (clockwise from the top).
pub fn add_disc(
    mesh: &mut Mesh,
    centre: Pos2,
    radius: f32,
    ring: f32,
    fill: Color32,
    segment: &[Color32; SEGMENTS],
) {
    let dir = |i: usize| {
        let a = i as f32 / SEGMENTS as f32 * std::f32::consts::TAU - std::f32::consts::FRAC_PI_2;
        Vec2::new(a.cos(), a.sin())
    };
    let vertex = |pos: Pos2, color: Color32| Vertex {
        pos,
        uv: WHITE_UV,
        color,
    };
    let (inner, outer, rim) = (radius - ring, radius - 0.5, radius + 0.5);
    let base = mesh.vertices.len() as u32;
    mesh.vertices.push(vertex(centre, fill));
    for i in 0..SEGMENTS {
        mesh.vertices.push(vertex(centre + dir(i) * inner, fill));
    }
    for i in 0..SEGMENTS {
        let (a, b) = (i as u32 + 1, (i + 1) as u32 % SEGMENTS as u32 + 1);
        mesh.indices.extend([base, base + a, base + b]);
    }
    // Each ring segment has vertices of its own, so colours change sharply between segments.
    for (i, &colour) in segment.iter().enumerate() {
        let (d0, d1) = (dir(i), dir(i + 1));
        let at = mesh.vertices.len() as u32;
        for (d, r, c) in [
            (d0, inner, colour),
            (d1, inner, colour),
            (d0, outer, colour),
            (d1, outer, colour),
            (d0, rim, Color32::TRANSPARENT),
            (d1, rim, Color32::TRANSPARENT),
        ] {
            mesh.vertices.push(vertex(centre + d * r, c));
        }
        mesh.indices
            .extend([at, at + 1, at + 3, at, at + 3, at + 2]);
        mesh.indices
            .extend([at + 2, at + 3, at + 5, at + 2, at + 5, at + 4]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: [Color32; 4] = [
        Color32::GREEN,
        Color32::BLUE,
        Color32::YELLOW,
        Color32::GRAY,
    ];

    #[test]
    fn ring_segments_follow_the_mix_and_a_lone_minority_still_shows() {
        let all_green = segment_colours(&[10, 0, 0, 0], &C);
        assert!(all_green.iter().all(|c| *c == Color32::GREEN));
        let half = segment_colours(&[5, 5, 0, 0], &C);
        assert_eq!(half.iter().filter(|c| **c == Color32::BLUE).count(), 12);
        let one_stale = segment_colours(&[199, 0, 1, 0], &C);
        assert_eq!(
            one_stale.iter().filter(|c| **c == Color32::YELLOW).count(),
            1
        );
        assert_eq!(
            one_stale.iter().filter(|c| **c == Color32::GREEN).count(),
            23
        );
        let every = segment_colours(&[1, 1, 1, 1], &C);
        for c in C {
            assert_eq!(every.iter().filter(|x| **x == c).count(), 6);
        }
    }

    #[test]
    fn a_disc_is_a_closed_mesh_inside_its_radius() {
        let mut mesh = Mesh::default();
        let segments = segment_colours(&[3, 1, 0, 0], &C);
        add_disc(
            &mut mesh,
            Pos2::new(50.0, 50.0),
            12.0,
            3.0,
            Color32::BLACK,
            &segments,
        );
        assert!(mesh.is_valid());
        assert_eq!(mesh.vertices.len(), 1 + SEGMENTS + 6 * SEGMENTS);
        assert!(
            mesh.vertices
                .iter()
                .all(|v| v.pos.distance(Pos2::new(50.0, 50.0)) <= 12.5 + 1e-3)
        );
    }
}

//! The server crate links no GUI: an operator building `fleetview-server` on a headless box
//! builds no egui, eframe, winit, walkers or wgpu. Checked on the real dependency tree
//! (`cargo tree`, normal, build and dev edges), so a dependency added anywhere below the
//! server that drags a GUI crate in fails here.

use std::process::Command;

const GUI: [&str; 6] = ["egui", "eframe", "winit", "walkers", "wgpu", "glow"];

#[test]
fn the_servers_dependency_tree_has_no_gui_crate() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .args(["-p", "fleetview-server", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        names.contains(&"tokio") && names.contains(&"fleetview-core"),
        "the tree was read: {names:?}"
    );
    let gui: Vec<&&str> = names
        .iter()
        .filter(|n| GUI.iter().any(|g| is_crate_of(n, g)))
        .collect();
    assert!(gui.is_empty(), "the server depends on GUI crates: {gui:?}");
}

/// `name` is crate `family` or one of its parts (`egui`, `egui_extras`, `winit-x11`...).
fn is_crate_of(name: &str, family: &str) -> bool {
    name.strip_prefix(family)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '_']))
}

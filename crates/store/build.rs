//! Rebuilds the store when a migration is added or changed: `embed_migrations!` reads the
//! migration folders at compile time, and cargo does not know it depends on them (the
//! setup diesel_migrations documents).

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}

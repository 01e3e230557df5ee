//! `size_base` with the seed policy installed by `#[seccomp_rt::main]`: the release
//! binaries' difference is what the runtime (and the 13-instruction program) adds,
//! measured by `cargo xtask bench`.

#[seccomp_rt::main(
    read: fd == 0;
    write: fd == 1;
    exit_group;
    default => kill;
)]
fn main() {
    println!("hello");
}

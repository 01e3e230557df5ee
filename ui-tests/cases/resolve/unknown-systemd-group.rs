use seccomp_rt::{Filter, seccomp};

// systemd's group names have hyphens; a misspelt one is refused, with systemd's name.
static F: Filter = seccomp! {
    @system-servce;
    default => kill;
};

fn main() {
    let _ = &F;
}

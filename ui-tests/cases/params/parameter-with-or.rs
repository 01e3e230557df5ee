use seccomp_rt::{Template, seccomp};

static T: Template<1> = seccomp! {
    openat: flags == ($flags | 1);
    default => kill;
};

fn main() {
    let _ = T.names();
}

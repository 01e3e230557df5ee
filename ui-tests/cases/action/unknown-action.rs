use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    read => deny;
    write => kil;
    default => kill;
};

fn main() {
    let _ = F.len();
}

use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    @basic_ios;
    default => kill;
};

fn main() {
    let _ = F.len();
}

use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    @basic_io: arg0 == 1;
    default => kill;
};

fn main() {
    let _ = F.len();
}

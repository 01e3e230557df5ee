use seccomp_rt::{Filter, seccomp};

// The kernel takes lower_32_bits(clone_flags): a value above 32 bits is never seen.
static F: Filter = seccomp! {
    clone: clone_flags == 0x1_0000_0011 => errno(EPERM);
    default => allow;
};

fn main() {
    let _ = F.len();
}

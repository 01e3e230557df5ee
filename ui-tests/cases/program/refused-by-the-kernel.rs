// A hand-written program the kernel would refuse (a jump past its end) is an
// error while compiling, not an EINVAL at run time.
use seccomp_rt::{Filter, SockFilter};

static PROGRAM: [SockFilter; 2] = [
    SockFilter::jump(0x15, 0, 5, 0), // jeq #0, +5: past the end
    SockFilter::stmt(0x06, 0x7fff_0000),
];

static F: Filter = Filter::from_static(&PROGRAM);

fn main() {
    let _ = F.install();
}

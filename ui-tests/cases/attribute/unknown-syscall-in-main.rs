// The policy of `#[seccomp_rt::main]` is checked like `seccomp!`'s, and its errors
// point inside the attribute.
#[seccomp_rt::main(
    @rust_runtime;
    writ: fd == 1;
    default => kill;
)]
fn main() {
    println!("never unprotected");
}

//! The baseline of the runtime's size figure in `cargo xtask bench`: `size_runtime`
//! without its filter.

fn main() {
    println!("hello");
}

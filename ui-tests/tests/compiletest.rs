//! Every mistake a user can make in a policy has a case in `cases/<category>/`,
//! with the exact error rustc shows beside it in a `.stderr` file.
//!
//! Bless after reviewing a change of message: `TRYBUILD=overwrite cargo test -p
//! seccomp-ui-tests`, then read `git diff ui-tests/`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("cases/*/*.rs");
}

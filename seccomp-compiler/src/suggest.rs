//! "did you mean …?" suggestions.

/// The closest candidate to `word`, if one is close enough to be a likely typo:
/// at most one edit per three characters (insert, delete, substitute, or swap two
/// neighbours), the shortest candidate on a tie.
///
/// ```
/// use seccomp_compiler::suggest::did_you_mean;
/// assert_eq!(did_you_mean("opnat", ["openat", "open", "read"]), Some("openat"));
/// assert_eq!(did_you_mean("xyz", ["openat"]), None);
/// ```
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c.len(), c))
        .map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos() {
        let names = ["open", "openat", "read", "write", "exit_group"];
        assert_eq!(did_you_mean("opne", names), Some("open"));
        assert_eq!(did_you_mean("opnat", names), Some("openat"));
        assert_eq!(did_you_mean("exitgroup", names), Some("exit_group"));
        assert_eq!(did_you_mean("xyz", names), None);
    }
}

//! "Did you mean" hints for misspelt names.

/// The candidate closest to `input`, as a hint, when one is close enough to be a likely
/// misspelling.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(input, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Names as they appear in messages: each in backticks, separated by commas.
pub fn code_list<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = input.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == input {
            continue;
        }
        let score = if c.to_lowercase() == lower {
            2.0
        } else {
            strsim::jaro_winkler(&lower, &c.to_lowercase())
        };
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_close_names() {
        assert_eq!(
            closest("replica", ["replicas", "resources"]),
            Some("replicas")
        );
        assert_eq!(
            closest("jobOrchestratr", ["jobOrchestrator", "scheduling"]),
            Some("jobOrchestrator")
        );
        assert_eq!(closest("TRINO", ["trino"]), Some("trino"));
    }

    #[test]
    fn code_lists() {
        assert_eq!(code_list(["a", "b"]), "`a`, `b`");
        assert_eq!(code_list(Vec::<String>::new()), "");
    }

    #[test]
    fn ignores_distant_names() {
        assert_eq!(closest("zzz", ["replicas", "resources"]), None);
        assert_eq!(did_you_mean("x", []), None);
    }
}

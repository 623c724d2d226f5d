//! Finding the template line that wrote a field of an object, and what that line
//! prints: the keys a YAML line writes, the keys it sits under, a template's loop and
//! `set` names, and the context paths inside `{{ … }}`.

use crate::check::Templates;
use crate::yaml::Span;

/// A line of a template file that may be the one: the file, its lines and the index.
type Candidate<'t> = (&'t str, Vec<&'t str>, usize);

/// The line of the templates that writes the last of `keys`, the keys of a pointer
/// into an object (list indexes left out). A line qualifies when the key it sits under
/// is the key before it in the pointer, or when it sits under none (the body of a
/// macro); among several, the keys further up decide, then, in the object's own
/// template, the YAML document (`---`) the object was. The object's own template is
/// searched first, the templates it imports or includes only when it writes the key
/// nowhere.
pub(super) fn nested_line<'t>(
    path: &'t str,
    text: &'t str,
    templates: &Templates<'t>,
    keys: &[&str],
    document: usize,
) -> Option<(&'t str, Span)> {
    let (key, above) = keys.split_last()?;
    let imported: Vec<(&str, &str)> = templates
        .iter()
        .filter(|(name, _)| text.contains(&format!("\"{name}\"")))
        .map(|(_, file)| *file)
        .collect();
    for (own, files) in [(true, vec![(path, text)]), (false, imported)] {
        let mut candidates = writing(&files, key, above.last().copied());
        if candidates.is_empty() {
            continue;
        }
        candidates = narrowed(candidates, above);
        if candidates.len() > 1 && own {
            let kept: Vec<_> = candidates
                .iter()
                .filter(|(_, lines, i)| {
                    lines
                        .iter()
                        .take(*i)
                        .filter(|l| l.trim_end() == "---")
                        .count()
                        == document
                })
                .cloned()
                .collect();
            if !kept.is_empty() {
                candidates = kept;
            }
        }
        return match candidates.as_slice() {
            [(p, lines, i)] => {
                let line = lines.get(*i)?;
                let indent = line.len() - line.trim_start().len();
                Some((
                    p,
                    Span {
                        line: u32::try_from(*i + 1).ok()?,
                        col: u32::try_from(indent + 1).ok()?,
                        len: u32::try_from(key.chars().count()).ok()?,
                    },
                ))
            }
            _ => None,
        };
    }
    None
}

/// The lines of `files` that write `key` under `parent` (or under no key).
fn writing<'t>(
    files: &[(&'t str, &'t str)],
    key: &str,
    parent: Option<&str>,
) -> Vec<Candidate<'t>> {
    let mut candidates = Vec::new();
    for (p, t) in files {
        let lines: Vec<&str> = t.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let under = enclosing(&lines, i, 1);
            if written_key(l) == Some(key) && (under.is_none() || under == parent) {
                candidates.push((*p, lines.clone(), i));
            }
        }
    }
    candidates
}

/// Of several candidates, those whose enclosing keys match the keys `above`, level by
/// level, as long as some do.
fn narrowed<'t>(mut candidates: Vec<Candidate<'t>>, above: &[&str]) -> Vec<Candidate<'t>> {
    for (level, want) in above.iter().rev().enumerate().skip(1) {
        if candidates.len() <= 1 {
            break;
        }
        let kept: Vec<_> = candidates
            .iter()
            .filter(|(_, lines, i)| enclosing(lines, *i, level + 1) == Some(*want))
            .cloned()
            .collect();
        if !kept.is_empty() {
            candidates = kept;
        }
    }
    candidates
}

/// The key a YAML line of a template writes (`  - name: x` writes `name`).
pub(super) fn written_key(line: &str) -> Option<&str> {
    let trimmed = line.trim_start().trim_start_matches("- ");
    let (key, _) = trimmed.split_once(':')?;
    key.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '/')
        .then_some(key)
        .filter(|k| !k.is_empty())
}

/// The key of the line `levels` levels of indentation above line `index`.
fn enclosing<'l>(lines: &[&'l str], index: usize, levels: usize) -> Option<&'l str> {
    let indent = |l: &str| l.len() - l.trim_start().trim_start_matches("- ").len();
    let mut at = index;
    for _ in 0..levels {
        let own = indent(lines.get(at)?);
        at = (0..at).rev().find(|j| {
            lines.get(*j).is_some_and(|l| {
                !l.trim().is_empty() && !l.trim_start().starts_with("{%") && indent(l) < own
            })
        })?;
    }
    lines.get(at).and_then(|l| written_key(l))
}

/// The loop variables of a template and the lists they walk, and the names it sets:
/// `{% for p in svc.ports %}` gives `p` → `svc.ports`, `{% set o =
/// pipeline.orchestrator %}` gives `o` → `pipeline.orchestrator`.
pub(super) fn loop_aliases(text: &str) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for part in text.split("{%").skip(1) {
        let Some(tag) = part.split("%}").next() else {
            continue;
        };
        let words: Vec<&str> = tag.trim_matches(['-', '+']).split_whitespace().collect();
        if let ["for", name, "in", list, ..] | ["set", name, "=", list, ..] = words.as_slice() {
            let list: String = list
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                .collect();
            out.insert(name.to_string(), list);
        }
    }
    out
}

/// The context paths a template line prints: the leading dotted name of each
/// `{{ … }}` (`svc.runAsUser`, `values.quota`); calls and literals are left out.
pub(super) fn expressions(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim().trim_start_matches('-').trim();
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        let called = inner[name.len()..].trim_start().starts_with('(');
        if !name.is_empty() && !called && !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_the_printed_context_paths() {
        assert_eq!(
            expressions("    runAsUser: {{ svc.runAsUser }}"),
            vec!["svc.runAsUser"]
        );
        assert_eq!(
            expressions("  {{ pod.sync(svc) | indent(4) }} x: {{ values.quota | tojson }}"),
            vec!["values.quota"]
        );
        assert!(expressions("kind: Deployment").is_empty());
    }

    #[test]
    fn loop_variables_stand_for_their_lists() {
        let aliases =
            loop_aliases("{% for p in svc.ports %}\n{%- for k in values.limits | sort %}");
        assert_eq!(aliases.get("p").map(String::as_str), Some("svc.ports"));
        assert_eq!(aliases.get("k").map(String::as_str), Some("values.limits"));
    }
}

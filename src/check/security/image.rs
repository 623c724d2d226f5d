//! Container images: the reference grammar, and the rules of `kiln.yaml` (`images`) on
//! tags, digests and registries.

use serde_json::Value as Json;

use super::finding;
use crate::check::rules::Finding;
use crate::model::ImageRules;

/// The reference grammar of container images (distribution/reference): an optional
/// registry host and port, lower-case path components, an optional tag and digest.
static IMAGE_REFERENCE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    let component = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    let host = format!(r"(?:{component}(?:\.{component})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?");
    let path_component = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    // The tag's length (at most 128) is checked apart: a counted repetition makes a
    // large automaton.
    let tag = r"[A-Za-z0-9_][A-Za-z0-9_.-]*";
    let digest = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]+";
    crate::secret::pattern(&format!(
        r"^(?:{host}/)?{path_component}(?:/{path_component})*(?::{tag})?(?:@{digest})?$"
    ))
});

/// Whether a string is a well-formed image reference (its name at most 255 characters).
pub(super) fn is_image_reference(image: &str) -> bool {
    let name = image.split('@').next().unwrap_or(image);
    let name = match name.rsplit_once(':') {
        Some((n, tag)) if !tag.contains('/') => n,
        _ => name,
    };
    let (rest, digest) = image.split_once('@').unwrap_or((image, ""));
    let tag = rest
        .rsplit_once(':')
        .map(|(_, t)| t)
        .filter(|t| !t.contains('/'))
        .unwrap_or("");
    let hex = digest.rsplit_once(':').map_or("", |(_, h)| h);
    name.len() <= 255
        && tag.len() <= 128
        && (digest.is_empty() || hex.len() >= 32)
        && IMAGE_REFERENCE.is_match(image)
}

/// Splits an image reference into its name, tag and digest.
pub(super) fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}
/// Refuses a container image that is not a valid reference, has no tag or the
/// `latest` tag, or breaks the image rules of `kiln.yaml`.
pub(super) fn image(c: &Json, at: &str, rules: &ImageRules, out: &mut Vec<Finding>) {
    let Some(image) = c["image"].as_str() else {
        return;
    };
    let (name, tag, digest) = split_image(image);
    let pointer = format!("{at}/image");
    if !is_image_reference(image) {
        out.push(finding(
            pointer,
            format!(
                "`{}` is not a valid image reference",
                crate::diagnostic::printable(image)
            ),
            "an image is `[registry[:port]/]path[:tag][@sha256:<digest>]`: lower-case path components of letters and digits joined by `.`, `_`, `__` or `-`",
        ));
        return;
    }
    if tag.is_none() && digest.is_none() {
        out.push(finding(
            pointer.clone(),
            format!("image `{image}` has no tag"),
            "pin a version: `services.<name>.image.tag` (an untagged image means `latest`)",
        ));
    }
    if tag == Some("latest") {
        out.push(finding(
            pointer.clone(),
            format!("image `{image}` uses the `latest` tag"),
            "pin a version; `latest` changes under you and defeats reviews",
        ));
    }
    if rules.require_digest && digest.is_none() {
        out.push(finding(pointer.clone(), format!("image `{image}` is not pinned by digest"), "kiln.yaml requires digests (`images.requireDigest`): set `services.<name>.image.digest`"));
    }
    if !rules.allowed_registries.is_empty()
        && !rules
            .allowed_registries
            .iter()
            .any(|r| name.starts_with(r.as_str()))
    {
        out.push(finding(
            pointer,
            format!("image `{image}` does not come from an allowed registry"),
            format!(
                "kiln.yaml allows {}",
                crate::suggest::code_list(&rules.allowed_registries)
            ),
        ));
    }
}

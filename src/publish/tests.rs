use super::remote::{scrubbed, url_credentials};
use super::*;

#[test]
fn credentials_never_reach_the_trailers() {
    assert_eq!(
        without_credentials("https://ci:s3cret@git.example.com/platform/src.git"),
        "https://git.example.com/platform/src.git"
    );
    assert_eq!(
        without_credentials("https://git.example.com"),
        "https://git.example.com"
    );
    assert_eq!(without_credentials("/srv/git/src"), "/srv/git/src");
}

#[test]
fn tokens_in_urls_are_used_and_scrubbed() {
    let url = "https://oauth2:glpat-123@git.example.com/r.git";
    assert_eq!(
        url_credentials(url),
        Some(("oauth2".into(), "glpat-123".into()))
    );
    assert_eq!(url_credentials("https://git.example.com/r.git"), None);
    let e = git2::Error::from_str(&format!("failed to reach {url} (glpat-123)"));
    let git::Outcome::Failed(scrubbed) = scrubbed(&e, url, "push".into()) else {
        panic!("not a failure")
    };
    let text = format!("{scrubbed:#}");
    assert!(!text.contains("glpat-123"), "{text}");
    assert!(text.contains("https://git.example.com/r.git"), "{text}");
}

#[test]
fn urls_and_paths() {
    assert!(is_url("https://git.example.com/r.git"));
    assert!(is_url("git@github.com:org/r.git"));
    assert!(is_url("file:///tmp/r.git"));
    assert!(!is_url("../rendered"));
}

/// A bare repository whose `main` holds `files`, committed by hand.
fn repo_with(dir: &Path, files: &[(&str, &str)]) -> Repository {
    let repo = Repository::init_bare(dir).unwrap();
    let mut index = Index::new().unwrap();
    for (path, content) in files {
        let id = repo.blob(content.as_bytes()).unwrap();
        index
            .add(&IndexEntry {
                ctime: IndexTime::new(0, 0),
                mtime: IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100_644,
                uid: 0,
                gid: 0,
                file_size: content.len() as u32,
                id,
                flags: path.len() as u16,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            })
            .unwrap();
    }
    let tree = index.write_tree_to(&repo).unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let sig = Signature::now("t", "t@example.com").unwrap();
    repo.commit(Some("refs/heads/main"), &sig, &sig, "init", &tree, &[])
        .unwrap();
    drop(tree);
    repo
}

fn build(files: &[(&str, &str)]) -> Files {
    files
        .iter()
        .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
        .collect()
}

fn user_message(r: Result<Prepared>) -> String {
    match r {
        Err(git::Outcome::User(u)) => u.message,
        Err(git::Outcome::Failed(e)) => panic!("failed: {e:#}"),
        Ok(_) => panic!("prepared"),
    }
}

#[test]
fn a_foreign_file_where_the_build_needs_a_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_with(tmp.path(), &[("deploy/tenants", "a user's file")]);
    let files = build(&[(".kiln-owned", "index\n"), ("tenants/acme/a.yaml", "a")]);
    assert_eq!(
        user_message(prepare(&repo, "main", "deploy", &files)),
        "branch `main` has files that are not kiln's where the build needs folders: `deploy/tenants`"
    );
    // The folder itself.
    assert_eq!(
        user_message(prepare(&repo, "main", "deploy/tenants", &files)),
        "branch `main` has files that are not kiln's where the build needs folders: `deploy/tenants`"
    );
}

#[test]
fn a_foreign_folder_where_the_build_writes_a_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_with(tmp.path(), &[("deploy/a.yaml/notes.md", "a user's file")]);
    let files = build(&[(".kiln-owned", "index\n"), ("a.yaml", "a")]);
    assert_eq!(
        user_message(prepare(&repo, "main", "deploy", &files)),
        "branch `main` has folders where the build writes files: `deploy/a.yaml`"
    );
}

#[test]
fn a_file_kiln_owned_gives_way_to_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_with(tmp.path(), &[(".kiln-owned", "# index\nx\n"), ("x", "old")]);
    let files = build(&[(".kiln-owned", "# index\nx/y.yaml\n"), ("x/y.yaml", "new")]);
    let prepared = prepare(&repo, "main", "", &files).unwrap();
    let tree = repo.find_tree(prepared.tree).unwrap();
    assert!(tree.get_path(Path::new("x/y.yaml")).is_ok());
}

#[test]
fn a_branch_locked_by_git_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_with(
        tmp.path(),
        &[(".kiln-owned", "# index\na.yaml\n"), ("a.yaml", "old")],
    );
    let files = build(&[(".kiln-owned", "# index\na.yaml\n"), ("a.yaml", "new")]);
    let prepared = prepare(&repo, "main", "", &files).unwrap();
    let lock = tmp.path().join("refs/heads/main.lock");
    std::fs::write(&lock, "").unwrap();
    let before = repo.refname_to_id("refs/heads/main").unwrap();
    match commit(&repo, &prepared, "m") {
        Err(git::Outcome::User(u)) => assert_eq!(
            u.message,
            format!(
                "branch `main` is locked: `{}` exists; nothing was changed",
                lock.display()
            )
        ),
        _ => panic!("committed through a lock"),
    }
    assert_eq!(repo.refname_to_id("refs/heads/main").unwrap(), before);
    std::fs::remove_file(&lock).unwrap();
    let id = commit(&repo, &prepared, "m").unwrap();
    assert_eq!(repo.refname_to_id("refs/heads/main").unwrap(), id);
}

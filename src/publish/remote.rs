//! Talking to a remote: pushing the branch and fetching it, with the usual credentials,
//! and never printing a token a URL holds.

use std::path::Path;

use git2::{Cred, CredentialType, PushOptions, RemoteCallbacks, Repository};

use super::branch_ref;
use crate::git::{self, user, Result};

/// Pushes the branch to a remote, with the usual credentials: the ssh agent for ssh
/// URLs, the git credential helper for https. A push that is not a fast-forward is
/// refused by the remote, and reported as such.
pub fn push(repo: &Repository, remote: &str, branch: &str) -> Result<()> {
    let mut remote = repo.find_remote(remote).map_err(|_| {
        user(
            format!("the repository has no remote `{remote}` to push to"),
            Some("add one with `git remote add`, or publish without `--push`".into()),
        )
    })?;
    let config = repo.config()?;
    let url = remote.url().unwrap_or_default().to_string();
    let mut rejected: Option<String> = None;
    {
        let mut callbacks = RemoteCallbacks::new();
        with_credentials(&mut callbacks, config, &url);
        callbacks.push_update_reference(|_, status| {
            if let Some(message) = status {
                rejected = Some(message.to_string());
            }
            Ok(())
        });
        let mut options = PushOptions::new();
        options.remote_callbacks(callbacks);
        let refname = branch_ref(branch);
        remote
            .push(&[format!("{refname}:{refname}")], Some(&mut options))
            .map_err(|e| {
                if e.code() == git2::ErrorCode::NotFastForward {
                    rejected_error(branch, e.message())
                } else {
                    scrubbed(&e, &url, "the push failed".into())
                }
            })?;
    }
    match rejected {
        Some(message) => Err(rejected_error(branch, &message)),
        None => Ok(()),
    }
}

/// The usual git credentials: a user and token in the remote's URL (as CI systems
/// give them), the ssh agent for ssh URLs, the credential helper for https; given up
/// after three refusals.
fn with_credentials(callbacks: &mut RemoteCallbacks<'_>, config: git2::Config, remote_url: &str) {
    let mut attempts = 0;
    let in_url = url_credentials(remote_url);
    callbacks.credentials(move |url, username, allowed| {
        attempts += 1;
        if attempts > 3 {
            return Err(git2::Error::from_str("the credentials were refused"));
        }
        if let (Some((user, token)), true) = (
            &in_url,
            allowed.contains(CredentialType::USER_PASS_PLAINTEXT),
        ) {
            if attempts == 1 {
                return Cred::userpass_plaintext(user, token);
            }
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            return Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            return Cred::credential_helper(&config, url, username);
        }
        Cred::default()
    });
}

fn rejected_error(branch: &str, message: &str) -> git::Outcome {
    user(
        format!("the remote refused the new commit of `{branch}`: {message}"),
        Some(
            "the branch moved on the remote since kiln read it: fetch it and publish again".into(),
        ),
    )
}

/// Clones nothing: a bare repository in `dir` with `url` as `origin`, holding the
/// remote's `branch` when it has one.
pub fn fetch_remote(dir: &Path, url: &str, branch: &str) -> Result<Repository> {
    let repo = Repository::init_bare(dir)?;
    let mut remote = repo.remote("origin", url)?;
    let refname = branch_ref(branch);
    let mut callbacks = RemoteCallbacks::new();
    with_credentials(&mut callbacks, repo.config()?, url);
    let mut options = git2::FetchOptions::new();
    options.remote_callbacks(callbacks);
    remote
        .fetch(&[format!("+{refname}:{refname}")], Some(&mut options), None)
        .or_else(|e| {
            // A branch the remote does not have yet: kiln creates it.
            if e.message().contains("couldn't find remote ref") {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(|e| scrubbed(&e, url, format!("cannot fetch `{branch}` from the remote")))?;
    drop(remote);
    Ok(repo)
}

/// The user and password an `https://user:password@host/…` URL carries.
pub(super) fn url_credentials(url: &str) -> Option<(String, String)> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// A git error as an error of kiln's, without the credentials of `url`.
pub(super) fn scrubbed(e: &git2::Error, url: &str, context: String) -> git::Outcome {
    let mut message = e.message().replace(url, &without_credentials(url));
    if let Some((_, password)) = url_credentials(url).filter(|(_, p)| !p.is_empty()) {
        message = message.replace(&password, "***");
    }
    git::Outcome::Failed(anyhow::anyhow!(message).context(context))
}

/// A URL without the user and password it may carry.
pub fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority
                .rsplit_once('@')
                .map(|(_, h)| h)
                .unwrap_or(authority);
            if path.is_empty() && !rest.contains('/') {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => url.to_string(),
    }
}

/// Whether `--repo` names a remote repository rather than a local path.
pub fn is_url(repo: &str) -> bool {
    repo.contains("://") || (repo.contains('@') && repo.contains(':') && !Path::new(repo).exists())
}

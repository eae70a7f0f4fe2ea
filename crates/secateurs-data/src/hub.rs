//! Files of Hugging Face Hub datasets, by repository and path, through the `hf-hub`
//! crate: found in the local hub cache (`$HF_HOME/hub`, laid out as the Python
//! library lays it out) or downloaded into it. Offline, a missing file is a clear
//! error asking for a local path instead.

use std::path::{Path, PathBuf};

use hf_hub::{Cache, Repo, RepoType};

use crate::Error;

/// A file of a dataset repository, e.g. `allenai/c4` + `en/c4-train.00000-of-01024.json.gz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubFile {
    /// `owner/name`.
    pub repo: String,
    /// Path inside the repository.
    pub file: String,
    /// Branch, tag or commit (`main` unless told).
    pub revision: String,
}

impl HubFile {
    /// Parses `hf:OWNER/NAME/PATH[@REVISION]`; `None` when `text` does not start with `hf:`.
    pub fn parse(text: &str) -> Option<Result<Self, Error>> {
        let rest = text.strip_prefix("hf:")?;
        let (rest, revision) = rest.rsplit_once('@').unwrap_or((rest, "main"));
        let mut parts = rest.splitn(3, '/');
        Some(match (parts.next(), parts.next(), parts.next()) {
            (Some(owner), Some(name), Some(file)) if !owner.is_empty() && !name.is_empty() && !file.is_empty() => {
                Ok(Self { repo: format!("{owner}/{name}"), file: file.to_owned(), revision: revision.to_owned() })
            }
            _ => Err(Error::Read { path: text.into(), message: "expected hf:OWNER/NAME/PATH/IN/REPO[@REVISION]".into() }),
        })
    }

    /// A stable name for fingerprints: `hf:repo/file@revision`.
    pub fn name(&self) -> String {
        format!("hf:{}/{}@{}", self.repo, self.file, self.revision)
    }

    fn repo(&self) -> Repo {
        Repo::with_revision(self.repo.clone(), RepoType::Dataset, self.revision.clone())
    }

    /// The local path of the file: from the hub cache at `cache_dir` (or the default
    /// cache), else downloaded into it from `endpoint` (or huggingface.co).
    pub fn resolve(&self, cache_dir: Option<&Path>, endpoint: Option<&str>) -> Result<PathBuf, Error> {
        let cache = cache_dir.map_or_else(Cache::from_env, |dir| Cache::new(dir.to_owned()));
        if let Some(path) = cache.repo(self.repo()).get(&self.file) {
            return Ok(path);
        }
        let unreachable = |message: String| Error::HubUnreachable { repo: self.repo.clone(), file: self.file.clone(), message };
        let mut builder = hf_hub::api::sync::ApiBuilder::from_cache(cache).with_progress(true).with_retries(0);
        if let Some(endpoint) = endpoint {
            builder = builder.with_endpoint(endpoint.to_owned());
        }
        let api = builder.build().map_err(|e| unreachable(e.to_string()))?;
        api.repo(self.repo()).get(&self.file).map_err(|e| unreachable(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_repository_path_and_revision() {
        let f = HubFile::parse("hf:allenai/c4/en/c4-train.00000-of-01024.json.gz").expect("hf:").expect("valid");
        assert_eq!((f.repo.as_str(), f.file.as_str(), f.revision.as_str()), ("allenai/c4", "en/c4-train.00000-of-01024.json.gz", "main"));
        let f = HubFile::parse("hf:Salesforce/wikitext/wikitext-2-raw-v1/test-00000-of-00001.parquet@abc").expect("hf:").expect("valid");
        assert_eq!((f.file.as_str(), f.revision.as_str()), ("wikitext-2-raw-v1/test-00000-of-00001.parquet", "abc"));
        assert!(HubFile::parse("corpus.txt").is_none());
        assert!(HubFile::parse("hf:allenai/c4").expect("hf:").is_err());
    }
}

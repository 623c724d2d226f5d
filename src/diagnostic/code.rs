//! Stable diagnostic codes: one per kind of problem, shown as `error[K0412]: …` and as
//! `code` in JSON. A code never changes meaning and is never reused; docs/diagnostics.md
//! lists every one (a test holds the list equal to this table).
//!
//! The hundreds say where the problem is found: K01 the workspace's files, K02 YAML,
//! K03 an input's schema, K04 the workspace as a whole, K045 pipelines, K05 merged
//! values, K06 templates and what they write, K07 rendered objects, K08 the output
//! folder, K09 a command's arguments.

use serde::Serialize;

macro_rules! codes {
    ($($variant:ident $code:literal $name:literal $summary:literal,)*) => {
        /// A kind of problem kiln reports.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $summary] $variant,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The code as shown: `K0412`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// A short name in kebab case: `unknown-flag`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// What the problem is, in a few words.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }
        }
    };
}

codes! {
    NotAWorkspace "K0101" "not-a-workspace" "the folder has no `kiln.yaml`",
    OutsideWorkspace "K0102" "outside-workspace" "a path leads outside the workspace through a symlink",
    UnreadableFile "K0103" "unreadable-file" "a file or folder cannot be read",
    NotAFolder "K0104" "not-a-folder" "an input folder is a file",
    NotARegularFile "K0105" "not-a-regular-file" "an input is a FIFO, device, socket or folder",
    FileTooLarge "K0106" "file-too-large" "an input file is over the size limit",
    NotUtf8 "K0107" "not-utf8" "an input file is not UTF-8",
    IgnoredFile "K0108" "ignored-file" "a file in an input folder is not an input",
    FolderForFile "K0109" "folder-for-file" "a folder is where kiln expects a file",
    SymlinkedFolder "K0110" "symlinked-folder" "a symlinked folder is not followed",
    NoBlueprint "K0111" "no-blueprint" "a pipeline folder has no `blueprint.json`",
    UnreadableCharacter "K0201" "unreadable-character" "a file holds a character kiln refuses",
    Yaml "K0202" "yaml" "YAML that cannot be read, or that YAML 1.1 and 1.2 read differently",
    MultipleDocuments "K0203" "multiple-documents" "a file holds more than one YAML document",
    NotAMapping "K0204" "not-a-mapping" "a file's top level is not a mapping",
    InputSchema "K0301" "input-schema" "an input does not fit its JSON Schema",
    InvalidInput "K0302" "invalid-input" "an input fits its schema but cannot be used as one",
    NoCatalog "K0401" "no-catalog" "the workspace has no platform catalog",
    UndeclaredEnvironment "K0402" "undeclared-environment" "an overlay for an environment `kiln.yaml` does not declare",
    DuplicateTenant "K0403" "duplicate-tenant" "two specs for one tenant",
    ReservedNamespace "K0404" "reserved-namespace" "a tenant, extra namespace or pipeline claims a reserved namespace",
    NoTenants "K0405" "no-tenants" "the workspace has no tenants and no pipelines",
    UnsupportedKubernetesVersion "K0406" "unsupported-kubernetes-version" "kiln has no schemas for `kubernetesVersion`",
    OutputDir "K0407" "output-dir" "`outputDir` is not a plain path, or overlaps an input",
    RepoPath "K0408" "repo-path" "`repoPath` is not a plain path",
    TenantInSubfolder "K0409" "tenant-in-subfolder" "a tenant spec in a subfolder of `tenants/`",
    InvalidName "K0410" "invalid-name" "a tenant or pipeline name that is not a valid Kubernetes name",
    UnknownEnvironment "K0411" "unknown-environment" "a tenant names an environment `kiln.yaml` does not declare",
    UnknownFlag "K0412" "unknown-flag" "a value for a flag the catalog does not have",
    UnknownService "K0413" "unknown-service" "a value for a service the catalog does not have",
    FixedReplicas "K0414" "fixed-replicas" "`replicas` for a service with `fixedReplicas`",
    OtherWorkloadKind "K0415" "other-workload-kind" "a value for a workload kind the service is not",
    NoAutoscaling "K0416" "no-autoscaling" "autoscaling for a service that may not autoscale",
    UnusedCredential "K0417" "unused-credential" "a credential no service reads",
    CatalogService "K0418" "catalog-service" "a catalog service that contradicts itself or the catalog",
    NoProbes "K0419" "no-probes" "a long-lived service with ports and no probes",
    MultipleGateways "K0420" "multiple-gateways" "more than one gateway in the catalog",
    UnknownRequirement "K0421" "unknown-requirement" "a flag requires something that is not a flag",
    DependencyCycle "K0422" "dependency-cycle" "services depend on each other in a cycle",
    PlaintextCredential "K0423" "plaintext-credential" "a credential written in an input",
    InvalidCrd "K0424" "invalid-crd" "a file of `crds/` that kiln cannot use",
    BuiltinKindCrd "K0425" "builtin-kind-crd" "a CRD declares a kind Kubernetes has built in",
    UnknownNode "K0450" "unknown-node" "settings for a node the blueprint does not have",
    LegacyBlueprint "K0451" "legacy-blueprint" "a blueprint in the pre-2018 Acumos format",
    DuplicateNode "K0452" "duplicate-node" "two nodes with one name",
    NodeType "K0453" "node-type" "a node with no or an unknown `node_type`",
    NoImage "K0454" "no-image" "a node that runs and has no image",
    SharedFolderPath "K0455" "shared-folder-path" "a SharedFolder that is not a plain absolute path",
    BrokenEdge "K0456" "broken-edge" "a connection to no node, to a SharedFolder, or to no operation",
    UnmountedSharedFolder "K0457" "unmounted-shared-folder" "a SharedFolder no node mounts",
    NodeName "K0458" "node-name" "a node whose Kubernetes name is taken",
    MissingProto "K0459" "missing-proto" "a node with no `.proto`",
    UnusedProto "K0460" "unused-proto" "a `.proto` for no node",
    NoEffect "K0501" "no-effect" "a value that is set and has no effect",
    TenantSecretStore "K0502" "tenant-secret-store" "a tenant sets `secretStore`",
    RemoteKeyOutsideScope "K0503" "remote-key-outside-scope" "a secret's remote key outside the tenant's keys",
    FlagPrerequisite "K0504" "flag-prerequisite" "a flag is on without a flag it requires",
    NameTooLong "K0505" "name-too-long" "a name kiln makes would be over its limit",
    RemovedConfigKey "K0506" "removed-config-key" "a configuration key a service reads is removed",
    MissingValue "K0507" "missing-value" "a service needs a value no layer sets",
    PipelineSettings "K0508" "pipeline-settings" "a pipeline setting kiln cannot use",
    TooLarge "K0509" "too-large" "what kiln would write is over a size limit",
    TemplateError "K0601" "template-error" "a template that does not render",
    TemplateOutput "K0602" "template-output" "a template writes something that is not YAML objects",
    ObjectIdentity "K0603" "object-identity" "a rendered object without a valid kind, name or namespace",
    DuplicateApplication "K0604" "duplicate-application" "two parts of the build would share an Argo CD application or project",
    ObjectSchema "K0701" "object-schema" "a rendered object does not fit the schema of its kind",
    NoSchema "K0702" "no-schema" "kiln has no usable schema for a rendered kind",
    ObjectMetadata "K0703" "object-metadata" "a name, label or annotation the API server refuses",
    PodSpec "K0704" "pod-spec" "a pod template the API server or kubelet refuses",
    Storage "K0705" "storage" "a claim the API server refuses",
    ServiceSpec "K0706" "service-spec" "a Service the API server refuses, or that selects no port",
    Selector "K0707" "selector" "a workload whose selector does not match its pods",
    References "K0708" "references" "an object that points at another that does not exist or fit",
    Security "K0709" "security" "a rendered object weaker than kiln's security posture",
    LiteralSecret "K0710" "literal-secret" "a Secret with literal data, or a credential in an object",
    SecretScope "K0711" "secret-scope" "an ExternalSecret that reads beyond its tenant",
    ForeignNamespace "K0712" "foreign-namespace" "an object in a namespace its tenant does not own",
    DuplicateObject "K0713" "duplicate-object" "two objects with one identity or one output path",
    OutputLink "K0801" "output-link" "a symbolic link in the way of the output",
    OutputNotAFolder "K0802" "output-not-a-folder" "a file where the output needs a folder",
    ForeignFile "K0803" "foreign-file" "a file kiln did not write, in the way of the build",
    UnknownTenant "K0901" "unknown-tenant" "`explain` of a tenant the workspace does not have",
    NotAPointer "K0902" "not-a-pointer" "an argument that is not a JSON pointer",
    NoValue "K0903" "no-value" "`explain` of a pointer with no value",
    UnknownOutput "K0904" "unknown-output" "`explain` of an output file or object that is not built",
    NoField "K0905" "no-field" "`explain` of a field the object does not have",
    Git "K0906" "git" "a git ref, repository or branch kiln cannot use",
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let codes: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let names: BTreeSet<&str> = Code::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(codes.len(), Code::ALL.len());
        assert_eq!(names.len(), Code::ALL.len());
        for c in Code::ALL {
            let s = c.as_str();
            assert!(s.len() == 5 && s.starts_with('K'), "{s}");
            assert!(s.bytes().skip(1).all(|b| b.is_ascii_digit()), "{s}");
            assert!(c
                .name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
        let sorted: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let mut expected = sorted.clone();
        expected.sort_unstable();
        assert_eq!(sorted, expected, "the table is in code order");
    }

    /// docs/diagnostics.md lists every code, with its name and summary, in a table of
    /// rows `| `K0101` | `not-a-workspace` | summary |`.
    #[test]
    fn the_docs_list_every_code() {
        let docs = include_str!("../../docs/diagnostics.md");
        let rows: Vec<(String, String, String)> = docs
            .lines()
            .filter(|l| l.starts_with("| `K"))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
                let cell = |i: usize| cells.get(i).copied().unwrap_or("").to_string();
                (cell(0), cell(1), cell(2))
            })
            .collect();
        let table: Vec<(String, String, String)> = Code::ALL
            .iter()
            .map(|c| {
                (
                    format!("`{}`", c.as_str()),
                    format!("`{}`", c.name()),
                    c.summary().to_string(),
                )
            })
            .collect();
        assert_eq!(rows, table);
    }
}

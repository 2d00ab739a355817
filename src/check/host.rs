//! Whose rules `check` applies (`--target`): the 2023 plugin hosts, GPT Actions, or the hosts
//! that read an MCP server today (a ChatGPT app, Claude's connectors, any MCP client).

use crate::openapi::Target;

/// The host a check speaks for. Its rules, limits and severities follow what that host does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckTarget {
    /// A ChatGPT plugin (manifest + spec, 200/200 description limits); `/mcp` is tried too.
    Plugins,
    /// A GPT Action (the spec alone, 300/700 description limits); `/mcp` is tried too.
    Actions,
    /// A ChatGPT app (an MCP server): what app review refuses is an error.
    ChatgptApp,
    /// A Claude custom connector (an MCP server).
    Claude,
    /// Any MCP client: the MCP specification's rules.
    Mcp,
}

impl CheckTarget {
    /// The spec rules' limits for this target: GPT Actions' for `actions`, the plugin hosts'
    /// otherwise.
    pub fn spec_target(self) -> Target {
        match self {
            CheckTarget::Actions => Target::Actions,
            _ => Target::Plugins,
        }
    }

    /// Whether this target is a host that reads MCP servers (not manifests or specs).
    pub fn is_mcp_host(self) -> bool {
        matches!(
            self,
            CheckTarget::ChatgptApp | CheckTarget::Claude | CheckTarget::Mcp
        )
    }

    /// How findings and `--target` name it.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckTarget::Plugins => "plugins",
            CheckTarget::Actions => "actions",
            CheckTarget::ChatgptApp => "chatgpt-app",
            CheckTarget::Claude => "claude",
            CheckTarget::Mcp => "mcp",
        }
    }

    /// The host's name in a finding's message.
    pub fn host_name(self) -> &'static str {
        match self {
            CheckTarget::Plugins => "the plugin host",
            CheckTarget::Actions => "GPT Actions",
            CheckTarget::ChatgptApp => "ChatGPT",
            CheckTarget::Claude => "Claude",
            CheckTarget::Mcp => "MCP clients",
        }
    }
}

impl From<Target> for CheckTarget {
    fn from(target: Target) -> CheckTarget {
        match target {
            Target::Plugins => CheckTarget::Plugins,
            Target::Actions => CheckTarget::Actions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_target_parses_from_its_own_name() {
        for target in CheckTarget::value_variants() {
            assert_eq!(
                CheckTarget::from_str(target.as_str(), false),
                Ok(*target),
                "{}",
                target.as_str()
            );
        }
        assert_eq!(CheckTarget::Actions.spec_target(), Target::Actions);
        assert_eq!(CheckTarget::ChatgptApp.spec_target(), Target::Plugins);
    }
}

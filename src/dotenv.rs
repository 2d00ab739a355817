//! Reading the keys of a `.env` file, and extending a kept one with what a new project needs.
//!
//! `new --force` keeps an existing `.env` (it holds the user's secrets, maybe edited), but a
//! project regenerated with another auth type needs other variables. [`extend`] keeps every
//! line of the old file as it is and appends the variables of the freshly rendered one that the
//! old one lacks, each with the comment lines that go with it. Pure: no I/O.

/// The keys a `.env` text assigns, in order, each once.
///
/// Reads what dotenv readers accept: blank lines and `#` comments are skipped, `export KEY=`
/// counts as `KEY`, spaces around the key are allowed, and a quoted value may span lines (its
/// inner lines are not assignments).
pub fn keys(text: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for line in lines(text) {
        if let Line::Assignment(key) = line
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }
    keys
}

/// What [`extend`] adds to a kept `.env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The kept text with the new lines appended.
    pub text: String,
    /// The keys added, in the order of the fresh file.
    pub added: Vec<String>,
}

/// The kept `existing` text with every variable of `fresh` it lacks appended (with the comment
/// lines just above it in `fresh`); `None` when it lacks none.
pub fn extend(existing: &str, fresh: &str) -> Option<Extension> {
    let have = keys(existing);
    let mut added: Vec<String> = Vec::new();
    let mut appended = String::new();
    // A block is a run of comment lines followed by a run of assignments (a blank line ends
    // it): the comments explain the assignments under them.
    let mut comments: Vec<&str> = Vec::new();
    let mut block_started = false;
    let mut value_lines = false;
    for (raw, line) in text_lines(fresh).zip(lines(fresh)) {
        match line {
            Line::Blank => {
                comments.clear();
                block_started = false;
                value_lines = false;
            }
            Line::Comment => {
                if block_started {
                    // Comments after assignments start the next block.
                    comments.clear();
                    block_started = false;
                }
                comments.push(raw);
                value_lines = false;
            }
            Line::Assignment(key) => {
                block_started = true;
                value_lines = false;
                if have.contains(&key) || added.contains(&key) {
                    continue;
                }
                for comment in comments.drain(..) {
                    appended.push_str(comment);
                    appended.push('\n');
                }
                appended.push_str(raw);
                appended.push('\n');
                added.push(key);
                value_lines = true;
            }
            Line::Continuation => {
                if value_lines {
                    appended.push_str(raw);
                    appended.push('\n');
                }
            }
            Line::Other => {}
        }
    }
    if added.is_empty() {
        return None;
    }
    let mut text = existing.to_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(
        "\n# Added by `ai-plugin new --force`: the regenerated project needs these, and this \
         file lacked them.\n",
    );
    text.push_str(&appended);
    Some(Extension { text, added })
}

#[derive(Debug, PartialEq, Eq)]
enum Line {
    Blank,
    Comment,
    Assignment(String),
    /// A line inside a quoted value that began on an earlier line.
    Continuation,
    /// Anything else (not valid dotenv): ignored.
    Other,
}

/// The lines of `text` without their line breaks (`\n` or `\r\n`).
fn text_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
}

/// Each line of `text`, classified.
fn lines(text: &str) -> impl Iterator<Item = Line> + '_ {
    let mut open_quote: Option<char> = None;
    text_lines(text).map(move |line| {
        if let Some(quote) = open_quote {
            if closes(line, quote) {
                open_quote = None;
            }
            return Line::Continuation;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            return Line::Blank;
        }
        if trimmed.starts_with('#') {
            return Line::Comment;
        }
        let rest = trimmed
            .strip_prefix("export")
            .filter(|r| r.starts_with([' ', '\t']))
            .map_or(trimmed, str::trim_start);
        let Some((key, value)) = rest.split_once('=') else {
            return Line::Other;
        };
        let key = key.trim_end();
        let valid = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Line::Other;
        }
        let value = value.trim_start();
        if let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'')
            && !closes(&value[1..], quote)
        {
            open_quote = Some(quote);
        }
        Line::Assignment(key.to_owned())
    })
}

/// Whether `text` holds the closing `quote` (a `"` may be escaped with `\`).
fn closes(text: &str, quote: char) -> bool {
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_as_dotenv_readers_read_them() {
        let text = "# a comment\n\
                    \n\
                    PLAIN=1\n\
                    export EXPORTED=2\n\
                    \x20 SPACED = 3\n\
                    QUOTED=\"a # b\"\n\
                    SINGLE='x'\n\
                    MULTI=\"first\n\
                    NOT_A_KEY=inside the quoted value\n\
                    last\"\n\
                    # COMMENTED=4\n\
                    exportNOSPACE=5\n\
                    not valid\n\
                    9BAD=6\n\
                    PLAIN=again\n\
                    WINDOWS=1\r\n";
        assert_eq!(
            keys(text),
            [
                "PLAIN",
                "EXPORTED",
                "SPACED",
                "QUOTED",
                "SINGLE",
                "MULTI",
                "exportNOSPACE",
                "WINDOWS"
            ]
        );
    }

    const OAUTH: &str = "# Settings and secrets for P.\n\
        # Git-ignored.\n\
        \n\
        # The OAuth client id and secret: give both to ChatGPT.\n\
        OAUTH_CLIENT_ID=p\n\
        OAUTH_CLIENT_SECRET=new-secret\n\
        # ChatGPT shows a verification token: put it\n\
        # here.\n\
        OPENAI_VERIFICATION_TOKEN=new-verification\n\
        # Who may sign in.\n\
        OAUTH_USERS=demo:new\n";

    #[test]
    fn a_kept_env_gets_the_missing_variables_with_their_comments() {
        let existing =
            "# mine\nexport SERVICE_AUTH_TOKEN=\"old\"\nOPENAI_VERIFICATION_TOKEN=pasted";
        let extension = extend(existing, OAUTH).unwrap();
        assert_eq!(
            extension.added,
            ["OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET", "OAUTH_USERS"]
        );
        assert_eq!(
            extension.text,
            "# mine\nexport SERVICE_AUTH_TOKEN=\"old\"\nOPENAI_VERIFICATION_TOKEN=pasted\n\
             \n# Added by `ai-plugin new --force`: the regenerated project needs these, and this \
             file lacked them.\n\
             # The OAuth client id and secret: give both to ChatGPT.\n\
             OAUTH_CLIENT_ID=p\n\
             OAUTH_CLIENT_SECRET=new-secret\n\
             # Who may sign in.\n\
             OAUTH_USERS=demo:new\n",
            "every old line is kept as it is; the pasted verification token is not replaced"
        );
        assert_eq!(
            keys(&extension.text),
            [
                "SERVICE_AUTH_TOKEN",
                "OPENAI_VERIFICATION_TOKEN",
                "OAUTH_CLIENT_ID",
                "OAUTH_CLIENT_SECRET",
                "OAUTH_USERS"
            ]
        );
    }

    #[test]
    fn a_variable_comes_with_the_comment_of_its_block() {
        let existing = "OAUTH_CLIENT_ID=mine\nOPENAI_VERIFICATION_TOKEN=x\nOAUTH_USERS=a:b\n";
        let extension = extend(existing, OAUTH).unwrap();
        assert_eq!(extension.added, ["OAUTH_CLIENT_SECRET"]);
        assert!(
            extension.text.ends_with(
                "them.\n# The OAuth client id and secret: give both to ChatGPT.\n\
                 OAUTH_CLIENT_SECRET=new-secret\n"
            ),
            "{}",
            extension.text
        );
    }

    #[test]
    fn nothing_is_added_when_nothing_is_missing() {
        assert_eq!(extend(OAUTH, OAUTH), None);
        assert_eq!(extend("ANY=1\n", "# only comments\n"), None);
    }

    #[test]
    fn a_multi_line_value_is_appended_whole() {
        let fresh = "# A key.\nPEM=\"line one\nline two\"\nNEXT=1\n";
        let extension = extend("NEXT=0\n", fresh).unwrap();
        assert_eq!(extension.added, ["PEM"]);
        assert!(
            extension
                .text
                .ends_with("# A key.\nPEM=\"line one\nline two\"\n"),
            "{}",
            extension.text
        );
    }
}

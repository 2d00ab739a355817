//! A template's own questions (`[[variables]]` in `template.toml`): their declarations, the
//! rule each value must follow, their defaults, and asking for them.
//!
//! Values come from `--define NAME=VALUE`, the `[variables]` table of an answers file, the
//! prompt, or the default (under `--yes`, or when nobody can be asked and the variable is not
//! required). They are asked after the plugin's own questions, in declaration order, so a
//! default may use the plugin answers and the variables before it.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::prompt::{Choice, PromptError, Prompter};
use crate::question::{AnswersError, Fill, Given, Invalid, Question, Source};

/// The values of a template's variables, in declaration order.
pub type Values = serde_json::Map<String, serde_json::Value>;

/// The type of a variable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Text, optionally matching a pattern.
    #[default]
    String,
    /// Yes or no.
    Bool,
    /// One of a list of strings.
    Choice,
    /// A whole number.
    Integer,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::String => "string",
            Kind::Bool => "bool",
            Kind::Choice => "choice",
            Kind::Integer => "integer",
        })
    }
}

/// A value as TOML writes it: in a default, or in an answers file's `[variables]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Literal {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Integer(i64),
    /// Text (in a default, it may use `{{answers}}`).
    Text(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Integer(n) => write!(f, "{n}"),
            Literal::Text(s) => f.write_str(s),
        }
    }
}

impl Literal {
    /// The TOML form of a resolved value.
    pub fn from_value(value: &serde_json::Value) -> Literal {
        match value {
            serde_json::Value::Bool(b) => Literal::Bool(*b),
            serde_json::Value::Number(n) if n.is_i64() => {
                Literal::Integer(n.as_i64().expect("checked"))
            }
            serde_json::Value::String(s) => Literal::Text(s.clone()),
            other => Literal::Text(other.to_string()),
        }
    }
}

/// One `[[variables]]` entry of `template.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// The name templates use (`{{course}}`) and `--define` takes.
    pub name: String,
    /// The question (default: the name).
    #[serde(default)]
    pub prompt: Option<String>,
    /// The type (default: string).
    #[serde(default, rename = "type")]
    pub kind: Kind,
    /// The default; text may use the plugin answers and earlier variables
    /// (`"{{kebab_case name_for_model}}-api"`).
    #[serde(default)]
    pub default: Option<Literal>,
    /// The choices of a `choice` variable.
    #[serde(default)]
    pub choices: Vec<String>,
    /// A regex the whole value must match (string variables).
    #[serde(default)]
    pub pattern: Option<String>,
    /// What to tell a person whose value does not match the pattern.
    #[serde(default)]
    pub pattern_message: Option<String>,
    /// Whether a value must be given: without a terminal, a missing required variable is an
    /// error rather than its default, and a required string may not be empty.
    #[serde(default)]
    pub required: bool,
}

/// Compiles a variable's pattern so that it must match the whole value.
pub fn compile_pattern(pattern: &str) -> Result<regex_lite::Regex, String> {
    regex_lite::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| format!("the pattern is not a valid regex: {e}"))
}

impl Variable {
    /// The question shown at the prompt.
    pub fn question(&self) -> &str {
        self.prompt.as_deref().unwrap_or(&self.name)
    }

    /// The default, if it is a handlebars template (it holds `{{`).
    pub fn default_template(&self) -> Option<&str> {
        match &self.default {
            Some(Literal::Text(text)) if text.contains("{{") => Some(text),
            _ => None,
        }
    }

    /// What is wrong with this declaration on its own, by the key it is about.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let name = &self.name;
        let mut problems = Vec::new();
        if !crate::names::is_identifier(name) {
            problems.push((
                "name",
                format!(
                    "`{name}` is not a variable name: use letters, digits and _, not starting \
                     with a digit"
                ),
            ));
        }
        match self.kind {
            Kind::Choice if self.choices.is_empty() => {
                problems.push(("name", format!("`{name}` is a choice but has no `choices`")));
            }
            Kind::Choice => {
                for (i, choice) in self.choices.iter().enumerate() {
                    if self.choices[..i].contains(choice) {
                        problems.push((
                            "choices",
                            format!("`{name}`: the choice `{choice}` is listed twice"),
                        ));
                    }
                }
            }
            _ if !self.choices.is_empty() => problems.push((
                "choices",
                format!(
                    "`{name}` is a {}; only a `choice` variable has `choices`",
                    self.kind
                ),
            )),
            _ => {}
        }
        match (&self.pattern, self.kind) {
            (Some(pattern), Kind::String) => {
                if let Err(e) = compile_pattern(pattern) {
                    problems.push(("pattern", format!("`{name}`: {e}")));
                }
            }
            (Some(_), kind) => problems.push((
                "pattern",
                format!("`{name}` is a {kind}; only a string variable has a `pattern`"),
            )),
            (None, _) if self.pattern_message.is_some() => problems.push((
                "pattern_message",
                format!("`{name}` has a `pattern_message` but no `pattern`"),
            )),
            (None, _) => {}
        }
        match (&self.default, self.kind) {
            (None, _) => {}
            (Some(Literal::Text(_)), _) if self.default_template().is_some() => {}
            (Some(Literal::Bool(_)), Kind::Bool) | (Some(Literal::Integer(_)), Kind::Integer) => {}
            (Some(Literal::Text(text)), _) => {
                let pattern = self
                    .pattern
                    .as_deref()
                    .and_then(|p| compile_pattern(p).ok());
                if let Err(e) = self.parse(text, pattern.as_ref()) {
                    problems.push(("default", format!("the default does not fit: {e}")));
                }
            }
            (Some(other), kind) => problems.push((
                "default",
                format!("`{name}` is a {kind}, and its default `{other}` is not"),
            )),
        }
        problems
    }

    /// The value of `raw` (as typed or given) if it follows this variable's rule.
    pub fn parse(
        &self,
        raw: &str,
        pattern: Option<&regex_lite::Regex>,
    ) -> Result<serde_json::Value, String> {
        let name = &self.name;
        match self.kind {
            Kind::String => {
                if raw.trim().is_empty() {
                    // Empty is how an optional string is left out; the pattern is for values.
                    return if self.required {
                        Err(format!("{name} must not be empty"))
                    } else {
                        Ok(serde_json::Value::from(raw))
                    };
                }
                if let Some(regex) = pattern
                    && !regex.is_match(raw)
                {
                    return Err(match &self.pattern_message {
                        Some(message) => format!("{name}: {message} (got `{raw}`)"),
                        None => format!(
                            "{name} must match the pattern `{}` (`{raw}` does not)",
                            self.pattern.as_deref().unwrap_or_default()
                        ),
                    });
                }
                Ok(serde_json::Value::from(raw))
            }
            Kind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" => Ok(serde_json::Value::Bool(true)),
                "false" | "no" | "n" => Ok(serde_json::Value::Bool(false)),
                _ => Err(format!(
                    "{name} must be true or false, yes or no (got `{raw}`)"
                )),
            },
            Kind::Integer => raw
                .trim()
                .parse::<i64>()
                .map(serde_json::Value::from)
                .map_err(|_| format!("{name} must be a whole number (got `{raw}`)")),
            Kind::Choice => {
                if self.choices.iter().any(|c| c == raw) {
                    Ok(serde_json::Value::from(raw))
                } else {
                    Err(format!(
                        "{name} must be one of: {} (got `{raw}`)",
                        self.choices.join(", ")
                    ))
                }
            }
        }
    }

    /// The default as text: the declared one rendered over `context`, or the type's own (empty,
    /// false, 0, the first choice).
    pub fn default_text(&self, context: &serde_json::Value) -> Result<String, String> {
        match &self.default {
            Some(Literal::Text(text)) if text.contains("{{") => {
                crate::chunk::refuse_too_deep(text)?;
                crate::escape_helpers::registry()
                    .render_template(text, context)
                    .map_err(|e| e.to_string())
            }
            Some(literal) => Ok(literal.to_string()),
            None => Ok(match self.kind {
                Kind::String => String::new(),
                Kind::Bool => "false".to_owned(),
                Kind::Integer => "0".to_owned(),
                Kind::Choice => self.choices.first().cloned().unwrap_or_default(),
            }),
        }
    }

    fn compiled_pattern(&self) -> Option<regex_lite::Regex> {
        // Checked when the template was loaded.
        self.pattern
            .as_deref()
            .and_then(|p| compile_pattern(p).ok())
    }
}

/// How a variable is named in messages: its `--define`, and its question.
pub fn question_of(variable: &Variable) -> Question {
    Question::Variable {
        name: variable.name.clone(),
        prompt: variable.question().to_owned(),
    }
}

/// What is wrong with the values given before anything is asked: names the template does not
/// declare, values that break their rule, and (without a terminal) required variables nobody
/// gave.
pub fn check_given(
    declared: &[Variable],
    given: &BTreeMap<String, Given>,
    fill: Fill,
) -> (Vec<Invalid>, Vec<Question>) {
    let mut invalid = Vec::new();
    for (name, value) in given {
        let reason = match declared.iter().find(|v| &v.name == name) {
            None if declared.is_empty() => {
                format!("the template declares no variables, so there is no `{name}`")
            }
            None => format!(
                "the template declares no variable `{name}`; it has: {}",
                declared
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(variable) => {
                match variable.parse(&value.value, variable.compiled_pattern().as_ref()) {
                    Ok(_) => continue,
                    Err(reason) => reason,
                }
            }
        };
        invalid.push(Invalid {
            question: Question::Variable {
                name: name.clone(),
                prompt: String::new(),
            },
            source: value.source.clone(),
            reason,
        });
    }
    let mut missing = Vec::new();
    for variable in declared
        .iter()
        .filter(|v| v.required && !given.contains_key(&v.name))
    {
        match fill {
            Fill::Nothing => missing.push(question_of(variable)),
            // --yes takes defaults, and there is none to take.
            Fill::Defaults if variable.default.is_none() => invalid.push(Invalid {
                question: question_of(variable),
                source: Source::Default(String::new()),
                reason: format!(
                    "{} is required and the template gives no default, so --yes cannot \
                     answer it; give it with --define or in the answers file's [variables]",
                    variable.name
                ),
            }),
            Fill::Defaults | Fill::Prompt => {}
        }
    }
    (invalid, missing)
}

/// The value of every variable: given, asked, or the default. `context` holds the plugin answers
/// (no secrets); each value joins it for the defaults after it.
pub fn resolve(
    declared: &[Variable],
    given: &BTreeMap<String, Given>,
    fill: Fill,
    prompter: &mut dyn Prompter,
    context: &serde_json::Value,
) -> Result<Values, AnswersError> {
    let mut context = context.clone();
    let mut values = Values::new();
    let mut invalid = Vec::new();
    for variable in declared {
        let pattern = variable.compiled_pattern();
        let value = if let Some(g) = given.get(&variable.name) {
            variable
                .parse(&g.value, pattern.as_ref())
                .expect("given values were checked first")
        } else {
            let default =
                variable
                    .default_text(&context)
                    .map_err(|message| AnswersError::Default {
                        name: variable.name.clone(),
                        message,
                    })?;
            match fill {
                Fill::Prompt => ask(variable, &default, pattern.as_ref(), prompter)?,
                Fill::Defaults | Fill::Nothing => {
                    match variable.parse(&default, pattern.as_ref()) {
                        Ok(value) => value,
                        Err(reason) => {
                            invalid.push(Invalid {
                                question: question_of(variable),
                                source: Source::Default(default),
                                reason,
                            });
                            continue;
                        }
                    }
                }
            }
        };
        if let serde_json::Value::Object(map) = &mut context {
            map.insert(variable.name.clone(), value.clone());
        }
        values.insert(variable.name.clone(), value);
    }
    if invalid.is_empty() {
        Ok(values)
    } else {
        Err(AnswersError::Rejected {
            invalid,
            missing: Vec::new(),
        })
    }
}

fn ask(
    variable: &Variable,
    default: &str,
    pattern: Option<&regex_lite::Regex>,
    prompter: &mut dyn Prompter,
) -> Result<serde_json::Value, PromptError> {
    let question = variable.question();
    match variable.kind {
        Kind::Bool => {
            let choices = [
                Choice {
                    name: "yes",
                    explanation: "",
                },
                Choice {
                    name: "no",
                    explanation: "",
                },
            ];
            let default_index =
                usize::from(!matches!(variable.parse(default, None), Ok(v) if v == true));
            let picked = prompter.select(question, &choices, default_index)?;
            Ok(serde_json::Value::Bool(picked == 0))
        }
        Kind::Choice => {
            let choices: Vec<Choice<'_>> = variable
                .choices
                .iter()
                .map(|c| Choice {
                    name: c,
                    explanation: "",
                })
                .collect();
            let default_index = variable
                .choices
                .iter()
                .position(|c| c == default)
                .unwrap_or(0);
            let picked = prompter.select(question, &choices, default_index)?;
            Ok(serde_json::Value::from(variable.choices[picked].as_str()))
        }
        Kind::String | Kind::Integer => {
            let typed = prompter.input(question, default, &|value| {
                variable.parse(value, pattern).map(drop)
            })?;
            Ok(variable
                .parse(&typed, pattern)
                .expect("the prompt accepted it"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::{Exchange, ScriptedPrompter};

    fn variables(toml_text: &str) -> Vec<Variable> {
        #[derive(Deserialize)]
        struct Doc {
            variables: Vec<Variable>,
        }
        toml::from_str::<Doc>(toml_text).unwrap().variables
    }

    const COURSE: &str = r#"
        [[variables]]
        name = "course"
        prompt = "Course code"
        pattern = "[A-Z]{2,4}[0-9]{3}"
        pattern_message = "use a course code like CS101"
        required = true
        default = "CS101"

        [[variables]]
        name = "package"
        default = "{{snake_case name_for_model}}_{{kebab_case course}}"

        [[variables]]
        name = "docker"
        type = "bool"
        default = true

        [[variables]]
        name = "database"
        type = "choice"
        choices = ["sqlite", "postgres"]
        default = "postgres"

        [[variables]]
        name = "workers"
        type = "integer"
        default = "{{port}}"
    "#;

    fn context() -> serde_json::Value {
        serde_json::json!({"name_for_model": "todo_plugin", "port": 5003})
    }

    fn flag(value: &str) -> Given {
        Given {
            value: value.to_owned(),
            source: Source::Flag,
        }
    }

    #[test]
    fn values_follow_their_type_and_pattern() {
        let vars = variables(COURSE);
        let pattern = vars[0].compiled_pattern();
        assert_eq!(vars[0].parse("CS101", pattern.as_ref()), Ok("CS101".into()));
        assert_eq!(
            vars[0].parse("cs101", pattern.as_ref()),
            Err("course: use a course code like CS101 (got `cs101`)".to_owned())
        );
        assert_eq!(
            vars[0].parse("XCS101 ", pattern.as_ref()),
            Err("course: use a course code like CS101 (got `XCS101 `)".to_owned()),
            "the whole value must match"
        );
        assert_eq!(
            vars[0].parse("", None),
            Err("course must not be empty".to_owned())
        );
        assert_eq!(vars[2].parse("yes", None), Ok(true.into()));
        assert_eq!(vars[2].parse("False", None), Ok(false.into()));
        assert!(
            vars[2]
                .parse("maybe", None)
                .unwrap_err()
                .contains("true or false")
        );
        assert_eq!(vars[3].parse("sqlite", None), Ok("sqlite".into()));
        assert_eq!(
            vars[3].parse("mysql", None),
            Err("database must be one of: sqlite, postgres (got `mysql`)".to_owned())
        );
        assert_eq!(vars[4].parse(" 12 ", None), Ok(12.into()));
        assert_eq!(
            vars[4].parse("12.5", None),
            Err("workers must be a whole number (got `12.5`)".to_owned())
        );
    }

    #[test]
    fn a_pattern_without_a_message_says_the_pattern() {
        let vars = variables("[[variables]]\nname = 'v'\npattern = 'a+'\n");
        let pattern = vars[0].compiled_pattern();
        assert_eq!(
            vars[0].parse("b", pattern.as_ref()),
            Err("v must match the pattern `a+` (`b` does not)".to_owned())
        );
        assert_eq!(
            vars[0].parse("", pattern.as_ref()),
            Ok("".into()),
            "an optional string may be left empty"
        );
    }

    #[test]
    fn declarations_are_checked() {
        let vars = variables(
            r#"
            [[variables]]
            name = "9x"
            pattern = "("
            [[variables]]
            name = "b"
            type = "bool"
            default = "maybe"
            [[variables]]
            name = "n"
            type = "integer"
            default = true
            pattern = "1"
            [[variables]]
            name = "c"
            type = "choice"
            choices = ["a", "a"]
            default = "z"
            [[variables]]
            name = "m"
            pattern_message = "no pattern"
            choices = ["x"]
            "#,
        );
        let problems: Vec<Vec<(&str, String)>> = vars.iter().map(Variable::problems).collect();
        let keys = |i: usize| problems[i].iter().map(|p| p.0).collect::<Vec<_>>();
        assert_eq!(keys(0), ["name", "pattern"]);
        assert!(
            problems[0][1].1.contains("not a valid regex"),
            "{problems:?}"
        );
        assert_eq!(keys(1), ["default"]);
        assert_eq!(keys(2), ["pattern", "default"]);
        assert_eq!(keys(3), ["choices", "default"]);
        assert_eq!(keys(4), ["choices", "pattern_message"]);
        assert!(variables(COURSE).iter().all(|v| v.problems().is_empty()));
    }

    #[test]
    fn defaults_use_the_answers_and_earlier_variables() {
        let vars = variables(COURSE);
        let values = resolve(
            &vars,
            &BTreeMap::from([("course".to_owned(), flag("MA202"))]),
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &context(),
        )
        .unwrap();
        assert_eq!(
            serde_json::Value::Object(values),
            serde_json::json!({
                "course": "MA202",
                "package": "todo_plugin_ma202",
                "docker": true,
                "database": "postgres",
                "workers": 5003
            })
        );
    }

    #[test]
    fn the_prompt_offers_defaults_and_re_asks_with_the_pattern_message() {
        let vars = variables(COURSE);
        let mut prompter = ScriptedPrompter::new([
            Some("cs 101"),
            Some("PHYS100"),
            Some(""),
            Some("no"),
            Some("sqlite"),
            Some("many"),
            Some("8"),
        ]);
        let values = resolve(
            &vars,
            &BTreeMap::new(),
            Fill::Prompt,
            &mut prompter,
            &context(),
        )
        .unwrap();
        assert_eq!(values["package"], "todo_plugin_phys100");
        assert_eq!(values["docker"], false);
        assert_eq!(values["workers"], 8);
        assert_eq!(
            prompter.transcript[..4],
            [
                Exchange::Input {
                    question: "Course code".into(),
                    default: "CS101".into(),
                    typed: "cs 101".into()
                },
                Exchange::Rejected("course: use a course code like CS101 (got `cs 101`)".into()),
                Exchange::Input {
                    question: "Course code".into(),
                    default: "CS101".into(),
                    typed: "PHYS100".into()
                },
                Exchange::Input {
                    question: "package".into(),
                    default: "todo_plugin_phys100".into(),
                    typed: String::new()
                },
            ]
        );
        assert_eq!(
            prompter.transcript[4],
            Exchange::Select {
                question: "docker".into(),
                choices: vec!["yes".into(), "no".into()],
                default: 0,
                picked: 1
            }
        );
        assert_eq!(
            prompter.transcript[5],
            Exchange::Select {
                question: "database".into(),
                choices: vec!["sqlite".into(), "postgres".into()],
                default: 1,
                picked: 0
            }
        );
        assert_eq!(
            prompter.transcript[7],
            Exchange::Rejected("workers must be a whole number (got `many`)".into())
        );
    }

    #[test]
    fn given_values_are_checked_and_missing_required_ones_named() {
        let vars = variables(COURSE);
        let given = BTreeMap::from([
            ("docker".to_owned(), flag("perhaps")),
            ("colour".to_owned(), flag("red")),
        ]);
        let (invalid, missing) = check_given(&vars, &given, Fill::Nothing);
        let reasons: Vec<&str> = invalid.iter().map(|i| i.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "the template declares no variable `colour`; it has: course, package, docker, \
                 database, workers",
                "docker must be true or false, yes or no (got `perhaps`)",
            ]
        );
        assert_eq!(missing, [question_of(&vars[0])]);
        let (invalid, missing) = check_given(&vars, &BTreeMap::new(), Fill::Defaults);
        assert!(
            invalid.is_empty() && missing.is_empty(),
            "a required variable with a default is fine under --yes"
        );
        let mut no_default = vars.clone();
        no_default[0].default = None;
        let (invalid, missing) = check_given(&no_default, &BTreeMap::new(), Fill::Defaults);
        assert!(missing.is_empty());
        assert_eq!(
            invalid.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "--define course=VALUE: course is required and the template gives no default, so \
              --yes cannot answer it; give it with --define or in the answers file's [variables]"
            ]
        );
        let (_, missing) = check_given(&vars, &BTreeMap::new(), Fill::Prompt);
        assert!(missing.is_empty());
    }

    #[test]
    fn a_default_that_breaks_the_rule_is_refused_under_yes() {
        let vars = variables(
            "[[variables]]\nname = 'v'\npattern = '[a-z]+'\ndefault = '{{name_for_model}}!'\n",
        );
        let err = resolve(
            &vars,
            &BTreeMap::new(),
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &context(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("v must match the pattern `[a-z]+` (`todo_plugin!` does not)"),
            "{err}"
        );
    }
}

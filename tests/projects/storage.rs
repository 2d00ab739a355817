//! Storage end to end, for every stack. A crash test: concurrent adds over HTTP, `kill -9` of
//! the server at a random moment, a restart on the same `DATA_PATH`; every acknowledged add is
//! listed and the store opens, round after round. And PostgreSQL: an OAuth project's own tests
//! run on a real server (`DATABASE_URL`), then two instances share its database, as behind a
//! load balancer: an item added through one is listed by the other, an authorization code
//! issued by one is redeemed at the other, a consent page shown by one is answered at the
//! other, and refresh rotation and code replay hold across them. On SQLite, one server per
//! file: a second one on the same `DATA_PATH` stops at start and says why.

use crate::support;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ai_plugin::choices::{AuthType, Stack};
use serde_json::{Value, json};
use support::credentials::{
    REDIRECT_URI, answer, authorization, code_of, consent, first_pair, token_request,
};
use support::postgres::Postgres;
use support::{
    Client, Server, free_port, generate, oauth_project, readme_commands, require_toolchain,
    run_line_with,
};

/// Kill and restart rounds per stack.
const ROUNDS: usize = 3;
/// Clients adding at once.
const WRITERS: usize = 4;
/// Adds per user before a writer moves to the next user, below the limit of 100 per user.
const ADDS_PER_USER: usize = 50;
/// The latest moment of the kill, after the first acknowledged add.
const LATEST_KILL: Duration = Duration::from_millis(800);

/// A number that differs from run to run, for the moment of the kill.
fn random(below: u64) -> u64 {
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
        % below
}

/// What the writers of all rounds did: the adds the server acknowledged, by user, as
/// (id, text); and the texts sent, by user, acknowledged or not.
#[derive(Default)]
struct Ledger {
    acknowledged: BTreeMap<String, Vec<(String, String)>>,
    sent: BTreeMap<String, BTreeSet<String>>,
    /// Answers that were neither 201 nor a dropped connection.
    refused: Vec<String>,
}

impl Ledger {
    fn acknowledged_adds(&self) -> usize {
        self.acknowledged.values().map(Vec::len).sum()
    }
}

/// Adds items for users `{round}-{writer}-N` until `stop` or the connection fails (the server
/// was killed), recording each in `ledger`.
fn write(base: &str, round: usize, writer: usize, stop: &AtomicBool, ledger: &Mutex<Ledger>) {
    let client = Client::new(base, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    for n in 0.. {
        if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
            return;
        }
        let user = format!("r{round}-w{writer}-u{}", n / ADDS_PER_USER);
        let text = format!("round {round}, writer {writer}, add {n}");
        ledger
            .lock()
            .unwrap()
            .sent
            .entry(user.clone())
            .or_default()
            .insert(text.clone());
        let body = json!({ "todo": text }).to_string().into_bytes();
        let Ok(reply) = client.try_send_raw(
            "POST",
            &format!("/todos/{user}"),
            Some(body),
            &[("content-type", "application/json")],
        ) else {
            return;
        };
        let mut ledger = ledger.lock().unwrap();
        if reply.status != 201 {
            ledger.refused.push(format!(
                "POST /todos/{user} answered {}: {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            ));
            return;
        }
        let item = reply.json();
        ledger.acknowledged.entry(user).or_default().push((
            item["id"].as_str().unwrap_or_default().to_owned(),
            item["todo"].as_str().unwrap_or_default().to_owned(),
        ));
    }
}

/// Every acknowledged add is listed with its id and text; nothing is listed that was not sent,
/// or twice; per user at most one add whose answer the kill cut off; no id is used twice.
fn check_ledger(base: &str, ledger: &Ledger, when: &str) -> Vec<String> {
    let client = Client::new(base, None);
    let mut failures = Vec::new();
    let mut ids = HashSet::new();
    for (user, sent) in &ledger.sent {
        let reply = client.get(&format!("/todos/{user}"));
        if reply.status != 200 {
            failures.push(format!(
                "{when}: GET /todos/{user} answered {}",
                reply.status
            ));
            continue;
        }
        let listed: Vec<(String, String)> = reply.json()["todos"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|t| {
                let id = t["id"].as_str().unwrap_or_default().to_owned();
                (id, t["todo"].as_str().unwrap_or_default().to_owned())
            })
            .collect();
        let acknowledged = ledger.acknowledged.get(user).map_or(&[][..], Vec::as_slice);
        for item in acknowledged {
            if !listed.contains(item) {
                failures.push(format!(
                    "{when}: the acknowledged add {item:?} of {user} is lost"
                ));
            }
        }
        let mut texts = HashSet::new();
        for (id, text) in &listed {
            if !sent.contains(text) || !texts.insert(text) {
                failures.push(format!(
                    "{when}: {user} has {text:?}, which was not sent or is there twice"
                ));
            }
            if !ids.insert(id.clone()) {
                failures.push(format!("{when}: the id {id} is used twice ({user})"));
            }
        }
        if listed.len() > acknowledged.len() + 1 {
            failures.push(format!(
                "{when}: {user} has {} items for {} acknowledged adds",
                listed.len(),
                acknowledged.len()
            ));
        }
    }
    failures
}

/// An auth-none `stack` project named `name` in a new temporary folder (kept while the first
/// value lives): its folder, its README's run command, and the SQLite file to start it on.
fn sqlite_project(stack: &str, name: &str) -> (tempfile::TempDir, PathBuf, String, PathBuf) {
    require_toolchain(stack);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join(format!("{name}-{stack}"));
    generate(
        &project,
        &["--stack", stack, "--auth", "none", "--name-for-model", name],
    );
    let run = readme_commands(&project).remove(0);
    let data = tmp.path().join("data/plugin.db");
    (tmp, project, run, data)
}

/// The crash test for `stack`: rounds of concurrent adds and `kill -9`, each checked after the
/// restart that follows it.
fn survives_kill_9(stack: &str) {
    let (_tmp, project, run, data) = sqlite_project(stack, "crash");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut failures = Vec::new();
    // What each kill found, for the failure message.
    let mut kills = Vec::new();
    for round in 0..=ROUNDS {
        // The store opens after the previous round's kill and holds every acknowledged add.
        let server = Server::start(&project, &run, free_port(), &data);
        failures.extend(check_ledger(
            &server.base,
            &ledger.lock().unwrap(),
            &format!("{stack}, start {round}"),
        ));
        if round == ROUNDS || !failures.is_empty() {
            break;
        }
        let before = ledger.lock().unwrap().acknowledged_adds();
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (base, stop, ledger) = (server.base.clone(), stop.clone(), ledger.clone());
                std::thread::spawn(move || write(&base, round, writer, &stop, &ledger))
            })
            .collect();
        // The kill comes once adds are being acknowledged, at a random moment after that.
        let deadline = Instant::now() + Duration::from_secs(60);
        while ledger.lock().unwrap().acknowledged_adds() == before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let delay = random(u64::try_from(LATEST_KILL.as_millis()).unwrap());
        std::thread::sleep(Duration::from_millis(delay));
        let (status, stderr) = server.stop_with("KILL");
        stop.store(true, Ordering::SeqCst);
        for writer in writers {
            writer.join().unwrap();
        }
        let ledger = ledger.lock().unwrap();
        let acknowledged = ledger.acknowledged_adds() - before;
        kills.push(format!(
            "round {round}: killed ({status}) {delay} ms after the first acknowledged add, \
             {acknowledged} adds acknowledged; stderr: {stderr}"
        ));
        if acknowledged == 0 {
            failures.push(format!(
                "{stack}, round {round}: no add was acknowledged within 60 s"
            ));
        }
        failures.extend(ledger.refused.iter().map(|r| format!("{stack}: {r}")));
    }
    assert!(
        failures.is_empty(),
        "{}\n{} failures, the first 30:\n{}",
        kills.join("\n"),
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}

/// The texts of `user`'s list on an auth-none server.
fn texts_of(base: &str, user: &str) -> Vec<String> {
    let reply = Client::new(base, None).get(&format!("/todos/{user}"));
    assert_eq!(
        reply.status,
        200,
        "GET {base}/todos/{user}: {}",
        reply.text()
    );
    reply.json()["todos"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t["todo"].as_str().map(str::to_owned))
        .collect()
}

/// One server per SQLite file: a server answers listings from memory, which holds only while
/// no other server changes the file. A second server on the same `DATA_PATH` stops at start,
/// saying why and what to do instead; once the first has stopped, a server starts on the file
/// and lists what the first stored.
fn one_server_per_sqlite_file(stack: &str) {
    let (_tmp, project, run, data) = sqlite_project(stack, "single");
    let first = Server::start(&project, &run, free_port(), &data);
    assert!(texts_of(&first.base, "alice").is_empty());
    let added = Client::new(&first.base, None).send(
        "POST",
        "/todos/alice",
        Some(json!({ "todo": "buy milk" })),
        &[],
    );
    assert_eq!(added.status, 201, "{stack}: {}", added.text());
    match Server::try_start(&project, &run, free_port(), &data, &[]) {
        Ok(_second) => panic!("{stack}: a second server started on the SQLite file of the first"),
        Err((status, stderr)) => {
            assert!(!status.success(), "{stack}: {status}");
            for words in ["another server uses", "DATA_PATH", "DATABASE_URL"] {
                assert!(
                    stderr.contains(words),
                    "{stack}: the second server's error does not say {words:?}: {stderr}"
                );
            }
        }
    }
    assert_eq!(texts_of(&first.base, "alice"), ["buy milk"]);
    first.stop();
    let again = Server::start(&project, &run, free_port(), &data);
    assert_eq!(texts_of(&again.base, "alice"), ["buy milk"], "{stack}");
}

/// A PKCE pair (RFC 7636, appendix B).
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Signs in on `consent_base`'s consent page and answers it at `answer_base`, with PKCE if
/// `pkce`; the code.
fn sign_in(project: &Path, consent_base: &str, answer_base: &str, pkce: bool) -> String {
    let mut query = authorization(project, "shared");
    if pkce {
        query = format!("{query}&code_challenge={CHALLENGE}&code_challenge_method=S256");
    }
    let id = consent(consent_base, &query);
    let (user, password) = first_pair(project, "OAUTH_USERS");
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("request_id", &id)
        .append_pair("username", &user)
        .append_pair("password", &password)
        .append_pair("decision", "allow")
        .finish();
    let reply = answer(answer_base, &form);
    assert_eq!(
        reply.status,
        303,
        "the consent shown by {consent_base}, answered at {answer_base}: {}",
        reply.text()
    );
    code_of(&reply)
}

/// The token endpoint of `base` for `code` (with the PKCE `verifier`, if any): its answer's
/// status and body.
fn redeem(project: &Path, base: &str, code: &str, verifier: Option<&str>) -> (u16, Value) {
    let mut grant =
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI});
    if let Some(verifier) = verifier {
        grant["code_verifier"] = json!(verifier);
    }
    let reply = token_request(project, base, grant);
    (reply.status, reply.json())
}

/// `GET /todos` at `base` with `token`: the status and the texts.
fn list(base: &str, token: &str) -> (u16, Vec<String>) {
    let reply = Client::new(base, Some(token)).get("/todos");
    if reply.status != 200 {
        return (reply.status, Vec::new());
    }
    let texts = reply.json()["todos"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t["todo"].as_str().map(str::to_owned))
        .collect();
    (reply.status, texts)
}

fn add(base: &str, token: &str, text: &str) -> u16 {
    Client::new(base, Some(token))
        .send("POST", "/todos", Some(json!({ "todo": text })), &[])
        .status
}

/// The OAuth project for `stack`: its own tests on PostgreSQL, then two instances sharing a
/// database.
fn shares_postgresql(stack: &str) {
    let (tmp, project) = oauth_project(stack, &format!("shared-{stack}"), "shared", &[]);
    let postgres = Postgres::start();
    let commands = readme_commands(&project);
    // The project's own tests, as its README runs them, on PostgreSQL: each test makes its own
    // schema in this database.
    run_line_with(
        &project,
        &commands[1],
        &[("DATABASE_URL", &postgres.database())],
    );

    // Two instances behind one public address, as behind a load balancer: the same issuer and
    // resource, a different port each.
    let database = postgres.database();
    let port_a = free_port();
    let port_b = std::iter::repeat_with(free_port)
        .find(|&port| port != port_a)
        .unwrap();
    let public = format!("http://localhost:{port_a}");
    let env = [
        ("DATABASE_URL", database.as_str()),
        ("PUBLIC_URL", public.as_str()),
    ];
    let start = |port, data: &str| {
        Server::start_with(&project, &commands[0], port, &tmp.path().join(data), &env)
    };
    let a = start(port_a, "a.db");
    let b = start(port_b, "b.db");
    let (a, b) = (a.base.as_str(), b.base.as_str());
    let mut failures = Vec::new();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };

    // A code issued by A (consent page and answer) is redeemed at B.
    let code = sign_in(&project, a, a, false);
    let (status, tokens) = redeem(&project, b, &code, None);
    assert_eq!(
        status, 200,
        "{stack}: a code issued by A, redeemed at B: {tokens}"
    );
    let access = tokens["access_token"].as_str().unwrap_or_default();
    // Items: added through one, listed by the other, both ways.
    expect(
        add(a, access, "added through A") == 201,
        "adding through A".into(),
    );
    let (status, texts) = list(b, access);
    expect(
        status == 200 && texts == ["added through A"],
        format!("B lists {status} {texts:?}, not what A added"),
    );
    expect(
        add(b, access, "added through B") == 201,
        "adding through B".into(),
    );
    let (status, texts) = list(a, access);
    expect(
        status == 200 && texts == ["added through A", "added through B"],
        format!("A lists {status} {texts:?} after adds through A and B"),
    );
    // A refresh token issued by B is rotated at A; the spent one is refused at B.
    let refresh = tokens["refresh_token"].as_str().unwrap_or_default();
    let grant = json!({"grant_type": "refresh_token", "refresh_token": refresh});
    let refreshed = token_request(&project, a, grant.clone());
    expect(
        refreshed.status == 200,
        format!(
            "A refreshing a token issued by B: {} {}",
            refreshed.status,
            refreshed.text()
        ),
    );
    let fresh = refreshed.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    expect(
        list(b, &fresh).0 == 200,
        "B refuses the access token A gave on a refresh".into(),
    );
    let spent = token_request(&project, b, grant);
    expect(
        spent.status == 400 && spent.json()["error"] == "invalid_grant",
        format!(
            "B takes the refresh token A rotated: {} {}",
            spent.status,
            spent.text()
        ),
    );

    // The consent page shown by A is answered at B; the code (with PKCE) is redeemed at A and
    // works at B.
    let code = sign_in(&project, a, b, true);
    let (status, tokens) = redeem(&project, a, &code, Some(VERIFIER));
    let access = tokens["access_token"].as_str().unwrap_or_default();
    expect(
        status == 200 && list(b, access).0 == 200,
        format!("a consent answered at B, the code redeemed at A: {status} {tokens}"),
    );
    // The code again at B, with its verifier: the client retrying. Refused, and what A gave
    // keeps working.
    let (status, retry) = redeem(&project, b, &code, Some(VERIFIER));
    expect(
        status == 400 && retry["error"] == "invalid_grant",
        format!("B redeems a code A redeemed already: {status} {retry}"),
    );
    expect(
        list(a, access).0 == 200,
        "a retry at B revoked the tokens A gave for the code".into(),
    );
    // Without the verifier: a stolen code. Refused, and its tokens revoked at A too.
    let (status, stolen) = redeem(&project, b, &code, None);
    expect(
        status == 400 && stolen["error"] == "invalid_grant",
        format!("B redeems a stolen code A redeemed already: {status} {stolen}"),
    );
    expect(
        list(a, access).0 == 401,
        "A keeps the tokens of a code replayed at B without its verifier".into(),
    );
    assert!(failures.is_empty(), "{stack}:\n{}", failures.join("\n"));
}

/// The stacks, in the order `new` offers them.
fn stacks() -> Vec<&'static str> {
    Stack::ALL.into_iter().map(Stack::as_str).collect()
}

/// Three tests per stack, so a stack can be run alone
/// (`cargo test --test projects -- storage:: --skip python --skip typescript`).
macro_rules! stacks {
    ($($crash:ident, $shared:ident, $single:ident: $stack:literal),* $(,)?) => {
        $(
            #[test]
            fn $crash() {
                survives_kill_9($stack);
            }

            #[test]
            fn $shared() {
                shares_postgresql($stack);
            }

            #[test]
            fn $single() {
                one_server_per_sqlite_file($stack);
            }
        )*

        /// Every stack has its tests above, and no other; each has auth `oauth`.
        #[test]
        fn every_stack_is_tested() {
            assert_eq!(stacks(), [$($stack),*]);
            for stack in Stack::ALL {
                assert!(ai_plugin::template::supports(stack, AuthType::Oauth));
            }
        }
    };
}

stacks! {
    acknowledged_adds_survive_kill_9_with_the_rust_stack,
    two_rust_instances_share_postgresql,
    one_rust_server_per_sqlite_file: "rust",
    acknowledged_adds_survive_kill_9_with_the_python_stack,
    two_python_instances_share_postgresql,
    one_python_server_per_sqlite_file: "python",
    acknowledged_adds_survive_kill_9_with_the_typescript_stack,
    two_typescript_instances_share_postgresql,
    one_typescript_server_per_sqlite_file: "typescript",
}

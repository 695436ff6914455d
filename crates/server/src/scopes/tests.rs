use super::*;

fn sha(token: &str) -> String {
    format!("sha256:{}", hex::encode(hash_token(token)))
}

fn registry() -> Registry {
    Registry::parse(
        r#"
[[device]]
id = "van-1"
group = "contractor-a"
[[device]]
id = "van-2"
group = "contractor-a"
[[device]]
id = "bus-9"
group = "transit"
"#,
    )
    .expect("registry")
}

fn file() -> String {
    format!(
        r#"
[[viewer]]
name = "depot"
hash = "{}"
all = true

[[viewer]]
name = "contractor-a"
hash = "{}"
groups = ["contractor-a"]
devices = ["truck-1*"]

[[viewer]]
name = "customer"
hash = "{}"
devices = ["bus-9"]
bbox = [145.0, -17.5, 146.0, -16.5]

[[publisher]]
name = "gateway"
hash = "{}"
devices = ["van-*"]
"#,
        sha("depot-secret"),
        sha("contractor-secret"),
        sha("customer-secret"),
        sha("gateway-secret"),
    )
}

#[test]
fn each_token_finds_its_own_scope_and_a_wrong_one_finds_none() {
    let tokens = Tokens::parse(&file(), Some(&registry()), 1).expect("parses");
    assert_eq!((tokens.viewers(), tokens.publishers()), (3, 1));
    let contractor = tokens.viewer("contractor-secret").expect("known");
    assert_eq!(&*contractor.name, "contractor-a");
    assert!(contractor.sees_id("van-1") && contractor.sees_id("truck-17"));
    assert!(!contractor.sees_id("bus-9"));
    let customer = tokens.viewer("customer-secret").expect("known");
    assert!(customer.sees("bus-9", -17.0, 145.5));
    assert!(!customer.sees("bus-9", -20.0, 145.5));
    assert!(
        tokens.viewer("gateway-secret").is_none(),
        "a publisher's token is not a viewer's"
    );
    assert!(tokens.viewer("depot-secreT").is_none());
    let gateway = tokens.publisher("gateway-secret").expect("publisher");
    assert!(gateway.sees_id("van-7") && !gateway.sees_id("bus-9"));
}

#[test]
fn a_bad_file_says_which_token_is_wrong_and_why() {
    let bad = |text: &str| Tokens::parse(text, Some(&registry()), 1).expect_err("refused");
    let plain = bad("[[viewer]]\nname = \"a\"\nhash = \"hunter2\"\nall = true\n");
    assert!(
        plain.contains("\"a\"") && plain.contains("sha256"),
        "{plain}"
    );
    let short = bad("[[viewer]]\nname = \"a\"\nhash = \"sha256:abcd\"\nall = true\n");
    assert!(short.contains("32 bytes"), "{short}");
    let nothing = bad(&format!(
        "[[viewer]]\nname = \"a\"\nhash = \"{}\"\n",
        sha("x")
    ));
    assert!(nothing.contains("may see nothing"), "{nothing}");
    let twice = bad(&format!(
        "[[viewer]]\nname = \"a\"\nhash = \"{}\"\nall = true\n[[viewer]]\nname = \"a\"\nhash = \"{}\"\nall = true\n",
        sha("x"),
        sha("y")
    ));
    assert!(twice.contains("named twice"), "{twice}");
    let same = bad(&format!(
        "[[viewer]]\nname = \"a\"\nhash = \"{0}\"\nall = true\n[[viewer]]\nname = \"b\"\nhash = \"{0}\"\nall = true\n",
        sha("x")
    ));
    assert!(same.contains("same token"), "{same}");
    let shared = bad(&format!(
        "[[viewer]]\nname = \"a\"\nhash = \"{0}\"\nall = true\n[[publisher]]\nname = \"p\"\nhash = \"{0}\"\nall = true\n",
        sha("x")
    ));
    assert!(shared.contains("publisher's token"), "{shared}");
    let boxed = bad(&format!(
        "[[publisher]]\nname = \"p\"\nhash = \"{}\"\nall = true\nbbox = [0, 0, 1, 1]\n",
        sha("x")
    ));
    assert!(boxed.contains("not a bbox"), "{boxed}");
    let upside = bad(&format!(
        "[[viewer]]\nname = \"a\"\nhash = \"{}\"\nall = true\nbbox = [0, 10, 1, -10]\n",
        sha("x")
    ));
    assert!(upside.contains("south <= north"), "{upside}");
    let unknown = bad(&format!(
        "[[viewer]]\nname = \"a\"\nhash = \"{}\"\nall = true\ncolour = 1\n",
        sha("x")
    ));
    assert!(unknown.contains("colour"), "{unknown}");
    let groups = Tokens::parse(
        &format!(
            "[[viewer]]\nname = \"a\"\nhash = \"{}\"\ngroups = [\"g\"]\n",
            sha("x")
        ),
        None,
        1,
    )
    .expect_err("groups need a registry");
    assert!(groups.contains("--registry"), "{groups}");
}

#[test]
fn without_any_token_everyone_sees_everything_and_with_one_a_token_is_needed() {
    assert!(matches!(
        viewer_access(None, None, None),
        Ok(Access::Everything)
    ));
    assert_eq!(
        viewer_access(Some("wide"), None, None).err(),
        Some(Denied::Missing)
    );
    assert!(matches!(
        viewer_access(Some("wide"), None, Some("wide")),
        Ok(Access::Everything)
    ));
    assert_eq!(
        viewer_access(Some("wide"), None, Some("other")).err(),
        Some(Denied::Wrong)
    );
}

#[test]
fn a_scoped_token_gets_its_scope_and_the_server_wide_one_still_works() {
    let dir = std::env::temp_dir().join(format!("fv-tokens-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("tokens.toml");
    std::fs::write(&path, file()).expect("write");
    let tokens = TokensFile::open(path, Some(&registry())).expect("opens");
    let access = viewer_access(Some("wide"), Some(&tokens), Some("customer-secret"))
        .expect("a scoped viewer");
    assert!(access.sees_id("bus-9") && !access.sees_id("van-1"));
    assert!(matches!(
        viewer_access(Some("wide"), Some(&tokens), Some("wide")),
        Ok(Access::Everything)
    ));
    assert_eq!(
        viewer_access(None, Some(&tokens), Some("nope")).err(),
        Some(Denied::Wrong)
    );
    let publisher = publisher_access(None, Some(&tokens), Some("gateway-secret")).expect("ok");
    assert!(publisher.sees_id("van-3") && !publisher.sees_id("truck-1"));
    let _ = std::fs::remove_dir_all(dir);
}

//! The public API against a Spinnaker-like execution: a manual trigger with string
//! parameters, a bake and a deploy stage with context and outputs, and two Manual Judgment
//! stages, one decided and one not.

use serde_json::{Value, json};

use super::{ErrorKind, check, evaluate, evaluate_all, has_expressions};

fn root() -> Value {
    let parameters = json!({
        "env": "prod",
        "replicas": "3",
        "canary": "true",
        "regions": "us-east-1,eu-west-1",
        "empty": ""
    });
    json!({
        "application": "shop",
        "trigger": {
            "type": "manual",
            "user": "ana@example.com",
            "parameters": parameters,
            "buildInfo": { "number": 142, "tag": "v1.4.2" }
        },
        "parameters": parameters,
        "execution": {
            "id": "01J9Z3EXEC",
            "name": "Deploy to prod",
            "stages": [
                {
                    "name": "Bake", "refId": "1", "status": "SUCCEEDED", "type": "bakeManifest",
                    "context": { "imageName": "shop:1.4.2", "tags": ["stable", "v1"] },
                    "outputs": { "artifacts": [{ "reference": "registry.example.com/shop:1.4.2" }] }
                },
                {
                    "name": "Deploy", "refId": "2", "status": "SUCCEEDED", "type": "deployManifest",
                    "context": { "account": "prod-cluster", "replicas": 3, "namespace": "shop" },
                    "outputs": { "deployedServerGroup": "shop-v042", "healthy": true }
                },
                {
                    "name": "Approve", "refId": "3", "status": "SUCCEEDED", "type": "manualJudgment",
                    "context": { "judgmentStatus": "continue", "judgmentInput": "Promote" },
                    "outputs": {}
                },
                {
                    "name": "Approve rollback", "refId": "4", "status": "NOT_STARTED",
                    "type": "manualJudgment", "context": {}, "outputs": {}
                }
            ]
        },
        // A stage's own context, put at the root by the caller.
        "account": "prod-cluster",
        "previousVersion": null
    })
}

fn value(template: &str) -> Value {
    evaluate(template, &root()).unwrap_or_else(|error| panic!("{template}: {error}"))
}

fn error(template: &str) -> String {
    match evaluate(template, &root()) {
        Ok(value) => panic!("{template} gave {value} instead of an error"),
        Err(error) => error.to_string(),
    }
}

/// Checks each template's value, naming the template that fails.
fn assert_values(cases: &[(&str, Value)]) {
    for (template, expected) in cases {
        assert_eq!(&value(template), expected, "{template}");
    }
}

/// Checks that each template fails with exactly this message (the error's Display).
fn assert_errors(cases: &[(&str, &str)]) {
    for (template, expected) in cases {
        assert_eq!(error(template), *expected, "{template}");
    }
}

#[test]
fn text_without_expressions_is_returned_unchanged() {
    assert_values(&[
        ("plain text", json!("plain text")),
        (
            "costs $5 {not an expression} 'quoted'",
            json!("costs $5 {not an expression} 'quoted'"),
        ),
        ("", json!("")),
    ]);
    assert!(!has_expressions("costs $5 {x}"));
    assert!(has_expressions("app-${x}"));
}

#[test]
fn a_lone_expression_keeps_its_json_type() {
    assert_values(&[
        ("${trigger.buildInfo.number}", json!(142)),
        ("  ${ trigger.buildInfo.number }\n", json!(142)),
        ("${trigger.parameters.replicas}", json!("3")),
        ("${#toInt(trigger.parameters.replicas)}", json!(3)),
        ("${#stage('Deploy').outputs.healthy}", json!(true)),
        ("${#stage('Bake').context.tags}", json!(["stable", "v1"])),
        (
            "${trigger.buildInfo}",
            json!({ "number": 142, "tag": "v1.4.2" }),
        ),
        ("${previousVersion}", Value::Null),
    ]);
}

#[test]
fn mixed_templates_give_text() {
    assert_values(&[
        (
            "app-${trigger.parameters.env}-${execution.id}",
            json!("app-prod-01J9Z3EXEC"),
        ),
        ("build #${trigger.buildInfo.number}", json!("build #142")),
        ("${1}${2}", json!("12")),
        ("${true} and ${1.5}", json!("true and 1.5")),
        (
            "tags: ${#stage('Bake').context.tags}",
            json!("tags: [\"stable\",\"v1\"]"),
        ),
        ("${ 'a}b' }!", json!("a}b!")),
        ("${ 'x${y' }-${'{'}", json!("x${y-{")),
        ("${ {a: 'x}'}.a }", json!("x}")),
        ("$${application}", json!("$shop")),
    ]);
}

#[test]
fn names_resolve_against_the_root() {
    assert_values(&[
        ("${application}", json!("shop")),
        ("${account}", json!("prod-cluster")),
        ("${parameters.env}", json!("prod")),
        ("${#root.application}", json!("shop")),
        ("${#root['trigger'].type}", json!("manual")),
    ]);
}

#[test]
fn reads_properties_indexes_and_safe_navigation() {
    assert_values(&[
        ("${trigger['parameters'][\"env\"]}", json!("prod")),
        ("${execution.stages[1].name}", json!("Deploy")),
        (
            "${execution.stages[1]['context'].account}",
            json!("prod-cluster"),
        ),
        (
            "${execution.stages[trigger.parameters.replicas].name}",
            json!("Approve rollback"),
        ),
        (
            "${#stage('Bake').outputs.artifacts[0].reference}",
            json!("registry.example.com/shop:1.4.2"),
        ),
        ("${'abc'[1]}", json!("b")),
        ("${{10, 20}[1]}", json!(20)),
        ("${{a: {b: 'deep'}}.a.b}", json!("deep")),
        // Like Java's Map.get, [] on a missing key is null, so optional keys can be read.
        ("${trigger.parameters['missing']}", Value::Null),
        (
            "${trigger.parameters['missing'] ?: 'default'}",
            json!("default"),
        ),
        ("${previousVersion?.name}", Value::Null),
        ("${previousVersion?.toUpperCase()}", Value::Null),
        ("${trigger?.parameters?.env}", json!("prod")),
    ]);
}

#[test]
fn reads_literals_with_spel_quoting() {
    assert_values(&[
        ("${'it''s'}", json!("it's")),
        (r#"${"say ""hi"""}"#, json!("say \"hi\"")),
        (r#"${'mixed "quotes"'}"#, json!("mixed \"quotes\"")),
        ("${42}", json!(42)),
        ("${1.5}", json!(1.5)),
        ("${1e3}", json!(1000.0)),
        ("${TRUE}", json!(true)),
        ("${false}", json!(false)),
        ("${null}", Value::Null),
        ("${{1, 2, 'x'}}", json!([1, 2, "x"])),
        ("${{a: 1, 'b c': 2}}", json!({ "a": 1, "b c": 2 })),
        ("${{}}", json!([])),
        ("${{:}}", json!({})),
        (
            "${{env: trigger.parameters.env, n: 1 + 1}}",
            json!({ "env": "prod", "n": 2 }),
        ),
    ]);
}

#[test]
fn arithmetic_and_text_joining_follow_java() {
    assert_values(&[
        ("${1 + 2 * 3}", json!(7)),
        ("${(1 + 2) * 3}", json!(9)),
        ("${7 / 2}", json!(3)),
        ("${7 % 3}", json!(1)),
        ("${7.0 / 2}", json!(3.5)),
        ("${10 div 3 + 10 MOD 3}", json!(4)),
        ("${-3 + 1}", json!(-2)),
        ("${-(2 * 3)}", json!(-6)),
        ("${+4}", json!(4)),
        ("${'v' + 1}", json!("v1")),
        ("${1 + 2 + 'x'}", json!("3x")),
        ("${'x' + 1 + 2}", json!("x12")),
        ("${'a' + null}", json!("anull")),
        ("${'n=' + {1, 2}}", json!("n=[1,2]")),
        ("${#toInt(trigger.parameters.replicas) * 2}", json!(6)),
    ]);
}

#[test]
fn comparisons_and_equality_follow_the_documented_rules() {
    assert_values(&[
        ("${1 + 2 * 3 == 7 && !false}", json!(true)),
        ("${trigger.parameters.replicas == 3}", json!(true)),
        ("${trigger.parameters.replicas eq '3'}", json!(true)),
        ("${trigger.parameters.replicas != 4}", json!(true)),
        ("${1 == 1.0}", json!(true)),
        ("${trigger.parameters.canary == true}", json!(true)),
        ("${previousVersion == null}", json!(true)),
        ("${'a' ne 'b'}", json!(true)),
        ("${{1, 2} == {1, 2}}", json!(true)),
        ("${trigger.parameters.replicas > 2}", json!(true)),
        ("${'10' > '9'}", json!(false)),
        ("${2 lt 10}", json!(true)),
        ("${3 ge 3}", json!(true)),
        ("${2.5 <= 2}", json!(false)),
        ("${'b' gt 'a'}", json!(true)),
        (
            "${trigger.parameters.env matches 'prod|staging'}",
            json!(true),
        ),
        (
            r"${trigger.buildInfo.tag matches '^v\d+\.\d+\.\d+$'}",
            json!(true),
        ),
        (
            "${trigger.user matches '[a-z]+@example[.]com'}",
            json!(true),
        ),
        ("${trigger.parameters.env matches 'pro'}", json!(false)),
    ]);
}

#[test]
fn conditions_are_strict_booleans_or_their_text() {
    assert_values(&[
        (
            "${trigger.parameters.canary && trigger.parameters.env == 'prod'}",
            json!(true),
        ),
        ("${trigger.parameters.canary and not false}", json!(true)),
        ("${!trigger.parameters.canary}", json!(false)),
        ("${false || 'FALSE'}", json!(false)),
        ("${false or true}", json!(true)),
        ("${trigger.parameters.env == 'prod' ? 3 : 1}", json!(3)),
        (
            "${trigger.parameters.canary ? 'canary' : 'full'}",
            json!("canary"),
        ),
        ("${false ? 1 : true ? 2 : 3}", json!(2)),
        // The right side is not evaluated when the left decides.
        ("${false && previousVersion.name}", json!(false)),
        ("${true || #toInt('x') > 1}", json!(true)),
    ]);
}

#[test]
fn elvis_replaces_null_and_empty_text_only() {
    assert_values(&[
        ("${trigger.parameters.empty ?: 'none'}", json!("none")),
        ("${previousVersion ?: 'none'}", json!("none")),
        ("${trigger.parameters.env ?: 'none'}", json!("prod")),
        ("${0 ?: 5}", json!(0)),
        ("${false ?: true}", json!(false)),
        (
            "${previousVersion ?: trigger.parameters.empty ?: 'last'}",
            json!("last"),
        ),
    ]);
}

#[test]
fn string_methods_follow_java() {
    assert_values(&[
        ("${trigger.parameters.env.toUpperCase()}", json!("PROD")),
        ("${'MiXed'.toLowerCase()}", json!("mixed")),
        ("${'  padded \t'.trim()}", json!("padded")),
        ("${'héllo'.length()}", json!(5)),
        ("${trigger.parameters.empty.isEmpty()}", json!(true)),
        ("${trigger.parameters.regions.contains('eu-')}", json!(true)),
        ("${trigger.buildInfo.tag.startsWith('v1')}", json!(true)),
        ("${trigger.user.endsWith('@example.com')}", json!(true)),
        ("${trigger.parameters.replicas.equals('3')}", json!(true)),
        ("${trigger.parameters.replicas.equals(3)}", json!(false)),
        (
            "${'PROD'.equalsIgnoreCase(trigger.parameters.env)}",
            json!(true),
        ),
        ("${trigger.user.indexOf('@')}", json!(3)),
        ("${trigger.user.indexOf('#')}", json!(-1)),
        ("${trigger.buildInfo.tag.substring(1)}", json!("1.4.2")),
        ("${trigger.buildInfo.tag.substring(1, 2)}", json!("1")),
        ("${'abc'.substring(3)}", json!("")),
        (
            "${trigger.buildInfo.tag.replace('.', '-')}",
            json!("v1-4-2"),
        ),
        (
            r"${trigger.buildInfo.tag.replaceAll('[^0-9]', '')}",
            json!("142"),
        ),
        (
            r"${trigger.buildInfo.tag.replaceAll('v(\d+)\.(\d+).*', '$1.$2')}",
            json!("1.4"),
        ),
        (
            "${trigger.parameters.regions.split(',')}",
            json!(["us-east-1", "eu-west-1"]),
        ),
        (
            "${trigger.parameters.regions.split(',')[1]}",
            json!("eu-west-1"),
        ),
        ("${trigger.parameters.regions.split(',').size()}", json!(2)),
        ("${trigger.parameters.env.charAt(0)}", json!("p")),
        ("${trigger.parameters.env.matches('p.*')}", json!(true)),
        (
            "${'s-' + trigger.buildInfo.number.toString()}",
            json!("s-142"),
        ),
    ]);
}

#[test]
fn list_and_map_methods_follow_java() {
    assert_values(&[
        ("${execution.stages.size()}", json!(4)),
        ("${#stage('Approve').outputs.isEmpty()}", json!(true)),
        (
            "${#stage('Bake').context.tags.contains('stable')}",
            json!(true),
        ),
        ("${{'1', '2'}.contains(2)}", json!(true)),
        ("${#stage('Bake').context.tags.get(1)}", json!("v1")),
        ("${{}.isEmpty()}", json!(true)),
        ("${trigger.parameters.size()}", json!(5)),
        ("${trigger.parameters.containsKey('env')}", json!(true)),
        ("${trigger.parameters.containsKey('nope')}", json!(false)),
        ("${trigger.parameters.get('env')}", json!("prod")),
        ("${trigger.parameters.get('nope')}", Value::Null),
        ("${trigger.buildInfo.keySet()}", json!(["number", "tag"])),
        ("${{a: 1}.toString()}", json!("{\"a\":1}")),
    ]);
}

#[test]
fn spinnaker_helper_functions() {
    assert_values(&[
        ("${#toInt('42')}", json!(42)),
        ("${#toInt(7)}", json!(7)),
        ("${#toFloat('2.5')}", json!(2.5)),
        ("${#toFloat('2')}", json!(2.0)),
        ("${#toBoolean('TRUE')}", json!(true)),
        ("${#toBoolean(trigger.parameters.empty)}", json!(false)),
        ("${#toBoolean(false)}", json!(false)),
        (
            "${#toJson(trigger.buildInfo)}",
            json!("{\"number\":142,\"tag\":\"v1.4.2\"}"),
        ),
        ("${#toJson('x')}", json!("\"x\"")),
        (r#"${#readJson('{"a": [1, 2]}').a[1]}"#, json!(2)),
        (
            "${#readJson(#toJson(trigger.buildInfo)) == trigger.buildInfo}",
            json!(true),
        ),
        ("${#alphanumerical('shop_v1.4-2!')}", json!("shopv142")),
        ("${#stage('Deploy').status}", json!("SUCCEEDED")),
        ("${#stage('Deploy').context.account}", json!("prod-cluster")),
        (
            "${#stage('Deploy')['outputs']['deployedServerGroup']}",
            json!("shop-v042"),
        ),
        ("${#stage('Bake').refId}", json!("1")),
        ("${#judgment('Approve')}", json!("Promote")),
        ("${#judgement('Approve') == 'Promote'}", json!(true)),
    ]);
}

#[test]
fn the_messages_from_the_brief() {
    let root = json!({ "trigger": { "parameters": { "env": "prod", "replicas": "3" } } });
    let message = |template: &str| evaluate(template, &root).unwrap_err().to_string();
    assert_eq!(
        message("${trigger.parameters.envv}"),
        "${trigger.parameters.envv}: trigger.parameters has no key \"envv\" (it has: env, replicas)"
    );
    assert_eq!(
        message("${#toInt('abc')}"),
        "${#toInt('abc')}: #toInt cannot turn \"abc\" into a whole number"
    );
    assert_eq!(
        message("${trigger.parameters.}"),
        "${trigger.parameters.}: expected a property name after \".\" at column 20"
    );
}

#[test]
fn evaluation_errors_name_the_thing_and_the_value() {
    assert_errors(&[
        (
            "${trigger2.x}",
            "${trigger2.x}: there is nothing named \"trigger2\" here (names you can use: \
             account, application, execution, parameters, previousVersion, trigger)",
        ),
        (
            "${previousVersion.name}",
            "${previousVersion.name}: previousVersion is null, so it has no \"name\"; \
             write previousVersion?.name to get null instead",
        ),
        (
            "${previousVersion.trim()}",
            "${previousVersion.trim()}: cannot call trim() on previousVersion, which is null; \
             write previousVersion?.trim() to get null instead",
        ),
        (
            "${trigger.parameters.env.length}",
            "${trigger.parameters.env.length}: trigger.parameters.env is the string \"prod\", \
             not a map, so it has no key \"length\"; to call the method, write \
             trigger.parameters.env.length()",
        ),
        (
            "${trigger.parameters.env.toLower()}",
            "${trigger.parameters.env.toLower()}: trigger.parameters.env is a string, which has \
             no method toLower() (string methods: charAt, contains, endsWith, equals, \
             equalsIgnoreCase, indexOf, isEmpty, length, matches, replace, replaceAll, split, \
             startsWith, substring, toLowerCase, toString, toUpperCase, trim)",
        ),
        (
            "${execution.stages.first()}",
            "${execution.stages.first()}: execution.stages is a list, which has no method \
             first() (list methods: contains, get, isEmpty, size, toString)",
        ),
        (
            "${trigger.keys()}",
            "${trigger.keys()}: trigger is a map, which has no method keys() \
             (map methods: containsKey, get, isEmpty, keySet, size, toString)",
        ),
        (
            "${'abc'.substring(1, 2, 3)}",
            "${'abc'.substring(1, 2, 3)}: substring() takes 1 or 2 arguments, but was given 3",
        ),
        (
            "${trigger.parameters.replicas * 2}",
            "${trigger.parameters.replicas * 2}: \"*\" needs numbers, but \
             trigger.parameters.replicas is the string \"3\"; turn text into a number with \
             #toInt(…) or #toFloat(…)",
        ),
        (
            "${true + 1}",
            "${true + 1}: \"+\" needs numbers, but true is the boolean true",
        ),
        (
            "${-'a'}",
            "${-'a'}: \"-\" needs numbers, but 'a' is the string \"a\"; turn text into a number with #toInt(…) or #toFloat(…)",
        ),
        (
            "${trigger.parameters.env && true}",
            "${trigger.parameters.env && true}: \"&&\" needs true or false, but \
             trigger.parameters.env is the string \"prod\"",
        ),
        (
            "${trigger.parameters.env and true}",
            "${trigger.parameters.env and true}: \"and\" needs true or false, but \
             trigger.parameters.env is the string \"prod\"",
        ),
        (
            "${(!'yes')}",
            "${(!'yes')}: \"!\" needs true or false, but 'yes' is the string \"yes\"",
        ),
        (
            "${'a'[1]}",
            "${'a'[1]}: index 1 is out of range for \"a\" (1 character; indexes start at 0)",
        ),
        (
            "${not 'yes'}",
            "${not 'yes'}: \"not\" needs true or false, but 'yes' is the string \"yes\"",
        ),
        (
            "${{1} div 2}",
            "${{1} div 2}: \"div\" needs numbers, but {1} is the list [1]",
        ),
        (
            "${1 ? 'a' : 'b'}",
            "${1 ? 'a' : 'b'}: \"? :\" needs true or false, but 1 is the number 1",
        ),
        (
            "${!previousVersion}",
            "${!previousVersion}: \"!\" needs true or false, but previousVersion is null",
        ),
        (
            "${'abc' > 3}",
            "${'abc' > 3}: cannot compare 'abc' (the string \"abc\") with 3 (the number 3) \
             using >: that needs two numbers, two strings, or a number and a string that reads as one",
        ),
        ("${1 / 0}", "${1 / 0}: cannot divide 1 by zero"),
        (
            "${trigger.parameters.env matches '[a-'}",
            "${trigger.parameters.env matches '[a-'}: matches: bad regex \"[a-\": non-empty character class has no closing bracket after dash",
        ),
        (
            r"${'a'.replaceAll('(a)\1', 'b')}",
            r#"${'a'.replaceAll('(a)\1', 'b')}: replaceAll(): bad regex "(a)\1": backreferences are not supported"#,
        ),
        (
            "${execution.stages[9]}",
            "${execution.stages[9]}: index 9 is out of range: the list has 4 items (indexes start at 0)",
        ),
        (
            "${execution.stages['x']}",
            "${execution.stages['x']}: execution.stages['x'] needs a whole number inside [ ], but 'x' is the string \"x\"",
        ),
        (
            "${'abc'.substring(2, 5)}",
            "${'abc'.substring(2, 5)}: substring(2, 5) is out of range for \"abc\" \
             (3 characters; 0 <= begin <= end <= 3 is needed)",
        ),
        (
            "${'abc'.charAt(3)}",
            "${'abc'.charAt(3)}: index 3 is out of range for \"abc\" (3 characters; indexes start at 0)",
        ),
        (
            "${#stage('Deplo').status}",
            "${#stage('Deplo').status}: there is no stage named \"Deplo\" in this execution \
             (its stages: Approve, Approve rollback, Bake, Deploy)",
        ),
        (
            "${#judgment('Approve rollback')}",
            "${#judgment('Approve rollback')}: stage \"Approve rollback\" has no judgment yet \
             (its context has no judgmentInput)",
        ),
        (
            "${#judgment('Nope')}",
            "${#judgment('Nope')}: there is no stage named \"Nope\" in this execution \
             (its stages: Approve, Approve rollback, Bake, Deploy)",
        ),
        (
            "${#toInt('2.5')}",
            "${#toInt('2.5')}: #toInt cannot turn \"2.5\" into a whole number",
        ),
        (
            "${#toFloat('x')}",
            "${#toFloat('x')}: #toFloat cannot turn \"x\" into a number",
        ),
        (
            "${#toBoolean(1)}",
            "${#toBoolean(1)}: #toBoolean cannot turn the number 1 into true or false",
        ),
        (
            "${#readJson('{bad')}",
            "${#readJson('{bad')}: #readJson could not read \"{bad\": key must be a string at line 1 column 2",
        ),
        (
            "image-${previousVersion}",
            "${previousVersion}: previousVersion is null, so there is nothing to put in the text; \
             give a default with ?:, as in ${previousVersion ?: 'none'}",
        ),
    ]);
}

#[test]
fn syntax_errors_give_the_column_inside_the_expression() {
    // The messages are the lexer's and parser's, tested there; these check the column,
    // counted in characters from the first one after `${`, and that `evaluate` agrees.
    let cases = [
        ("${ trigger.parameters. }", 21),
        ("${}", 1),
        ("${a = 1}", 3),
        ("${'é' + }", 6),
        ("${1 +* 2}", 4),
        ("${#nope(1)}", 1),
        ("ok ${a} then ${b c}", 3),
        ("app-${trigger.x", 10),
        ("${'unclosed}", 1),
        ("${list.?[x > 1]}", 6),
    ];
    for (template, column) in cases {
        let error = check(template).unwrap_err();
        assert_eq!(error.column(), Some(column), "{template}: {error}");
        assert_eq!(
            evaluate(template, &root()).unwrap_err(),
            error,
            "{template}"
        );
    }
    let unclosed = check("app-${trigger.x").unwrap_err();
    assert_eq!(unclosed.expression(), "${trigger.x");
    assert_eq!(
        unclosed.to_string(),
        "${trigger.x: \"${\" is never closed: add \"}\" at the end of the expression at column 10"
    );
}

#[test]
fn check_reads_syntax_only() {
    for template in [
        "plain",
        "${unknownName.anything.method(1, 'x')}",
        "app-${trigger.parameters.env}-${#toInt(x) + 1 > 2 ? {a: 1} : {1, 2}}",
        "${ 'a}b' }",
    ] {
        assert_eq!(check(template), Ok(()), "{template}");
    }
    let error = check("${#stage('x'}").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Syntax { column: 11 });
    let evaluation = evaluate("${nope}", &root()).unwrap_err();
    assert_eq!(
        (evaluation.kind(), evaluation.column()),
        (ErrorKind::Evaluation, None)
    );
}

#[test]
fn evaluate_all_walks_a_stage_and_keeps_keys_and_other_values() {
    let stage = json!({
        "account": "${account}",
        "clusters": [{
            "containers": [{ "imageDescription": { "repository": "shop", "tag": "${trigger.buildInfo.tag}" } }],
            "replicas": "${#toInt(trigger.parameters.replicas)}",
            "canary": "${trigger.parameters.canary == 'true'}"
        }],
        "labels": { "app.kubernetes.io/name": "${application}" },
        "${kept as a key}": "plain",
        "count": 3,
        "enabled": true,
        "nothing": null
    });
    let evaluated = evaluate_all(&stage, &root()).unwrap();
    assert_eq!(
        evaluated,
        json!({
            "account": "prod-cluster",
            "clusters": [{
                "containers": [{ "imageDescription": { "repository": "shop", "tag": "v1.4.2" } }],
                "replicas": 3,
                "canary": true
            }],
            "labels": { "app.kubernetes.io/name": "shop" },
            "${kept as a key}": "plain",
            "count": 3,
            "enabled": true,
            "nothing": null
        })
    );
    assert_eq!(
        evaluate_all(&json!("${application}"), &root()).unwrap(),
        json!("shop")
    );
}

#[test]
fn evaluate_all_says_where_the_failing_string_is() {
    let stage = json!({
        "clusters": [{ "containers": [{ "imageDescription": { "tag": "${trigger.buildInfo.tagg}" } }] }]
    });
    let error = evaluate_all(&stage, &root()).unwrap_err();
    assert_eq!(
        error.path(),
        Some("clusters[0].containers[0].imageDescription.tag")
    );
    assert_eq!(
        error.to_string(),
        "in clusters[0].containers[0].imageDescription.tag, ${trigger.buildInfo.tagg}: \
         trigger.buildInfo has no key \"tagg\" (it has: number, tag)"
    );

    let labels = json!({ "labels": { "app.kubernetes.io/name": "${applicaton}" } });
    let error = evaluate_all(&labels, &root()).unwrap_err();
    assert_eq!(error.path(), Some("labels[\"app.kubernetes.io/name\"]"));

    let syntax = json!({ "steps": ["ok", "${1 +}"] });
    let error = evaluate_all(&syntax, &root()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "in steps[1], ${1 +}: the expression ends too early: expected a value at column 4"
    );

    let alone = evaluate_all(&json!("${nope}"), &root()).unwrap_err();
    assert_eq!(alone.path(), None);
}

#[test]
fn errors_are_std_errors() {
    fn takes(_: &dyn std::error::Error) {}
    takes(&check("${").unwrap_err());
}

/// Deterministic random choices (xorshift64), so a failing case can be replayed.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A random expression, well formed, of the features users combine.
    fn expression(&mut self, depth: usize) -> String {
        const ATOMS: &[&str] = &[
            "trigger.parameters.replicas",
            "trigger.parameters.env",
            "parameters.regions",
            "execution.stages",
            "#stage('Deploy')",
            "#stage('Bake').context",
            "previousVersion",
            "trigger.buildInfo.number",
            "'3'",
            "'a,b'",
            "''",
            "'[a-'",
            "'(a)|b*'",
            "-1",
            "0",
            "2.5",
            "9223372036854775807",
            "null",
            "true",
            "{1, 'a'}",
            "{a: 1, 'b': {}}",
            "#root",
        ];
        const OPERATORS: &[&str] = &[
            "+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||", "matches", "?:", "and",
            "div", "gt",
        ];
        const METHODS: &[&str] = &[
            "size()",
            "substring(E)",
            "charAt(E)",
            "split(E)",
            "replaceAll(E, '$1')",
            "get(E)",
            "contains(E)",
            "keySet()",
            "toUpperCase()",
            "equals(E)",
            "indexOf(E)",
            "trim()",
        ];
        const FUNCTIONS: &[&str] = &[
            "#toInt",
            "#toFloat",
            "#toBoolean",
            "#toJson",
            "#readJson",
            "#alphanumerical",
            "#stage",
            "#judgment",
        ];
        if depth == 0 {
            return self.pick(ATOMS).to_string();
        }
        let mut inner = || self.expression(depth - 1);
        let (a, b, c) = (inner(), inner(), inner());
        match self.below(8) {
            0 => format!("{a} {} {b}", self.pick(OPERATORS)),
            1 => format!("{}{a}", self.pick(&["-", "!", "not ", "+"])),
            2 => format!("{a} ? {b} : {c}"),
            3 => format!("({a}).{}", self.pick(METHODS).replace('E', &b)),
            4 => format!("({a})?.{}", self.pick(METHODS).replace('E', &b)),
            5 => format!("({a})[{b}]"),
            6 => format!("{}({a})", self.pick(FUNCTIONS)),
            _ => format!("{{{a}, {b}}}"),
        }
    }
}

/// The editor sends whatever is typed, and parameters reach regexes and #readJson: no input
/// may panic. Random expressions, some with a character cut out as when typing.
#[test]
fn arbitrary_input_never_panics() {
    let root = root();
    let mut random = Random(0x5eed_cafe);
    for _ in 0..5_000 {
        let depth = random.below(4);
        let mut expression: Vec<char> = random.expression(depth).chars().collect();
        if random.below(3) == 0 {
            let cut = random.below(expression.len());
            expression.remove(cut);
        }
        let expression: String = expression.into_iter().collect();
        let template = format!("x-${{{expression}}}");
        let checked = check(&template);
        let evaluated = evaluate(&template, &root);
        // A template that reads fails, if at all, only at evaluation; one that does not
        // fails in evaluate just as in check.
        match (checked, evaluated) {
            (Ok(()), Err(error)) => {
                assert_eq!(error.kind(), ErrorKind::Evaluation, "{template}: {error}")
            }
            (Err(syntax), evaluated) => assert_eq!(evaluated, Err(syntax), "{template}"),
            (Ok(()), Ok(_)) => {}
        }
    }
}

/// `#toJson` doubles its text at every level: nested deep enough it would take all memory.
/// The evaluation stops at the size budget, naming it, long before.
#[test]
fn nested_to_json_stops_at_the_size_budget() {
    let big = json!({"execution": {"stages": vec![json!({"context": {"text": "x\"y".repeat(1000)}}); 50]}});
    let mut expression = "execution".to_string();
    for _ in 0..30 {
        expression = format!("#toJson({expression})");
    }
    let error = evaluate(&format!("${{{expression}}}"), &big).unwrap_err();
    assert!(error.message().contains("budget of 4 MiB"), "{error}");
}

/// A replacement that multiplies the text, and a regex that is quadratic for a hand-written
/// engine, end within the budgets.
#[test]
fn replacements_and_regexes_stay_within_the_budgets() {
    let root = json!({"text": "c".repeat(20_000), "long": "y".repeat(100_000)});
    let error = evaluate("${text.replace('c', long)}", &root).unwrap_err();
    assert!(error.message().contains("budget of 4 MiB"), "{error}");
    let error = evaluate("${text.replaceAll('c', long)}", &root).unwrap_err();
    assert!(error.message().contains("budget of 4 MiB"), "{error}");
    let replaced = evaluate("${text.replaceAll('c(.*z)?', 'd').length()}", &root);
    assert!(
        replaced == Ok(json!(20_000))
            || replaced.is_err_and(|e| e.message().contains("budget of 2 s")),
        "either done or stopped by the time budget"
    );
    // Many concatenations of a long text: every value made is measured.
    let error = evaluate(&format!("${{{}}}", vec!["long"; 60].join(" + ")), &root).unwrap_err();
    assert!(error.message().contains("budget of 4 MiB"), "{error}");
}

/// A list, a map or a method's arguments that read a big part of the root more than once are
/// measured before anything is copied; one copy, as the root holds it, is fine.
#[test]
fn gathered_values_are_measured_before_they_are_copied() {
    let root = json!({"long": "y".repeat(2_500_000), "numbers": vec![1; 500_000]});
    assert_eq!(evaluate("${{long}.size()}", &root), Ok(json!(1)));
    for expression in [
        "${{long, long}.size()}",
        "${{a: long, b: long}.size()}",
        "${'x'.replace(long, long)}",
    ] {
        let error = evaluate(expression, &root).unwrap_err();
        assert!(
            error.message().contains("budget of 4 MiB"),
            "{expression}: {error}"
        );
    }
    // Written, half a million ones take 1 MB, though each is estimated at 20 bytes.
    let text = evaluate("${#toJson(numbers).length()}", &root).expect("fits when written");
    assert_eq!(text, json!(1_000_001));
}

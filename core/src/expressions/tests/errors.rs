//! What a failing expression says: the thing, the value, the column.

use super::*;

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
